import type { ScanReport } from '../scan/report-data.js'
import { renderJson } from './json.js'
import { renderSarif } from './sarif.js'
import { renderText, type TextOptions } from './text.js'

export const REPORT_FORMATS = ['text', 'json', 'sarif'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export function renderReport(report: ScanReport, format: ReportFormat, text: TextOptions): string {
  switch (format) {
    case 'json':
      return renderJson(report)
    case 'sarif':
      return renderSarif(report)
    case 'text':
      return renderText(report, text)
  }
}
