import type { ScanReport } from '../scan/report-data.js'
import type { Severity } from '../scan/rule.js'
import { renderGithub } from './github.js'
import { renderJson } from './json.js'
import { renderJunit } from './junit.js'
import { renderSarif } from './sarif.js'
import { renderText, type TextOptions } from './text.js'

export const REPORT_FORMATS = ['text', 'json', 'sarif', 'github', 'junit'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

/** The exit policy, for formats that mark failing findings differently from the others. */
export interface PolicyOptions {
  failOn?: Severity
}

export function renderReport(report: ScanReport, format: ReportFormat, text: TextOptions, policy: PolicyOptions = {}): string {
  switch (format) {
    case 'github':
      return renderGithub(report, policy)
    case 'junit':
      return renderJunit(report, policy)
    case 'json':
      return renderJson(report)
    case 'sarif':
      return renderSarif(report)
    case 'text':
      return renderText(report, text)
  }
}
