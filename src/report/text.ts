import { Chalk, type ChalkInstance } from 'chalk'
import type { Severity } from '../scan/rule.js'
import type { ScanReport } from '../scan/report-data.js'

export interface TextOptions {
  color: boolean
  verbose?: boolean
  /** What the hint at the end suggests: the staged-commit wording or a general one. */
  context?: 'scan' | 'guard'
}

function severityStyle(chalk: ChalkInstance, severity: Severity): string {
  const label = severity.toUpperCase().padEnd(8)
  switch (severity) {
    case 'critical':
      return chalk.bgRed.white.bold(label)
    case 'high':
      return chalk.red.bold(label)
    case 'medium':
      return chalk.yellow(label)
    case 'low':
      return chalk.dim(label)
  }
}

export function renderText(report: ScanReport, options: TextOptions): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 })
  const lines: string[] = []
  for (const finding of report.findings) {
    const where = `${finding.file}:${finding.line}:${finding.column}`
    lines.push(`${chalk.bold(where)}  ${severityStyle(chalk, finding.severity)} ${chalk.cyan(finding.rule)}`)
    lines.push(`    ${finding.description}: ${chalk.magenta(finding.secret)}`)
    if (finding.commit) lines.push(chalk.dim(`    commit ${finding.commit.commit.slice(0, 12)} by ${finding.commit.author} on ${finding.commit.date}`))
    lines.push(chalk.dim(`    fingerprint ${finding.fingerprint}`))
  }
  const shown = options.verbose ? report.notices : report.notices.filter((n) => n.kind !== 'binary' && n.kind !== 'encrypted')
  for (const notice of shown) lines.push(chalk.dim(`note: ${notice.file ? `${notice.file}: ` : ''}${notice.message}`))
  const { stats } = report
  const count = report.findings.length
  const summary = `${count === 0 ? 'No secrets found' : `${count} secret${count === 1 ? '' : 's'} found`} in ${stats.files} file${stats.files === 1 ? '' : 's'} (${(stats.bytes / 1024 / 1024).toFixed(2)} MB, ${stats.skipped} skipped, ${stats.durationMs} ms).`
  if (lines.length > 0) lines.push('')
  lines.push(count === 0 ? chalk.green(summary) : chalk.red.bold(summary))
  if (count > 0) {
    lines.push(
      options.context === 'guard'
        ? 'Commit blocked. Remove each secret from the staged change (and rotate it if it was real), or move it into an encrypted file with `sentra encrypt`. A false positive: add `sentra:allow` in a comment on its line, or its fingerprint to .sentraignore.'
        : 'Remove each secret and rotate it at its provider (it may already be in git history), or keep it in an encrypted file with `sentra encrypt`. A false positive: add `sentra:allow` in a comment on its line, or its fingerprint to .sentraignore.',
    )
  }
  return `${lines.join('\n')}\n`
}
