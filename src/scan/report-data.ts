import type { Finding, Notice, ScanStats } from './finding.js'

/** What every scan returns and every renderer takes. */
export interface ScanReport {
  findings: Finding[]
  notices: Notice[]
  stats: ScanStats
}
