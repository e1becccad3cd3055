import { readFileSync } from 'node:fs'
import type { Finding } from '../scan/finding.js'
import { isFingerprint, SuppressionFileError } from './ignore-file.js'

/** Where `sentra baseline create` writes by default. */
export const DEFAULT_BASELINE = '.sentra/baseline.json'
export const BASELINE_VERSION = 1

export interface BaselineEntry {
  fingerprint: string
  rule: string
  /** Where the secret was seen when it was accepted, for people reading the file; matching ignores it. */
  files: string[]
}

/**
 * Accepted findings: a scan with `--baseline` fails only on findings whose fingerprint is not here.
 * The file holds no timestamps, line numbers or counts, is sorted by fingerprint, and has one entry
 * per line, so two branches that accept different findings merge without conflicts in most cases.
 */
export interface Baseline {
  version: typeof BASELINE_VERSION
  findings: BaselineEntry[]
}

export function emptyBaseline(): Baseline {
  return { version: BASELINE_VERSION, findings: [] }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function normalise(entries: Iterable<BaselineEntry>): BaselineEntry[] {
  const byFingerprint = new Map<string, BaselineEntry>()
  for (const entry of entries) {
    const existing = byFingerprint.get(entry.fingerprint)
    const files = new Set([...(existing?.files ?? []), ...entry.files])
    byFingerprint.set(entry.fingerprint, { fingerprint: entry.fingerprint, rule: entry.rule, files: [...files].sort(compareStrings) })
  }
  return [...byFingerprint.values()].sort((a, b) => compareStrings(a.fingerprint, b.fingerprint))
}

export function baselineFromFindings(findings: readonly Pick<Finding, 'fingerprint' | 'rule' | 'file'>[]): Baseline {
  return {
    version: BASELINE_VERSION,
    findings: normalise(findings.map((f) => ({ fingerprint: f.fingerprint, rule: f.rule, files: [f.file] }))),
  }
}

/** The exact bytes of a baseline file: the same findings always give the same file. */
export function serializeBaseline(baseline: Baseline): string {
  const entries = normalise(baseline.findings).map((entry) => `    ${JSON.stringify(entry)}`)
  const body = entries.length === 0 ? '[]' : `[\n${entries.join(',\n')}\n  ]`
  return `{\n  "version": ${BASELINE_VERSION},\n  "findings": ${body}\n}\n`
}

export function parseBaseline(text: string, source: string): Baseline {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    throw new SuppressionFileError(`${source}: not valid JSON: ${(error as Error).message}`)
  }
  const bad = (what: string) => new SuppressionFileError(`${source}: ${what} (create one with \`sentra baseline create\`)`)
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('not a sentra baseline')
  const { version, findings, ...rest } = doc as Record<string, unknown>
  if (version !== BASELINE_VERSION) throw bad(`unsupported baseline version ${JSON.stringify(version)}`)
  const unknown = Object.keys(rest)
  if (unknown.length > 0) throw bad(`unknown key "${unknown[0]}"`)
  if (!Array.isArray(findings)) throw bad('"findings" must be an array')
  const entries = findings.map((item, index): BaselineEntry => {
    const entry = item as Partial<BaselineEntry> | null
    if (!entry || typeof entry.fingerprint !== 'string' || !isFingerprint(entry.fingerprint)) {
      throw bad(`findings[${index}]: "fingerprint" must be a fingerprint (rule-id:16 hex digits)`)
    }
    const files = entry.files ?? []
    if (!Array.isArray(files) || files.some((file) => typeof file !== 'string')) throw bad(`findings[${index}]: "files" must be an array of paths`)
    const rule = typeof entry.rule === 'string' ? entry.rule : entry.fingerprint.slice(0, entry.fingerprint.lastIndexOf(':'))
    return { fingerprint: entry.fingerprint, rule, files }
  })
  return { version: BASELINE_VERSION, findings: normalise(entries) }
}

export function loadBaseline(file: string, source = file): Baseline {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SuppressionFileError(code === 'ENOENT' ? `${source}: no such baseline file (create it with \`sentra baseline create\`)` : `${source}: cannot read: ${(error as Error).message}`)
  }
  return parseBaseline(text, source)
}

export interface BaselineUpdate {
  baseline: Baseline
  added: BaselineEntry[]
  removed: BaselineEntry[]
  kept: number
}

/**
 * Folds a fresh scan into a baseline: new fingerprints are added; entries the scan no longer found
 * are removed when `covers(entry)` says the scan looked everywhere the entry was seen (a scan of
 * `src/` cannot tell whether a secret in `docs/` is gone).
 */
export function updateBaseline(
  previous: Baseline,
  findings: readonly Pick<Finding, 'fingerprint' | 'rule' | 'file'>[],
  covers: (entry: BaselineEntry) => boolean,
): BaselineUpdate {
  const fresh = baselineFromFindings(findings).findings
  const freshByFingerprint = new Map(fresh.map((entry) => [entry.fingerprint, entry]))
  const previousFingerprints = new Set(previous.findings.map((entry) => entry.fingerprint))
  const added = fresh.filter((entry) => !previousFingerprints.has(entry.fingerprint))
  const removed: BaselineEntry[] = []
  const kept: BaselineEntry[] = []
  for (const entry of previous.findings) {
    const seen = freshByFingerprint.get(entry.fingerprint)
    if (seen) kept.push({ ...entry, files: covers(entry) ? seen.files : [...entry.files, ...seen.files] })
    else if (covers(entry)) removed.push(entry)
    else kept.push(entry)
  }
  return { baseline: { version: BASELINE_VERSION, findings: normalise([...kept, ...added]) }, added, removed, kept: kept.length }
}
