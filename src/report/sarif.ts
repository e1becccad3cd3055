import type * as Sarif from 'sarif'
import type { Finding } from '../scan/finding.js'
import type { Severity } from '../scan/rule.js'
import type { ScanReport } from '../scan/report-data.js'
import { VERSION } from '../version.js'

const LEVEL: Record<Severity, Sarif.ReportingConfiguration.level> = { low: 'note', medium: 'warning', high: 'error', critical: 'error' }
/** GitHub code scanning reads this 0–10 score to rank security alerts. */
const SECURITY_SEVERITY: Record<Severity, string> = { low: '3.0', medium: '5.5', high: '8.0', critical: '9.5' }

function encodeUri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/')
}

export function renderSarif(report: ScanReport): string {
  const ruleIndex = new Map<string, number>()
  const rules: Sarif.ReportingDescriptor[] = []
  const ruleOf = (finding: Finding): number => {
    let index = ruleIndex.get(finding.rule)
    if (index === undefined) {
      index = rules.length
      ruleIndex.set(finding.rule, index)
      rules.push({
        id: finding.rule,
        name: finding.rule.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, c: string) => c.toUpperCase()),
        shortDescription: { text: finding.description },
        fullDescription: { text: `${finding.description}. Detected by sentra rule ${finding.rule}.` },
        help: {
          text: 'Remove the secret from the file and rotate it at the provider; keep it in an encrypted file (sentra encrypt). If it is not a secret, add a `sentra:allow` comment on its line or its fingerprint to .sentraignore.',
        },
        defaultConfiguration: { level: LEVEL[finding.severity] },
        properties: { tags: ['security', 'secret', ...finding.tags], 'security-severity': SECURITY_SEVERITY[finding.severity] },
      })
    }
    return index
  }
  const results: Sarif.Result[] = report.findings.map((finding) => {
    const result: Sarif.Result = {
      ruleId: finding.rule,
      ruleIndex: ruleOf(finding),
      level: LEVEL[finding.severity],
      message: { text: `${finding.description} (${finding.secret})` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: encodeUri(finding.file), uriBaseId: '%SRCROOT%' },
            region: { startLine: finding.line, startColumn: finding.column, endLine: finding.endLine, endColumn: finding.endColumn },
          },
        },
      ],
      partialFingerprints: { 'sentraFingerprint/v1': finding.fingerprint },
    }
    if (finding.commit) {
      result.properties = { commit: finding.commit.commit, author: finding.commit.author, date: finding.commit.date }
    }
    return result
  })
  const log: Sarif.Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'sentra', semanticVersion: VERSION, version: VERSION, informationUri: 'https://github.com/sentra-dev/sentra', rules } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  }
  return `${JSON.stringify(log, null, 2)}\n`
}
