import type { ScanReport } from '../scan/report-data.js'
import { VERSION } from '../version.js'

/** Version of the JSON report shape; see schemas/report-v1.schema.json. */
export const JSON_REPORT_VERSION = 1

export function renderJson(report: ScanReport): string {
  return `${JSON.stringify(
    {
      version: JSON_REPORT_VERSION,
      tool: { name: 'sentra', version: VERSION },
      findings: report.findings,
      notices: report.notices,
      stats: report.stats,
    },
    null,
    2,
  )}\n`
}
