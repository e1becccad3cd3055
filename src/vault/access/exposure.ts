import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { BlobReader } from '../../git/cat-file.js'
import { GitError, gitAsync, gitSync } from '../../git/exec.js'
import { decryptAge } from '../age.js'
import { normalizeRepoPath } from '../encoding.js'
import { VaultError } from '../errors.js'
import type { KeyHandle } from '../keystore/index.js'
import { policyForPath, type TeamState } from '../manifest/state.js'
import type { PathSegment } from '../values/aad.js'
import { pathKey, programValue } from '../values/body.js'
import type { ValuesFormat, ValuesMetadata } from '../values/metadata.js'
import { formatForPath, isValuesFormat } from '../values/ops.js'
import { decryptValue } from '../values/value-crypto.js'
import { readValuesFile, unwrapDek, type ValuesFile } from '../values/values-file.js'
import { looksEncrypted } from '../values/verify-values.js'
import { AGE_SUFFIX, SIGNATURE_SUFFIX, parseSignature } from '../whole-file.js'
import { workTreePaths } from './files.js'

/**
 * The exposure report of a removal: for every key of every encrypted file the removed member could
 * read, the last version at which they could read it, and whether the value they saw is still the
 * current one (it must then be changed at its provider: rotating the data key protects only future
 * values). Found by decrypting the file's history with the remover's key, in memory.
 *
 * Values are never kept, printed or returned: each one is reduced at once to a keyed hash under a key
 * drawn for this report alone, and the hashes are compared in constant time. The report holds key
 * names, commits, dates and statuses only.
 *
 * History is the current branch's (`git log HEAD`), path by path, without rename detection: a file
 * moved with `sentra mv` is followed from its new path only; its old path, gone from the work tree,
 * shows its keys as deleted.
 */
export interface ExposureOptions {
  repoRoot: string
  /** The team state BEFORE the removal (to name files by their policy format). */
  state: TeamState
  /** The remover's key: decrypts the history. Never logged. */
  reader: KeyHandle
  /** Name of the removed member (or "bob (device age1…)" for one device). */
  member: string
  /** The removed recipients (every device of the member, or the one device). */
  removed: string[]
  /** Limit to these repo paths of encrypted files (default: every encrypted file in the work tree). */
  paths?: string[]
}

export interface ExposedKey {
  /** The value's path as users write it: DB_PASSWORD, db.password, items[0] …; "(whole file)" for .age */
  key: string
  /** commit null = the uncommitted work-tree version */
  lastReadable: { commit: string | null; date: string | null }
  status: 'still-current' | 'changed-since' | 'deleted'
}

export interface ExposedFile {
  path: string
  kind: 'values' | 'whole'
  keys: ExposedKey[]
  /** Versions that listed a removed key but the reader could not decrypt (not a recipient, damaged): named, never skipped silently. */
  unreadable: Array<{ commit: string | null; reason: string }>
}

export interface ExposureReport {
  version: 1
  member: string
  removedRecipients: string[]
  files: ExposedFile[]
  summary: { mustChange: number; alreadyChanged: number; deleted: number; unreadableVersions: number }
  /** States plainly: old git history stays decryptable with the removed key(s); only changing the secrets at their provider protects them. */
  historyNote: string
}

export { renderExposureText } from './exposure-text.js'

export const WHOLE_FILE_KEY = '(whole file)'

export function historyNote(member: string, removed: readonly string[]): string {
  const keys = removed.length === 1 ? 'the removed key' : `the ${removed.length} removed keys`
  return (
    `Old git history stays decryptable with ${keys}: whoever holds ${removed.length === 1 ? 'it' : 'them'} (${member}, or anyone who gets ${removed.length === 1 ? 'it' : 'them'}) ` +
    'and a clone can still read every version listed here, whatever sentra does now. The fresh data keys protect future values only. ' +
    'Only changing a secret at its provider (a new password, a revoked and re-issued token or certificate) protects it.'
  )
}

export async function exposureReport(options: ExposureOptions): Promise<ExposureReport> {
  const { repoRoot, state, reader } = options
  const removed = [...new Set(options.removed)].sort()
  const session = new Session(repoRoot, reader, removed)
  try {
    const head = resolveHead(repoRoot)
    const candidates = options.paths ? explicitCandidates(state, options.paths) : await discoverCandidates(repoRoot, state, head, session.blobs)
    const files: ExposedFile[] = []
    // A few `git log` processes at a time: each is one path's history; blobs all come from the one cat-file.
    await inPool(candidates, 4, async (candidate) => {
      const file = await session.examine(candidate, head)
      if (file) files.push(file)
    })
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    const keys = files.flatMap((file) => file.keys)
    return {
      version: 1,
      member: options.member,
      removedRecipients: removed,
      files,
      summary: {
        mustChange: keys.filter((key) => key.status === 'still-current').length,
        alreadyChanged: keys.filter((key) => key.status === 'changed-since').length,
        deleted: keys.filter((key) => key.status === 'deleted').length,
        unreadableVersions: files.reduce((sum, file) => sum + file.unreadable.length, 0),
      },
      historyNote: historyNote(options.member, removed),
    }
  } finally {
    session.close()
  }
}

// ---- which files ----

interface Candidate {
  path: string
  kind: 'values' | 'whole'
  format?: ValuesFormat
}

function candidateFor(state: TeamState, path: string): Candidate | undefined {
  if (path.endsWith(SIGNATURE_SUFFIX)) return undefined
  if (path.endsWith(AGE_SUFFIX)) return { path, kind: 'whole' }
  let format: string
  try {
    format = formatForPath(state, path)
  } catch {
    return undefined
  }
  return isValuesFormat(format) ? { path, kind: 'values', format } : undefined
}

function explicitCandidates(state: TeamState, paths: readonly string[]): Candidate[] {
  const seen = new Set<string>()
  const candidates: Candidate[] = []
  for (const given of paths) {
    const path = normalizeRepoPath(given)
    if (seen.has(path)) continue
    seen.add(path)
    const candidate = candidateFor(state, path)
    if (candidate) candidates.push(candidate)
  }
  return candidates
}

/**
 * Every path that is, or was on this branch, an encrypted file: the work tree's (tracked and untracked
 * but not ignored), HEAD's (a `git rm` not committed yet) and those deleted in HEAD's history. A
 * dotenv/JSON/YAML path counts when the team policy manages it or a recent version of it looks
 * encrypted: the history of every package.json is not worth a `git log` each.
 */
async function discoverCandidates(repoRoot: string, state: TeamState, head: string | undefined, blobs: BlobReader): Promise<Candidate[]> {
  const split = (out: Buffer) => out.toString('utf8').split('\0').filter(Boolean)
  const workTree = new Set(workTreePaths(repoRoot))
  const inHead = new Set(head ? split(gitSync(['ls-tree', '-r', '-z', '--name-only', head], repoRoot)) : [])
  /** Deleted path -> the commit that deleted it (newest first, so the first one seen is kept). */
  const deleted = new Map<string, string>()
  if (head) {
    const out = gitSync(['log', '--diff-filter=D', '--name-only', '-z', '--format=%x01%H', head], repoRoot).toString('utf8')
    for (const record of out.split('\x01').slice(1)) {
      const end = record.indexOf('\0')
      const commit = record.slice(0, end)
      for (const path of record.slice(end + 1).replace(/^\n/, '').split('\0').filter(Boolean)) if (!deleted.has(path)) deleted.set(path, commit)
    }
  }
  const candidates: Candidate[] = []
  for (const path of [...new Set([...workTree, ...inHead, ...deleted.keys()])].sort()) {
    const candidate = candidateFor(state, path)
    if (!candidate) continue
    if (candidate.kind === 'values' && !(await valuesCandidate(repoRoot, state, path, head, deleted.get(path), blobs))) continue
    candidates.push(candidate)
  }
  return candidates
}

async function valuesCandidate(repoRoot: string, state: TeamState, path: string, head: string | undefined, deletedAt: string | undefined, blobs: BlobReader): Promise<boolean> {
  if (policyForPath(state, path)) return true
  const file = join(repoRoot, path)
  if (existsSync(file) && statSync(file).isFile() && looksEncrypted(readFileSync(file).toString('utf8'))) return true
  for (const spec of [head ? `${head}:${path}` : undefined, deletedAt ? `${deletedAt}^:${path}` : undefined]) {
    if (!spec) continue
    const blob = await blobs.read(spec)
    if (blob && looksEncrypted(blob.content.toString('utf8'))) return true
  }
  return false
}

// ---- one file's history ----

interface Version {
  /** null: the work-tree version. */
  commit: string | null
  date: string | null
  /** The bytes, and an id that names them (blob id, or a hash of work-tree bytes). Held one version at a time. */
  content: Buffer
  id: string
  /** Whole files: the `.age.sig` text of the same version. */
  signature?: string
}

/** What is known of one key at the newest version the member could read. */
interface Sighting {
  key: string
  commit: string | null
  date: string | null
  /** Same data key and same ciphertext bytes mean the same value, without decrypting. */
  dek: string
  token: string
  /** Keyed hash of the value; undefined when the reader could not decrypt that version. */
  hash?: Buffer
}

class Session {
  readonly blobs: BlobReader
  /** Keyed-hash key for this report only: hashes mean nothing outside it. */
  private readonly hashKey = randomBytes(32)
  private readonly deks = new Map<string, Promise<Uint8Array | VaultError>>()
  /** Whole files: keyed hash of the plaintext by blob, so identical bytes are decrypted once. */
  private readonly wholeHashes = new Map<string, Promise<Buffer | VaultError>>()

  constructor(
    private readonly repoRoot: string,
    private readonly reader: KeyHandle,
    private readonly removed: readonly string[],
  ) {
    this.blobs = new BlobReader(repoRoot)
  }

  close(): void {
    this.blobs.close()
  }

  private hash(bytes: Buffer | string): Buffer {
    return createHmac('sha256', this.hashKey).update(bytes).digest()
  }

  private listsRemoved(recipients: readonly string[]): boolean {
    return recipients.some((recipient) => this.removed.includes(recipient))
  }

  private mentionsRemoved(text: string): boolean {
    return this.removed.some((recipient) => text.includes(recipient))
  }

  async examine(candidate: Candidate, head: string | undefined): Promise<ExposedFile | undefined> {
    const versions = this.versions(candidate, head)
    return candidate.kind === 'whole' ? this.examineWhole(candidate.path, versions) : this.examineValues(candidate.path, candidate.format!, versions)
  }

  /**
   * The path's versions, newest first: the work tree's when it differs from HEAD's, then every commit
   * that changed it. One at a time: a large file with a long history is never all in memory.
   */
  private async *versions(candidate: Candidate, head: string | undefined): AsyncGenerator<Version> {
    const { path } = candidate
    const whole = candidate.kind === 'whole'
    const file = join(this.repoRoot, path)
    const signatureAt = async (commit: string) => (whole ? (await this.blobs.read(`${commit}:${path}${SIGNATURE_SUFFIX}`))?.content.toString('utf8') : undefined)
    if (existsSync(file) && statSync(file).isFile()) {
      const content = readFileSync(file)
      const sigFile = file + SIGNATURE_SUFFIX
      const signature = whole && existsSync(sigFile) ? readFileSync(sigFile, 'utf8') : undefined
      const atHead = head ? await this.blobs.read(`${head}:${path}`) : undefined
      const same = atHead !== undefined && atHead.content.equals(content) && (!whole || (await signatureAt(head!)) === signature)
      if (!same) yield { commit: null, date: null, content, id: `worktree:${sha256(content)}`, ...(signature !== undefined ? { signature } : {}) }
    }
    if (!head) return
    const pathspecs = [path, ...(whole ? [path + SIGNATURE_SUFFIX] : [])].map((spec) => `:(literal)${spec}`)
    // Every commit of HEAD's history that changed the path, side branches included (--full-history):
    // a version committed on a branch and merged away was still readable by whoever fetched it.
    const out = (await gitAsync(['log', '--full-history', '--date-order', '--format=%H%x00%cI', head, '--', ...pathspecs], this.repoRoot)).toString('utf8')
    for (const line of out.split('\n')) {
      if (line === '') continue
      const [commit, date] = line.split('\0') as [string, string]
      const blob = await this.blobs.read(`${commit}:${path}`)
      if (!blob) continue // deleted at this commit
      const signature = await signatureAt(commit)
      yield { commit, date, content: blob.content, id: blob.oid, ...(signature !== undefined ? { signature } : {}) }
    }
  }

  // ---- per-value files ----

  private async examineValues(path: string, format: ValuesFormat, versions: AsyncIterable<Version>): Promise<ExposedFile | undefined> {
    const sightings = new Map<string, Sighting>()
    const unreadable: ExposedFile['unreadable'] = []
    const order: Array<string | null> = []
    let readable = false
    for await (const version of versions) {
      order.push(version.commit)
      const text = version.content.toString('utf8')
      let parsed: ValuesFile
      try {
        parsed = readValuesFile(text, format)
      } catch {
        // The parser's message may quote the file (a clear value): give a reason of our own.
        if (this.mentionsRemoved(text)) {
          readable = true
          unreadable.push({ commit: version.commit, reason: `this version is damaged: it cannot be read as a ${format} file of sentra's (it names a removed key, so it was meant for them)` })
        }
        continue
      }
      const meta = parsed.meta
      if (!meta || !this.listsRemoved(meta.recipients.map((entry) => entry.recipient))) continue
      readable = true
      const dekId = `${meta.id}\0${meta.commit}`
      const encrypted = parsed.body.values.filter((value) => value.token !== undefined)
      // Only values whose last sighting this is, or whose last sighting could not be decrypted but had these very bytes.
      const wanted = encrypted.filter((value) => {
        const seen = sightings.get(pathKey(value.path))
        return !seen || (!seen.hash && seen.dek === dekId && seen.token === value.token)
      })
      for (const value of encrypted) {
        const id = pathKey(value.path)
        if (!sightings.has(id)) sightings.set(id, { key: keyName(format, value.path), commit: version.commit, date: version.date, dek: dekId, token: value.token! })
      }
      // Unwrapped once per data key (cached), so every exposed version is checked, needed or not.
      const dek = await this.dek(meta, path, version.commit)
      if (dek instanceof VaultError) {
        unreadable.push({ commit: version.commit, reason: unreadableReason(dek) })
        continue
      }
      const failed: string[] = []
      for (const value of wanted) {
        const seen = sightings.get(pathKey(value.path))!
        try {
          seen.hash = this.hash(programValue(format, decryptValue(dek, meta.id, value.path, value.token!).plaintext))
        } catch {
          failed.push(keyName(format, value.path))
        }
      }
      if (failed.length > 0) unreadable.push({ commit: version.commit, reason: `value(s) ${failed.join(', ')} failed authentication in this version (changed or damaged)` })
    }
    // A version with no encrypted value (every key plain) exposed nothing.
    if (!readable || (sightings.size === 0 && unreadable.length === 0)) return undefined
    const current = await this.currentValues(path, format, order, sightings, unreadable)
    const keys: ExposedKey[] = [...sightings.entries()].map(([id, seen]) => ({
      key: seen.key,
      lastReadable: { commit: seen.commit, date: seen.date },
      status: compare(seen, current?.get(id)),
    }))
    return { path, kind: 'values', keys, unreadable: sortUnreadable(unreadable, order) }
  }

  /**
   * The work tree's values as keyed hashes, by key path; undefined when the file is gone. Only values
   * that cannot be told apart by their bytes are decrypted. A value the reader cannot decrypt compares
   * as unknown (reported as still current: better a needless change at the provider than a missed one).
   */
  private async currentValues(path: string, format: ValuesFormat, order: ReadonlyArray<string | null>, sightings: Map<string, Sighting>, unreadable: ExposedFile['unreadable']): Promise<Map<string, Current> | undefined> {
    const file = join(this.repoRoot, path)
    if (!existsSync(file) || !statSync(file).isFile()) return undefined
    const text = readFileSync(file, 'utf8')
    let parsed: ValuesFile
    try {
      parsed = readValuesFile(text, format)
    } catch {
      noteCurrentProblem(unreadable, order, `the current version cannot be read as a ${format} file of sentra's, so its values could not be compared: every key is listed as still current`)
      return new Map([...sightings.keys()].map((id) => [id, { unknown: true }]))
    }
    const current = new Map<string, Current>()
    const meta = parsed.meta
    const dekId = meta ? `${meta.id}\0${meta.commit}` : ''
    let dek: Uint8Array | VaultError | undefined
    let problem: string | undefined
    for (const value of parsed.body.values) {
      const id = pathKey(value.path)
      const seen = sightings.get(id)
      if (!seen) continue
      if (value.token === undefined) {
        current.set(id, { hash: this.hash(programValue(format, value.plaintext!)) })
        continue
      }
      if (meta && seen.dek === dekId && seen.token === value.token) {
        current.set(id, { same: true })
        continue
      }
      if (!meta) {
        current.set(id, { unknown: true })
        continue
      }
      dek ??= await this.dek(meta, path, null)
      if (dek instanceof VaultError) {
        problem = unreadableReason(dek)
        current.set(id, { unknown: true })
        continue
      }
      try {
        current.set(id, { hash: this.hash(programValue(format, decryptValue(dek, meta.id, value.path, value.token).plaintext)) })
      } catch {
        problem = `value ${seen.key} failed authentication`
        current.set(id, { unknown: true })
      }
    }
    if (problem) noteCurrentProblem(unreadable, order, `the current version could not be decrypted (${problem}), so some values could not be compared: they are listed as still current`)
    return current
  }

  private dek(meta: ValuesMetadata, path: string, commit: string | null): Promise<Uint8Array | VaultError> {
    const entry = meta.recipients.find((candidate) => candidate.recipient === this.reader.recipient)
    // Wrapped entries are kept byte for byte while a file keeps its data key: unwrap each one once.
    const cacheKey = `${meta.id}\0${meta.commit}\0${entry?.enc ?? ''}`
    let dek = this.deks.get(cacheKey)
    if (!dek) {
      dek = unwrapDek(meta, this.reader, `${path} at ${commit ? commit.slice(0, 12) : 'the work tree'}`).catch((error: unknown) => {
        if (error instanceof VaultError) return error
        throw error
      })
      this.deks.set(cacheKey, dek)
    }
    return dek
  }

  // ---- whole files ----

  private async examineWhole(path: string, versions: AsyncIterable<Version>): Promise<ExposedFile | undefined> {
    const unreadable: ExposedFile['unreadable'] = []
    /** Versions whose recipients cannot be known (no signature file): reported when the file is exposed at all. */
    const unknown: ExposedFile['unreadable'] = []
    const order: Array<string | null> = []
    let seen: Sighting | undefined
    for await (const version of versions) {
      order.push(version.commit)
      // age hides its recipients: only the signature file of the same version names them.
      const signature = version.signature === undefined ? undefined : parseSignature(version.signature)
      let readerListed: boolean | undefined
      if (signature) {
        if (!this.listsRemoved(signature.recipients)) continue
        readerListed = signature.recipients.includes(this.reader.recipient)
      } else if (version.signature === undefined || !this.mentionsRemoved(version.signature)) {
        unknown.push({ commit: version.commit, reason: version.signature === undefined ? 'no signature file at this version: who could read it is unknown' : 'the signature file of this version is damaged: who could read it is unknown' })
        continue
      }
      const token = sha256(version.content)
      const newest = seen === undefined
      seen ??= { key: WHOLE_FILE_KEY, commit: version.commit, date: version.date, dek: '', token }
      // An older version matters only when it has the very bytes of the newest one, not decrypted yet.
      if (!newest && (seen.hash || seen.token !== token)) {
        if (readerListed === false) unreadable.push({ commit: version.commit, reason: 'your key is not a recipient of this version' })
        continue
      }
      const hash = await this.wholeHash(version.id, version.content)
      if (hash instanceof VaultError) {
        unreadable.push({ commit: version.commit, reason: unreadableReason(hash) })
        continue
      }
      seen.hash = hash
    }
    if (!seen) return undefined
    unreadable.push(...unknown)
    let current: Current | undefined
    const file = join(this.repoRoot, path)
    if (existsSync(file) && statSync(file).isFile()) {
      const content = readFileSync(file)
      const token = sha256(content)
      if (token === seen.token) current = { same: true }
      else {
        const hash = await this.wholeHash(`worktree:${token}`, content)
        if (hash instanceof VaultError) {
          current = { unknown: true }
          noteCurrentProblem(unreadable, order, `the current version could not be decrypted (${unreadableReason(hash)}), so it could not be compared: listed as still current`)
        } else current = { hash }
      }
    }
    return { path, kind: 'whole', keys: [{ key: WHOLE_FILE_KEY, lastReadable: { commit: seen.commit, date: seen.date }, status: compare(seen, current) }], unreadable: sortUnreadable(unreadable, order) }
  }

  /** Decrypts a whole file in memory and keeps only the keyed hash of its plaintext. */
  private wholeHash(id: string, ciphertext: Buffer): Promise<Buffer | VaultError> {
    let hash = this.wholeHashes.get(id)
    if (!hash) {
      hash = decryptAge(new Uint8Array(ciphertext), this.reader.decryptKeys()).then(
        (plaintext) => this.hash(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength)),
        (error: unknown) => {
          if (error instanceof VaultError) return error
          throw error
        },
      )
      this.wholeHashes.set(id, hash)
    }
    return hash
  }
}

type Current = { same: true } | { hash: Buffer } | { unknown: true }

function compare(seen: Sighting, current: Current | undefined): ExposedKey['status'] {
  if (!current) return 'deleted'
  if ('same' in current) return 'still-current'
  if ('unknown' in current || !seen.hash) return 'still-current'
  return timingSafeEqual(seen.hash, current.hash) ? 'still-current' : 'changed-since'
}

/** Adds the current version's problem once, under the version it is (the work tree's, or HEAD's when they are equal). */
function noteCurrentProblem(unreadable: ExposedFile['unreadable'], order: ReadonlyArray<string | null>, reason: string): void {
  const commit = order[0] ?? null
  if (!unreadable.some((entry) => entry.commit === commit)) unreadable.push({ commit, reason })
}

function sortUnreadable(unreadable: ExposedFile['unreadable'], order: ReadonlyArray<string | null>): ExposedFile['unreadable'] {
  const index = new Map(order.map((commit, at) => [commit, at]))
  return [...unreadable].sort((a, b) => (index.get(a.commit) ?? 0) - (index.get(b.commit) ?? 0))
}

function unreadableReason(error: VaultError): string {
  switch (error.kind) {
    case 'not-recipient':
    case 'age-no-match':
      return 'your key is not a recipient of this version'
    case 'values:commitment':
      return 'the data key wrapped for you does not match the file\'s DEK commitment (its author gave recipients different keys)'
    default:
      return error.kind.startsWith('age-') ? `the part encrypted to you is damaged (${error.message})` : 'this version could not be decrypted with your key'
  }
}

/** A value's path as users write it: DB_PASSWORD; db.password, items[0], a["x.y"] for JSON/YAML. */
export function keyName(format: ValuesFormat, path: readonly PathSegment[]): string {
  if (format === 'dotenv' && path.length === 1 && 'key' in path[0]!) return path[0].key
  let name = ''
  for (const segment of path) {
    if ('index' in segment) name += `[${segment.index}]`
    else if (/^[A-Za-z0-9_-]+$/.test(segment.key)) name += name === '' ? segment.key : `.${segment.key}`
    else name += `[${JSON.stringify(segment.key)}]`
  }
  return name
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function resolveHead(repoRoot: string): string | undefined {
  try {
    return gitSync(['rev-parse', '--verify', '-q', 'HEAD^{commit}'], repoRoot).toString('utf8').trim() || undefined
  } catch (error) {
    if (error instanceof GitError) return undefined // no commit yet
    throw error
  }
}

async function inPool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker))
}

