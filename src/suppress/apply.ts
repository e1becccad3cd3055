import micromatch from 'micromatch'
import type { Finding, Notice } from '../scan/finding.js'
import type { ScanReport } from '../scan/report-data.js'
import type { Baseline } from './baseline.js'
import { IGNORE_FILE, type IgnoreEntry } from './ignore-file.js'

export interface SuppressionOptions {
  /** Entries of `.sentraignore` (see loadIgnoreFile). */
  ignores?: readonly IgnoreEntry[]
  /** Where the entries came from, for messages. */
  ignoreSource?: string
  /** Accepted findings: only findings not in it remain. */
  baseline?: Baseline
  baselineSource?: string
  /** Add a notice for every ignore entry that matched no finding. */
  reportUnusedIgnores?: boolean
  /**
   * sentra's own fingerprint files (repo-relative): their `rule-id:hash` lines read like `token: value`
   * assignments to generic rules, and their format admits nothing else, so findings there are dropped.
   */
  ownFiles?: readonly string[]
}

export interface SuppressionResult {
  /** The report without the suppressed findings (stats.findings updated, notices added). */
  report: ScanReport
  ignored: Finding[]
  baselined: Finding[]
  /** Ignore entries that matched no finding of this scan (always computed; noticed only on request). */
  unusedIgnores: IgnoreEntry[]
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

/**
 * Removes from a report the findings that `.sentraignore` or a baseline accept. Pure: reads and
 * writes no file, so the guard can use it on every commit without ever touching the baseline.
 */
export function applySuppressions(report: ScanReport, options: SuppressionOptions): SuppressionResult {
  const ignores = options.ignores ?? []
  const byFingerprint = new Map<string, { entry: IgnoreEntry; matches: (file: string) => boolean }[]>()
  for (const entry of ignores) {
    const matches = entry.glob ? micromatch.matcher(entry.glob, { dot: true }) : () => true
    const list = byFingerprint.get(entry.fingerprint) ?? []
    list.push({ entry, matches })
    byFingerprint.set(entry.fingerprint, list)
  }
  const accepted = new Set(options.baseline?.findings.map((entry) => entry.fingerprint) ?? [])
  const own = new Set(options.ownFiles ?? [])
  const used = new Set<IgnoreEntry>()
  const findings: Finding[] = []
  const ignored: Finding[] = []
  const baselined: Finding[] = []
  for (const finding of report.findings) {
    if (own.has(finding.file)) continue
    const hit = byFingerprint.get(finding.fingerprint)?.find((candidate) => candidate.matches(finding.file))
    if (hit) {
      used.add(hit.entry)
      ignored.push(finding)
    } else if (accepted.has(finding.fingerprint)) baselined.push(finding)
    else findings.push(finding)
  }
  const unusedIgnores = ignores.filter((entry) => !used.has(entry))
  const notices: Notice[] = [...report.notices]
  const ignoreSource = options.ignoreSource ?? IGNORE_FILE
  if (ignored.length > 0) notices.push({ kind: 'info', message: `${plural(ignored.length, 'finding')} ignored by ${ignoreSource}` })
  if (baselined.length > 0) {
    notices.push({ kind: 'info', message: `${plural(baselined.length, 'finding')} accepted by the baseline ${options.baselineSource ?? ''}`.trimEnd() })
  }
  if (options.reportUnusedIgnores) {
    for (const entry of unusedIgnores) {
      notices.push({
        file: ignoreSource,
        kind: 'info',
        message: `line ${entry.line}: unused ignore entry ${entry.fingerprint}${entry.glob ? ` ${entry.glob}` : ''} matched no finding`,
      })
    }
  }
  return {
    report: { findings, notices, stats: { ...report.stats, findings: findings.length } },
    ignored,
    baselined,
    unusedIgnores,
  }
}
