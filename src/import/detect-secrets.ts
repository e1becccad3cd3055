import type { ScanContext } from '../scan/context.js'
import type { BaselineFinding } from '../suppress/baseline-sources.js'
import type { IgnoreEntry } from '../suppress/ignore-file.js'
import { ImportError } from './errors.js'
import { recoverEntries, type OldEntry, type Recovered, type Unrecovered } from './rescan.js'

export interface DetectSecretsEntry extends OldEntry {
  /** `is_secret` from `detect-secrets audit`: false = a false positive, true = a real secret, undefined = not audited. */
  isSecret?: boolean
}

/** Parses a detect-secrets `.secrets.baseline` (JSON, any 1.x version). */
export function parseDetectSecretsBaseline(text: string): DetectSecretsEntry[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    throw new ImportError(`not valid JSON: ${(error as Error).message}`)
  }
  const results = (doc as { results?: unknown } | null)?.results
  if (!results || typeof results !== 'object' || Array.isArray(results)) {
    throw new ImportError('not a detect-secrets baseline: no "results" object')
  }
  const entries: DetectSecretsEntry[] = []
  for (const [file, list] of Object.entries(results as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new ImportError(`results["${file}"] must be an array`)
    for (const item of list) {
      const result = item as { type?: unknown; hashed_secret?: unknown; line_number?: unknown; is_secret?: unknown; filename?: unknown }
      if (typeof result.type !== 'string' || typeof result.line_number !== 'number') {
        throw new ImportError(`results["${file}"]: an entry lacks "type" or "line_number"`)
      }
      const entry: DetectSecretsEntry = {
        label: `${result.type} at ${file}:${result.line_number}`,
        file: typeof result.filename === 'string' ? result.filename : file,
        line: result.line_number,
        rule: result.type,
      }
      if (typeof result.hashed_secret === 'string' && /^[0-9a-f]{40}$/.test(result.hashed_secret)) entry.hashedSecret = result.hashed_secret
      if (typeof result.is_secret === 'boolean') entry.isSecret = result.is_secret
      entries.push(entry)
    }
  }
  return entries
}

export interface DetectSecretsImport {
  /** Audited false positives: into `.sentraignore`. */
  ignores: Omit<IgnoreEntry, 'line'>[]
  /** Known, not (yet) dismissed: into the baseline, so only new findings fail, as with detect-secrets. */
  baseline: BaselineFinding[]
  recovered: Recovered[]
  unrecovered: Unrecovered[]
  total: number
}

/**
 * Carries a detect-secrets baseline over: entries audited as false positives become `.sentraignore`
 * fingerprints; the others (real or unaudited) become sentra baseline entries. Each is re-found by
 * re-scanning its file and comparing the SHA-1 detect-secrets kept of the secret.
 */
export function importDetectSecrets(ctx: ScanContext, text: string): DetectSecretsImport {
  const entries = parseDetectSecretsBaseline(text)
  const { recovered, unrecovered } = recoverEntries(ctx, 'detect-secrets', entries)
  const ignores: Omit<IgnoreEntry, 'line'>[] = []
  const baseline: BaselineFinding[] = []
  for (const { entry, findings, by } of recovered) {
    const audited = (entry as DetectSecretsEntry).isSecret
    for (const finding of findings) {
      if (audited === false) {
        ignores.push({ fingerprint: finding.fingerprint, comment: `detect-secrets false positive: ${entry.rule} at ${entry.file}:${entry.line}${by === 'location' ? ', matched by location' : ''}` })
      } else baseline.push({ fingerprint: finding.fingerprint, rule: finding.rule, file: finding.file })
    }
  }
  return { ignores, baseline, recovered, unrecovered, total: entries.length }
}
