import type { Finding } from '../scan/finding.js'
import { severityRank, type Severity } from '../scan/rule.js'

/**
 * The findings that make a scan fail under `--fail-on SEVERITY`: those at or above it. The others are
 * still reported; they just do not turn the exit code to 1. Without a threshold every finding fails.
 */
export function failingFindings(findings: readonly Finding[], failOn: Severity | undefined): Finding[] {
  if (failOn === undefined) return [...findings]
  const min = severityRank(failOn)
  return findings.filter((finding) => severityRank(finding.severity) >= min)
}

export function failsAt(finding: Pick<Finding, 'severity'>, failOn: Severity | undefined): boolean {
  return failOn === undefined || severityRank(finding.severity) >= severityRank(failOn)
}
