import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import type { Finding } from '../scan/finding.js'
import type { ScanContext } from '../scan/context.js'
import { scanPaths } from '../scan/scan-paths.js'
import { toReportPath } from '../scan/sources/files.js'
import { applySuppressions } from './apply.js'
import { DEFAULT_BASELINE, type BaselineEntry } from './baseline.js'
import { IGNORE_FILE, isFingerprint, loadIgnoreFile, SuppressionFileError } from './ignore-file.js'

export type BaselineFinding = Pick<Finding, 'fingerprint' | 'rule' | 'file'>

export interface BaselineScanOptions {
  paths: string[]
  cwd: string
  includeFixtures?: boolean
  threads?: number
}

/**
 * The findings a baseline accepts: a scan of the given paths, minus what `.sentraignore` already
 * suppresses (an ignored finding needs no second acceptance).
 */
export async function scanForBaseline(ctx: ScanContext, options: BaselineScanOptions): Promise<BaselineFinding[]> {
  const report = await scanPaths(ctx, {
    paths: options.paths,
    cwd: options.cwd,
    includeFixtures: options.includeFixtures === true,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  })
  return applySuppressions(report, { ignores: loadIgnoreFile(ctx.baseDir), ownFiles: [IGNORE_FILE, DEFAULT_BASELINE] }).report.findings
}

/**
 * Findings from a `sentra scan --json` report (e.g. of `--history`), so a baseline can accept what
 * any kind of scan found. The report must come from this repository: fingerprints depend on its salt.
 */
export function findingsFromJsonReport(text: string, source: string): BaselineFinding[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    throw new SuppressionFileError(`${source}: not valid JSON: ${(error as Error).message}`)
  }
  const findings = (doc as { version?: unknown; findings?: unknown } | null)?.findings
  if ((doc as { version?: unknown } | null)?.version !== 1 || !Array.isArray(findings)) {
    throw new SuppressionFileError(`${source}: not a sentra JSON report (expected the output of \`sentra scan --json\`)`)
  }
  return findings.map((item, index) => {
    const finding = item as Partial<Finding> | null
    if (!finding || typeof finding.fingerprint !== 'string' || !isFingerprint(finding.fingerprint) || typeof finding.file !== 'string') {
      throw new SuppressionFileError(`${source}: findings[${index}] has no valid fingerprint and file`)
    }
    const rule = typeof finding.rule === 'string' ? finding.rule : finding.fingerprint.slice(0, finding.fingerprint.lastIndexOf(':'))
    return { fingerprint: finding.fingerprint, rule, file: finding.file }
  })
}

export function readJsonReport(path: string, cwd: string): BaselineFinding[] {
  const full = isAbsolute(path) ? path : resolve(cwd, path)
  let text: string
  try {
    text = readFileSync(full, 'utf8')
  } catch (error) {
    throw new SuppressionFileError(`${path}: cannot read: ${(error as Error).message}`)
  }
  return findingsFromJsonReport(text, path)
}

/**
 * Whether a scan of `paths` looked everywhere a baseline entry was seen: only then may an entry the
 * scan did not find be dropped as fixed.
 */
export function coverageOf(baseDir: string, paths: string[], cwd: string): (entry: BaselineEntry) => boolean {
  const prefixes = paths.map((path) => toReportPath(baseDir, isAbsolute(path) ? path : resolve(cwd, path)))
  if (prefixes.includes('.')) return () => true
  const covered = (file: string) => prefixes.some((prefix) => file === prefix || file.startsWith(`${prefix}/`))
  return (entry) => entry.files.every(covered)
}
