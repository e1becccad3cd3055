import type { FilePatch } from '../../git/diff-parse.js'
import { readStagedPatches } from '../../git/staged.js'
import type { SentraConfig } from '../../config/config.js'
import type { ScanContext } from '../context.js'
import { DEFAULT_MAX_FILE_SIZE } from '../defaults.js'
import type { Finding, Notice } from '../finding.js'
import type { ScanReport } from '../report-data.js'
import type { RuleSet } from '../ruleset.js'
import { Scanner } from '../scanner.js'
import { PENDING_SALT, addsContent, finalizeFinding, patchText, scanPatchText, windowed } from './patch-scan.js'

export interface StagedScanOptions {
  noRedact?: boolean
  /** Other parents when the commit being made is a merge (see mergeParents in src/git/staged.ts). */
  mergeParents?: string[]
  /** Limit to these repository-relative paths. */
  paths?: string[]
  /** Called once git's diff is read and parsed (for timing). */
  onDiff?: () => void
  /** Receives the staged patches (the guard's link to encrypted files looks at them too). */
  onPatches?: (patches: readonly FilePatch[]) => void
}

/** What a staged scan needs from its caller: the rules, the path filter (src/scan/scan-paths.ts pathFilter) and the salt. */
export interface StagedScanSetup {
  repoRoot: string
  config: SentraConfig
  ruleSet: RuleSet
  /** Why a path is skipped, or undefined to scan it. */
  skip: (path: string) => string | undefined
  /** The fingerprint salt, asked for only when there is a finding. */
  salt: () => string | Promise<string>
  /** Notices of the context (e.g. about the salt), read after the salt. */
  notices?: () => Notice[]
}

/** The setup of a scan that already has a full context. */
export function stagedSetup(ctx: ScanContext, repoRoot: string, ruleSet: RuleSet, skip: (path: string) => string | undefined): StagedScanSetup {
  return { repoRoot, config: ctx.config, ruleSet, skip, salt: () => ctx.salt, notices: () => ctx.notices }
}

/**
 * Scans exactly what is being committed: the lines the index adds against HEAD, reported at their
 * line in the new file. The work tree is never read.
 *
 * Git prints each changed file whole as it is staged (the diff runs with a context as large as any
 * file); the scan covers the added lines with WINDOW_LINES lines around them and keeps only the
 * findings that touch an added line. The staged file, rather than git's hunks, gives the scanner
 * what a hunk lacks: the unchanged line above an addition (a `sentra:allow-next-line` marker there
 * is honoured), the rest of a multi-line secret of which one line changed, and the metadata that
 * marks a file as sops- or sentra-encrypted (a hunk of such a file alone looks like a page of
 * random secrets), wherever it sits in the file.
 *
 * The salt is asked for only when something is found: a clean commit never walks history for it.
 */
export async function scanStaged(setup: StagedScanSetup, options: StagedScanOptions = {}): Promise<ScanReport> {
  // Date.now(), not performance.now(): the performance global costs the guard milliseconds to load.
  const started = Date.now()
  const { repoRoot, skip } = setup
  const maxSize = setup.config.scan?.maxFileSize ?? DEFAULT_MAX_FILE_SIZE
  const patches = readStagedPatches(repoRoot, {
    ...(options.mergeParents ? { mergeParents: options.mergeParents } : {}),
    ...(options.paths ? { paths: options.paths } : {}),
    skip: (path) => skip(path) !== undefined,
  })
  options.onDiff?.()
  options.onPatches?.(patches)
  const scanner = new Scanner(setup.ruleSet, { salt: PENDING_SALT, noRedact: true })
  const findings: Finding[] = []
  const notices: Notice[] = []
  let files = 0
  let skipped = 0
  let bytes = 0
  for (const patch of patches) {
    if (!addsContent(patch)) continue
    if (skip(patch.path) !== undefined) {
      skipped++
      continue
    }
    if (patch.binary) {
      skipped++
      notices.push({ file: patch.path, kind: 'binary', message: 'binary file skipped' })
      continue
    }
    if (patch.texts.reduce((n, line) => n + line.length + 1, 0) > maxSize) {
      skipped++
      notices.push({ file: patch.path, kind: 'too-large', message: `skipped: over the ${maxSize}-byte limit (scan.maxFileSize)` })
      continue
    }
    const result = scanPatchText(scanner, patchText(windowed(patch)))
    findings.push(...result.findings)
    notices.push(...result.notices)
    bytes += result.bytes
    if (result.notices.some((notice) => notice.kind === 'binary')) skipped++
    else files++
  }
  if (findings.length > 0) {
    const salt = await setup.salt()
    for (const finding of findings) finalizeFinding(finding, salt, options.noRedact === true)
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column)
  return {
    findings,
    notices: [...(setup.notices?.() ?? []), ...notices],
    stats: { files, bytes, skipped, findings: findings.length, durationMs: Date.now() - started },
  }
}
