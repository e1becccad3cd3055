import type { Finding } from '../scan/finding.js'
import type { Severity } from '../scan/rule.js'
import type { ScanReport } from '../scan/report-data.js'
import { failsAt } from '../suppress/fail-on.js'
import { VERSION } from '../version.js'

export interface JunitOptions {
  /** Findings below this severity become skipped test cases: reported, but not failing. */
  failOn?: Severity
}

/** Characters XML 1.0 cannot carry at all, even escaped. */
const INVALID_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

function xmlText(text: string): string {
  return text.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function xmlAttr(text: string | number): string {
  return xmlText(String(text)).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;')
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${xmlAttr(value)}"`)
    .join('')
}

function details(finding: Finding): string {
  const lines = [
    `rule: ${finding.rule}`,
    `severity: ${finding.severity}`,
    `location: ${finding.file}:${finding.line}:${finding.column}`,
    `secret: ${finding.secret}`,
    `fingerprint: ${finding.fingerprint}`,
  ]
  if (finding.commit) lines.push(`commit: ${finding.commit.commit} by ${finding.commit.author} on ${finding.commit.date}`)
  lines.push('fix: remove the secret and rotate it; if it is not a secret, add `sentra:allow` on its line or its fingerprint to .sentraignore')
  return lines.join('\n')
}

function testcase(finding: Finding, failOn: Severity | undefined): string {
  const head = `    <testcase${attrs({
    classname: finding.file,
    name: `${finding.rule} at ${finding.file}:${finding.line}:${finding.column}`,
    file: finding.file,
    line: finding.line,
    time: 0,
  })}>`
  const message = `${finding.description} (${finding.severity}): ${finding.secret}`
  const body = failsAt(finding, failOn)
    ? `      <failure${attrs({ type: finding.rule, message })}>${xmlText(details(finding))}</failure>`
    : `      <skipped${attrs({ message: `below --fail-on ${failOn}: ${message}` })}/>\n      <system-out>${xmlText(details(finding))}</system-out>`
  return `${head}\n${body}\n    </testcase>`
}

/**
 * JUnit XML for CI systems that show test reports: one test case per finding (a failure, or skipped
 * when below --fail-on), and one passing case when the scan is clean so the report is never empty.
 */
export function renderJunit(report: ScanReport, options: JunitOptions = {}): string {
  const cases = report.findings.map((finding) => testcase(finding, options.failOn))
  const failures = report.findings.filter((finding) => failsAt(finding, options.failOn)).length
  const skipped = report.findings.length - failures
  if (cases.length === 0) {
    cases.push(`    <testcase${attrs({ classname: 'sentra', name: `no secrets in ${report.stats.files} scanned files`, time: 0 })}/>`)
  }
  const time = (report.stats.durationMs / 1000).toFixed(3)
  const counts = { tests: cases.length, failures, errors: 0, skipped, time }
  const notices = report.notices.filter((notice) => notice.kind !== 'binary' && notice.kind !== 'encrypted')
  const systemOut = notices.length > 0
    ? `\n    <system-out>${xmlText(notices.map((n) => `${n.file ? `${n.file}: ` : ''}${n.message}`).join('\n'))}</system-out>`
    : ''
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'sentra', ...counts })}>`,
    `  <testsuite${attrs({ name: 'sentra secret scan', ...counts })}>`,
    `    <properties>\n      <property${attrs({ name: 'sentra.version', value: VERSION })}/>\n    </properties>`,
    ...cases,
  ].join('\n') + `${systemOut}\n  </testsuite>\n</testsuites>\n`
}
