/**
 * The body of `sentra scan`, shared by the oclif command (src/commands/scan.ts) and the fast entry
 * that skips oclif (src/fast/scan.ts): both parse the same flags into ScanFlags and call runScan, so
 * what a scan prints and how it exits cannot depend on the way it was started.
 */
import { readFileSync } from 'node:fs'
import { EXIT_FINDINGS, EXIT_OK, UserError } from './errors.js'
import { useColor, writeFileAtomic } from './output.js'
import { loadConfigFile } from '../config/config.js'
import { renderReport, type ReportFormat } from '../report/index.js'
import { createScanContext } from '../scan/context.js'
import type { ScanReport } from '../scan/report-data.js'
import type { Severity } from '../scan/rule.js'
import { scanPaths, scanText } from '../scan/scan-paths.js'
import { applyPolicy } from '../suppress/index.js'

/** The parsed flags of `sentra scan`, as oclif gives them: booleans without a default are undefined when absent. */
export interface ScanFlags {
  stdin?: boolean
  'stdin-filename'?: string
  format: string
  json?: boolean
  output?: string
  color?: boolean
  redact: boolean
  'include-fixtures'?: boolean
  config?: string
  threads?: number
  verbose?: boolean
  baseline?: string
  'fail-on'?: string
  'report-unused-ignores'?: boolean
  staged?: boolean
  history?: boolean
  since?: string
  range?: string
  commits?: number
}

const GIT_SOURCES = ['staged', 'history', 'since', 'range', 'commits'] as const

/**
 * The git-sourced scans (--staged, --history, ...), or undefined when no such flag is given. Loaded
 * on demand: their module carries oclif's flag definitions and the progress bar, which a scan of
 * paths does not need.
 */
async function gitScan(ctx: ReturnType<typeof createScanContext>, flags: ScanFlags, paths: string[], format: ReportFormat): Promise<ScanReport | undefined> {
  if (!GIT_SOURCES.some((source) => flags[source] !== undefined && flags[source] !== false)) return undefined
  const { runGitScan } = await import('./git-scan.js')
  return runGitScan(ctx, flags, {
    cwd: process.cwd(),
    paths,
    noRedact: !flags.redact,
    includeFixtures: flags['include-fixtures'],
    progress: format === 'text' && !flags.output,
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
  })
}

/** Runs a scan as the flags and paths ask, prints or writes its report, and returns the exit code. */
export async function runScan(flags: ScanFlags, argv: string[]): Promise<number> {
  const format: ReportFormat = flags.json ? 'json' : (flags.format as ReportFormat)
  const cwd = process.cwd()
  const config = flags.config ? loadConfigFile(flags.config) : undefined
  const ctx = createScanContext(cwd, config ? { config } : {})
  const paths = argv.length > 0 ? argv : ['.']
  if (flags.stdin && argv.length > 0) throw new UserError('give either paths or --stdin, not both')
  const fromGit = await gitScan(ctx, flags, argv, format)
  const report = fromGit ?? (flags.stdin
    ? scanText(ctx, readFileSync(0, 'utf8'), flags['stdin-filename'] ?? 'stdin', !flags.redact)
    : await scanPaths(ctx, {
        paths,
        cwd,
        noRedact: !flags.redact,
        includeFixtures: flags['include-fixtures'],
        ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
      }))
  const failOn = flags['fail-on'] as Severity | undefined
  const outcome = applyPolicy(report, {
    root: ctx.baseDir,
    cwd,
    ...(flags.baseline !== undefined ? { baseline: flags.baseline } : {}),
    ...(failOn ? { failOn } : {}),
    reportUnusedIgnores: flags['report-unused-ignores'],
  })
  const output = renderReport(outcome.report, format, {
    color: flags.output ? false : useColor(flags.color),
    verbose: flags.verbose,
    context: 'scan',
  }, failOn ? { failOn } : {})
  if (flags.output) writeFileAtomic(flags.output, output)
  else process.stdout.write(output)
  return outcome.fails ? EXIT_FINDINGS : EXIT_OK
}
