import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VaultError } from '../errors.js'
import { parseBody, pathKey } from './body.js'
import type { RecipientEntry, ValuesFormat } from './metadata.js'
import { describePath } from './value-crypto.js'
import type { ValuesFile } from './values-file.js'

/**
 * The per-value three-way merge, with no key: the bodies are merged line by line with each token
 * replaced by a placeholder that names its path (so a value changed on one side is an unchanged line
 * to git), then each path takes the side whose token changed. It needs both sides to share a DEK
 * (same file id and commitment): tokens under different DEKs cannot be compared.
 */
export type MergeOutcome =
  | { kind: 'merged'; body: string; recipients: RecipientEntry[]; plain: string[]; id: string; commit: string }
  /** Same key changed on both sides: `body` holds every other change merged and ours for those keys. */
  | { kind: 'conflict'; keys: string[]; body?: string; recipients: RecipientEntry[]; plain: string[]; id: string; commit: string; reason: string }
  | { kind: 'refused'; reason: string }

const PLACEHOLDER_PREFIX = 'sentra-merge-value:'

function placeholder(key: string): string {
  return PLACEHOLDER_PREFIX + createHash('sha256').update(key).digest('hex').slice(0, 32)
}

interface Side {
  skeleton: string
  tokens: Map<string, string>
  paths: Map<string, string>
}

function side(file: ValuesFile): Side {
  let skeleton = file.split.body
  const tokens = new Map<string, string>()
  const paths = new Map<string, string>()
  for (const value of file.body.values) {
    if (value.token === undefined) continue
    const key = pathKey(value.path)
    tokens.set(key, value.token)
    paths.set(placeholder(key), key)
    skeleton = skeleton.split(value.token).join(placeholder(key))
  }
  return { skeleton, tokens, paths }
}

/** git merge-file on three texts; returns the merged text (diff3 markers on conflict) and the conflict count. */
function mergeFile(ours: string, base: string, theirs: string): { text: string; conflicts: number } {
  const dir = mkdtempSync(join(tmpdir(), 'sentra-merge-'))
  try {
    const files = { ours: join(dir, 'ours'), base: join(dir, 'base'), theirs: join(dir, 'theirs') }
    writeFileSync(files.ours, ours)
    writeFileSync(files.base, base)
    writeFileSync(files.theirs, theirs)
    const result = spawnSync('git', ['merge-file', '-p', '--diff3', '-L', 'ours', '-L', 'base', '-L', 'theirs', files.ours, files.base, files.theirs], { encoding: 'utf8', maxBuffer: 1 << 28 })
    if (result.status === null || result.status < 0 || result.status > 127) throw new VaultError(`git merge-file failed: ${result.stderr.trim()}`, 'merge')
    return { text: result.stdout, conflicts: result.status }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Resolves conflict blocks where both sides only inserted lines at the same place: ours, then
 * theirs. The base part is empty, or (JSON) one line both sides only gave a trailing comma before
 * adding members after it. The caller checks that the result still parses with unique keys.
 */
function keepBothInsertions(text: string): string | undefined {
  const block = /^<{7} ours\n([\s\S]*?)^\|{7} base\n([\s\S]*?)^={7}\n([\s\S]*?)^>{7} theirs\n/m
  let out = text
  for (let match = block.exec(out); match; match = block.exec(out)) {
    const [, ours, base, theirs] = match as unknown as [string, string, string, string]
    let resolved: string | undefined
    if (base === '') resolved = ours + theirs
    else if (/^[^\n]*\n$/.test(base)) {
      const comma = `${base.slice(0, -1)},\n`
      if (ours.startsWith(comma) && theirs.startsWith(comma)) {
        const ourRest = ours.slice(comma.length)
        const theirRest = theirs.slice(comma.length)
        if (ourRest !== '' && theirRest !== '') resolved = comma + (ourRest.endsWith(',\n') ? ourRest : `${ourRest.slice(0, -1)},\n`) + theirRest
      }
    }
    if (resolved === undefined) return undefined
    out = out.slice(0, match.index) + resolved + out.slice(match.index + match[0].length)
  }
  return out
}

function threeWay<T>(base: T | undefined, ours: T | undefined, theirs: T | undefined, same: (a: T | undefined, b: T | undefined) => boolean): { value: T | undefined; conflict: boolean } {
  if (same(ours, theirs)) return { value: ours, conflict: false }
  if (same(ours, base)) return { value: theirs, conflict: false }
  if (same(theirs, base)) return { value: ours, conflict: false }
  return { value: ours, conflict: true }
}

function mergeRecipients(base: readonly RecipientEntry[], ours: readonly RecipientEntry[], theirs: readonly RecipientEntry[]): RecipientEntry[] {
  const has = (list: readonly RecipientEntry[], recipient: string) => list.some((entry) => entry.recipient === recipient)
  const all = [...new Set([...ours, ...theirs].map((entry) => entry.recipient))].sort()
  const kept = all.filter((recipient) => {
    const inBase = has(base, recipient)
    // A side that had the entry in the base and dropped it removed it; a side that added it granted it.
    if (inBase) return has(ours, recipient) && has(theirs, recipient)
    return true
  })
  return kept.map((recipient) => ours.find((entry) => entry.recipient === recipient) ?? theirs.find((entry) => entry.recipient === recipient)!)
}

export function mergeValues(base: ValuesFile | undefined, ours: ValuesFile, theirs: ValuesFile, format: ValuesFormat): MergeOutcome {
  if (!ours.meta || !theirs.meta) return { kind: 'refused', reason: 'one side is not a sentra-encrypted file' }
  if (ours.meta.id !== theirs.meta.id) return { kind: 'refused', reason: 'the two sides are different files (different file ids): one side re-created it' }
  if (ours.meta.commit !== theirs.meta.commit) return { kind: 'refused', reason: 'one side gave the file a new data key (rotation): values encrypted under different keys cannot be merged without decrypting' }
  // A base under another data key shares no tokens with the sides: every difference is then a conflict.
  const usableBase = base?.meta && base.meta.id === ours.meta.id ? base : undefined
  const o = usableBase ? side(usableBase) : { skeleton: '', tokens: new Map<string, string>(), paths: new Map<string, string>() }
  const a = side(ours)
  const b = side(theirs)
  const plain = threeWay(usableBase?.meta?.plain, ours.meta.plain, theirs.meta.plain, (x, y) => JSON.stringify(x) === JSON.stringify(y))
  const recipients = mergeRecipients(usableBase?.meta?.recipients ?? [], ours.meta.recipients, theirs.meta.recipients)
  const common = { recipients, plain: plain.value ?? ours.meta.plain, id: ours.meta.id, commit: ours.meta.commit }
  if (plain.conflict) return { kind: 'conflict', keys: [], recipients, plain: ours.meta.plain, id: ours.meta.id, commit: ours.meta.commit, reason: 'both sides changed the plain-key list differently' }

  const merged = mergeFile(a.skeleton, o.skeleton, b.skeleton)
  let skeleton = merged.text
  if (merged.conflicts > 0) {
    const resolved = keepBothInsertions(skeleton)
    if (resolved === undefined) return { kind: 'conflict', keys: [], ...common, reason: 'both sides changed the same lines (comments, keys or layout), not only values' }
    skeleton = resolved
  }
  let parsed
  try {
    parsed = parseBody(skeleton, format)
  } catch (error) {
    return { kind: 'conflict', keys: [], ...common, reason: `the merged lines do not form a valid file (${(error as Error).message})` }
  }
  const paths = new Map([...o.paths, ...a.paths, ...b.paths])
  const conflicts: string[] = []
  const seen = new Set<string>()
  const replacements = new Map<string, string>()
  for (const value of parsed.values) {
    const text = value.plaintext ?? ''
    if (!text.startsWith(PLACEHOLDER_PREFIX)) continue
    const key = paths.get(text.replace(/^"|"$/g, ''))
    if (key === undefined || key !== pathKey(value.path) || seen.has(key)) {
      conflicts.push(describePath(value.path))
      continue
    }
    seen.add(key)
    const result = threeWay(o.tokens.get(key), a.tokens.get(key), b.tokens.get(key), (x, y) => x === y)
    if (result.conflict) conflicts.push(describePath(value.path))
    replacements.set(placeholder(key), result.value ?? a.tokens.get(key) ?? b.tokens.get(key)!)
  }
  // A value changed on one side and removed on the other.
  for (const [key, token] of o.tokens) {
    if (seen.has(key)) continue
    const changedOurs = a.tokens.has(key) && a.tokens.get(key) !== token
    const changedTheirs = b.tokens.has(key) && b.tokens.get(key) !== token
    if (changedOurs || changedTheirs) conflicts.push(`${describePath(JSON.parse(key).map((s: string | number) => (typeof s === 'number' ? { index: s } : { key: s })))} (changed on one side, removed on the other)`)
  }
  let body = skeleton
  for (const [mark, token] of replacements) body = body.split(mark).join(token)
  if (body.includes(PLACEHOLDER_PREFIX)) return { kind: 'conflict', keys: conflicts, ...common, reason: 'a value moved to another key' }
  if (conflicts.length > 0) return { kind: 'conflict', keys: conflicts, body, ...common, reason: 'the same key changed on both sides' }
  return { kind: 'merged', body, ...common }
}
