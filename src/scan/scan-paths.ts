import { anyGlob } from './ruleset.js'
import type { ScanContext } from './context.js'
import { DEFAULT_MAX_FILE_SIZE, hasBinaryExtension, isLockfile, isScannerMetadata, isSourceMap } from './defaults.js'
import type { Finding, Notice } from './finding.js'
import { scanFiles } from './pool.js'
import type { ScanReport } from './report-data.js'
import { RuleSet } from './ruleset.js'
import { Scanner } from './scanner.js'
import { enumerateFiles, toReportPath } from './sources/files.js'
import type { FileJob } from './file-scan.js'

export interface PathScanOptions {
  paths: string[]
  cwd: string
  noRedact?: boolean
  includeFixtures?: boolean
  threads?: number
  onProgress?: (done: number, total: number) => void
}

/** Decides which paths a scan skips before reading them, and why. */
export function pathFilter(ctx: ScanContext, includeFixtures = false): (file: string) => string | undefined {
  const allow = ctx.config.allowlist?.paths?.length ? anyGlob(ctx.config.allowlist.paths) : undefined
  const fixtures = !includeFixtures && ctx.config.fixtures?.length ? anyGlob(ctx.config.fixtures) : undefined
  const scanLockfiles = ctx.config.scan?.includeLockfiles === true
  const scanMaps = ctx.config.scan?.includeSourceMaps === true
  return (file) => {
    if (allow?.(file)) return 'allowlisted path'
    if (fixtures?.(file)) return 'test fixture'
    if (!scanLockfiles && isLockfile(file)) return 'lock file'
    if (isScannerMetadata(file)) return 'scanner metadata'
    if (!scanMaps && isSourceMap(file)) return 'source map'
    if (hasBinaryExtension(file)) return 'binary file type'
    return undefined
  }
}

export async function scanPaths(ctx: ScanContext, options: PathScanOptions): Promise<ScanReport> {
  const started = performance.now()
  const skip = pathFilter(ctx, options.includeFixtures)
  const jobs: FileJob[] = []
  let skipped = 0
  for (const path of enumerateFiles(options.paths, options.cwd, ctx.repoRoot)) {
    const file = toReportPath(ctx.baseDir, path)
    if (skip(file) !== undefined) skipped++
    else jobs.push({ path, file })
  }
  const results = await scanFiles(jobs, {
    rules: ctx.rules,
    options: { salt: ctx.salt, noRedact: options.noRedact === true },
    maxFileSize: ctx.config.scan?.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  })
  const findings: Finding[] = []
  const notices: Notice[] = [...ctx.notices]
  let bytes = 0
  let files = 0
  for (const result of results) {
    findings.push(...result.findings)
    notices.push(...result.notices)
    bytes += result.bytes
    if (result.scanned) files++
    else skipped++
  }
  return { findings, notices, stats: { files, bytes, skipped, findings: findings.length, durationMs: Math.round(performance.now() - started) } }
}

/** Scans one text (stdin), reported under `filename`. */
export function scanText(ctx: ScanContext, text: string, filename: string, noRedact = false): ScanReport {
  const started = performance.now()
  const scanner = new Scanner(new RuleSet(ctx.rules), { salt: ctx.salt, noRedact })
  const result = scanner.scanText(text, filename)
  const notices = [...ctx.notices, ...result.notices]
  return {
    findings: result.findings,
    notices,
    stats: { files: 1, bytes: Buffer.byteLength(text), skipped: 0, findings: result.findings.length, durationMs: Math.round(performance.now() - started) },
  }
}
