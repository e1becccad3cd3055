import type { Finding, Notice } from '../scan/finding.js'
import type { Severity } from '../scan/rule.js'
import type { ScanReport } from '../scan/report-data.js'
import { failsAt } from '../suppress/fail-on.js'

/** What decides a finding's annotation level: findings that fail the run are errors. */
export interface GithubOptions {
  failOn?: Severity
}

/** Workflow-command escaping: the message may hold any text, properties may not hold `:` or `,`. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

function command(level: 'error' | 'warning' | 'notice', properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',')
  return `::${level}${props ? ` ${props}` : ''}::${escapeData(message)}`
}

function levelOf(finding: Finding, failOn: Severity | undefined): 'error' | 'warning' | 'notice' {
  if (failsAt(finding, failOn)) return 'error'
  return finding.severity === 'low' ? 'notice' : 'warning'
}

function annotate(finding: Finding, failOn: Severity | undefined): string {
  const where = finding.commit ? ` in commit ${finding.commit.commit.slice(0, 12)}` : ''
  const message = [
    `${finding.description}: ${finding.secret}${where}`,
    `Severity ${finding.severity}, fingerprint ${finding.fingerprint}.`,
    'Remove the secret and rotate it; if it is not a secret, add `sentra:allow` on its line or its fingerprint to .sentraignore.',
  ].join('\n')
  const sameLine = finding.endLine === finding.line
  return command(
    levelOf(finding, failOn),
    {
      file: finding.file,
      line: finding.line,
      endLine: finding.endLine,
      // GitHub ignores columns on multi-line annotations.
      col: sameLine ? finding.column : undefined,
      endColumn: sameLine ? finding.endColumn : undefined,
      title: `sentra: ${finding.rule} (${finding.severity})`,
    },
    message,
  )
}

function noticeLine(notice: Notice): string {
  return command('notice', { file: notice.file, title: 'sentra' }, notice.message)
}

/**
 * GitHub Actions workflow commands: one annotation per finding (shown on the pull request's diff),
 * then a plain summary line for the log.
 */
export function renderGithub(report: ScanReport, options: GithubOptions = {}): string {
  const lines = report.findings.map((finding) => annotate(finding, options.failOn))
  for (const notice of report.notices) {
    if (notice.kind !== 'binary' && notice.kind !== 'encrypted') lines.push(noticeLine(notice))
  }
  const count = report.findings.length
  lines.push(`sentra: ${count === 0 ? 'no secrets found' : `${count} secret${count === 1 ? '' : 's'} found`} in ${report.stats.files} file${report.stats.files === 1 ? '' : 's'}.`)
  return `${lines.join('\n')}\n`
}
