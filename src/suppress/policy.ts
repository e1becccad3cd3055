import type { Notice } from '../scan/finding.js'
import type { ScanReport } from '../scan/report-data.js'
import type { Severity } from '../scan/rule.js'
import { applySuppressions } from './apply.js'
import type { IgnoreEntry } from './ignore-file.js'
import { failingFindings } from './fail-on.js'
import { loadSuppressions } from './load.js'

export interface PolicyInput {
  /** Repository root (or scan base directory): where `.sentraignore` lives. */
  root: string
  /** Directory a relative `baseline` path is resolved against. */
  cwd?: string
  baseline?: string
  failOn?: Severity
  reportUnusedIgnores?: boolean
}

export interface PolicyOutcome {
  /** What to render: suppressed findings removed, notices added. */
  report: ScanReport
  /** Findings at or above --fail-on. */
  failing: number
  unusedIgnores: IgnoreEntry[]
  /** Whether the command exits 1. */
  fails: boolean
}

/**
 * Everything between a raw scan and its exit code, shared by `scan` and `guard`: `.sentraignore`,
 * the baseline, `--fail-on` and `--report-unused-ignores`. Reads files, never writes any.
 */
export function applyPolicy(raw: ScanReport, input: PolicyInput): PolicyOutcome {
  const suppressions = loadSuppressions(input.root, {
    ...(input.baseline !== undefined ? { baseline: input.baseline } : {}),
    ...(input.cwd !== undefined ? { cwd: input.cwd } : {}),
    reportUnusedIgnores: input.reportUnusedIgnores === true,
  })
  const { report, unusedIgnores } = applySuppressions(raw, suppressions)
  const failing = failingFindings(report.findings, input.failOn).length
  const below = report.findings.length - failing
  if (below > 0) {
    const notice: Notice = { kind: 'info', message: `${below} finding${below === 1 ? '' : 's'} below --fail-on ${input.failOn} reported without failing` }
    report.notices.push(notice)
  }
  const unusedFail = input.reportUnusedIgnores === true && unusedIgnores.length > 0
  return { report, failing, unusedIgnores, fails: failing > 0 || unusedFail }
}
