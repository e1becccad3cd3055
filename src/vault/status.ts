import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readBlobs } from '../git/cat-file.js'
import { gitSync } from '../git/exec.js'
import { listEncryptedFiles, type EncryptedFile } from './access/files.js'
import { pendingChange, type PendingChange } from './access/journal.js'
import { sha256Hex } from './encoding.js'
import { VaultError } from './errors.js'
import { activeMembers, canWritePath, isRemovedRecipient, ownerOfRecipient, ownerOfSigningKey, policyForPath, recipientDrift, recipientsForPath, type TeamState } from './manifest/state.js'
import { loadTrustedTeam } from './manifest/trust.js'
import { REQUESTS_DIR, listRequestFiles, verifyRequest } from './requests.js'
import { checkValuesFile, isValuesFormat } from './values/ops.js'
import { readValuesFile } from './values/values-file.js'
import { AGE_SUFFIX, SIGNATURE_SUFFIX, checkWholeFileSignature, parseSignature, wholeFilePolicy } from './whole-file.js'

/**
 * `sentra status`: what the team's encrypted files need, from public data only (no key, no identity):
 * the team, every encrypted file with its recipients and signer, managed paths committed in clear,
 * recipient drift against the manifest, files not rotated since a key was removed (still listing it,
 * or re-wrapped under a data key that a committed version gave the removed key), removed keys still
 * present, access requests, and an interrupted access change.
 *
 * The JSON shape (`StatusReport`, version 1) is stable: fields may be added, never renamed or removed.
 */

/** A recipient key as people know it. */
export interface StatusKey {
  /** The age recipient (`age1…`). */
  key: string
  /** The member owning it, "recovery" for the team's recovery recipient, or null for a key the manifest never knew. */
  name: string | null
  /** True when the key was removed from the team (with its member, on its own, or replaced by a rekey). */
  removed: boolean
}

export interface StatusFile {
  /** Repo path of the encrypted file: the per-value file itself, or `X.age` (with its signature `X.age.sig`). */
  path: string
  kind: 'values' | 'whole'
  format: 'dotenv' | 'json' | 'yaml' | 'binary'
  /** False for a file not yet added to git. */
  tracked: boolean
  /** Every recipient the file's signed metadata (or `.age.sig`) lists, sorted by key. */
  recipients: StatusKey[]
  /** The signing key and its owner's name (null when no member ever had the key). */
  signer: { key: string; name: string | null } | null
  /** Integrity problems found by the public checks (signature, path binding, who may write, parse errors). */
  problems: string[]
  /**
   * With problems: when only the signer lost the right to write it, how a member checks the content and
   * signs it again (`sentra encrypt --allow-unsigned`, which also rotates away removed keys); else
   * `sentra verify PATH` for the details.
   */
  fix: string | null
}

export interface StatusClearPath {
  path: string
  format: 'dotenv' | 'json' | 'yaml' | 'binary'
  fix: string
}

export interface StatusDrift {
  path: string
  /** Keys the manifest gives this path that the file is not encrypted to. */
  missing: StatusKey[]
  /** Keys the file is encrypted to that may no longer read it (removed keys are under notRotated and removedKeys instead). */
  extra: StatusKey[]
  fix: string
}

export interface StatusNotRotated {
  path: string
  kind: 'values' | 'whole'
  /**
   * still-listed: the file is still encrypted to a removed key.
   * same-data-key: it no longer lists one, but its data key (per-value files: file id + DEK commitment;
   * whole files: the very ciphertext) is the one of a committed version that did.
   */
  reason: 'still-listed' | 'same-data-key'
  removedKeys: StatusKey[]
  /** same-data-key: the newest commit whose version listed a removed key under the current data key. */
  commit: string | null
  fix: string
}

export interface StatusRemovedKey extends StatusKey {
  /** Encrypted files still listing the key. */
  files: string[]
  /** Access request files naming the key. */
  requests: string[]
}

export interface StatusRequest {
  /** Repo path of the request file. */
  file: string
  name: string | null
  key: string | null
  valid: boolean
  /** A request for an existing member's name: approving it adds a device. */
  device: boolean
  problem: string | null
  fix: string
}

export interface StatusPendingChange extends PendingChange {
  fix: string
}

export interface StatusReport {
  version: 1
  team: { name: string; root: string; head: string; entries: number; members: number; recovery: string | null }
  files: StatusFile[]
  clear: StatusClearPath[]
  drift: StatusDrift[]
  notRotated: StatusNotRotated[]
  removedKeys: StatusRemovedKey[]
  requests: StatusRequest[]
  pendingChange: StatusPendingChange | null
  /**
   * What the not-rotated check read from HEAD's history: commits touching the current encrypted files and
   * their distinct versions (both 0 when no key was ever removed: nothing to look for); a shallow clone
   * and versions missing from a partial clone limit it.
   */
  history: { commits: number; versions: number; shallow: boolean; missingBlobs: number }
  notices: string[]
  /** Items that need someone to act: every section above but `files`, valid requests and `history`. */
  attention: number
}

export interface StatusOptions {
  repoRoot: string
  env?: NodeJS.ProcessEnv
  /** `--root`: the expected team root (else SENTRA_TEAM_ROOT or the pinned one). */
  root?: string
}

export async function buildStatus(options: StatusOptions): Promise<StatusReport> {
  const { repoRoot } = options
  const notices: string[] = []
  const { state } = loadTrustedTeam({ repoRoot, env: options.env, purpose: 'verify', notice: (message) => notices.push(message), ...(options.root ? { expectedRoot: options.root } : {}) })
  const naming = keyNamer(state)
  const tracked = trackedPaths(repoRoot)
  const encrypted = listEncryptedFiles(repoRoot, state)

  const files: StatusFile[] = []
  const drift: StatusDrift[] = []
  const notRotated: StatusNotRotated[] = []
  const current = new Map<string, CurrentKey>()
  for (const file of encrypted) {
    const check = checkFile(state, repoRoot, file)
    // The established checks word the problems; the reader's own parse error only when they found none.
    const problems = check.problems.length > 0 || !file.problem ? check.problems : [file.problem]
    // Signed by a key that may no longer write it (removed, demoted or narrowed outside an access change,
    // which re-signs in the same step): access changes refuse to re-sign what nobody vouches for, so a
    // member checks the content and vouches for it.
    const signerMayNotWrite = file.signer !== undefined && problems.length === 1 && !canWritePath(state, file.signer, file.path).ok
    files.push({
      path: file.path,
      kind: file.kind,
      format: file.format,
      tracked: tracked.has(file.path),
      recipients: [...file.recipients].sort().map(naming),
      signer: file.signer ? { key: file.signer, name: ownerOfSigningKey(state, file.signer)?.member.name ?? null } : null,
      problems,
      fix: problems.length === 0 ? null : signerMayNotWrite ? revouchFix(file) : `sentra verify ${file.path}`,
    })
    if (file.problem !== undefined && file.recipients.length === 0) continue
    const fileDrift = recipientDrift(state, file.path, file.recipients, file.oneOff ?? check.oneOff)
    const removed = fileDrift.removed
    if (fileDrift.missing.length > 0 || fileDrift.extra.length > 0) {
      // Adding recipients to a per-value file re-wraps its data key; anything else needs the file re-encrypted under a fresh one.
      const rewrap = file.kind === 'values' && fileDrift.extra.length === 0
      drift.push({ path: file.path, missing: fileDrift.missing.map(naming), extra: fileDrift.extra.map(naming), fix: rewrap ? `sentra encrypt ${file.path}` : `sentra rotate ${file.path}` })
    }
    if (removed.length > 0) {
      notRotated.push({ path: file.path, kind: file.kind, reason: 'still-listed', removedKeys: removed.map(naming), commit: null, fix: `sentra rotate ${file.path}` })
    } else {
      const key = currentKey(file, check.ciphertextHash)
      if (key && tracked.has(historyPath(file))) current.set(historyPath(file), key)
    }
  }

  const history = await historyCheck(repoRoot, state, current)
  for (const [path, match] of history.matches) {
    const file = encrypted.find((candidate) => historyPath(candidate) === path)!
    notRotated.push({ path: file.path, kind: file.kind, reason: 'same-data-key', removedKeys: match.removed.map(naming), commit: match.commit, fix: `sentra rotate ${file.path}` })
  }
  notRotated.sort((a, b) => a.path.localeCompare(b.path))
  if (history.shallow) notices.push('this is a shallow clone: files re-wrapped without a fresh data key are only found within the commits it has')
  if (history.missingBlobs > 0) notices.push(`${history.missingBlobs} version(s) of encrypted files are missing from this partial clone and were not checked`)

  const requests = readRequests(repoRoot, state)
  const removedKeys = collectRemovedKeys(state, encrypted, requests, naming)
  const pending = pendingChange(repoRoot)
  const clear = clearManagedPaths(state, repoRoot, tracked, new Set(encrypted.map((file) => file.path)))
  const invalidFiles = files.filter((file) => file.problems.length > 0).length
  const attention =
    clear.length + drift.length + notRotated.length + removedKeys.length + requests.filter((request) => !request.valid).length + (pending ? 1 : 0) + invalidFiles
  return {
    version: 1,
    team: { name: state.team, root: state.root, head: state.head, entries: state.entries.length, members: activeMembers(state).length, recovery: state.recovery },
    files,
    clear,
    drift,
    notRotated,
    removedKeys,
    requests,
    pendingChange: pending ? { ...pending, fix: `re-run \`${pending.command}\`` } : null,
    history: { commits: history.commits, versions: history.versions, shallow: history.shallow, missingBlobs: history.missingBlobs },
    notices,
    attention,
  }
}

function keyNamer(state: TeamState): (key: string) => StatusKey {
  return (key) => {
    if (key === state.recovery) return { key, name: 'recovery', removed: false }
    const owner = ownerOfRecipient(state, key)
    return { key, name: owner?.member.name ?? null, removed: owner !== undefined && !owner.active }
  }
}

function trackedPaths(repoRoot: string): Set<string> {
  return new Set(gitSync(['ls-files', '-z', '--cached'], repoRoot).toString('utf8').split('\0').filter(Boolean))
}

interface FileCheck {
  problems: string[]
  /** Whole files: one-off recipients outside the team, recorded in the signature (never drift). */
  oneOff: string[]
  /** Whole files: `sha256:` hash of the `.age` bytes, which identifies its file key. */
  ciphertextHash?: string
}

/** The existing public checks (the ones `verify` runs) for one file: integrity problems only, drift is computed below. */
function checkFile(state: TeamState, repoRoot: string, file: EncryptedFile): FileCheck {
  const full = join(repoRoot, file.path)
  if (!existsSync(full)) return { problems: [], oneOff: [] }
  if (file.kind === 'values') {
    if (!isValuesFormat(file.format)) return { problems: [], oneOff: [] }
    return { problems: checkValuesFile(state, file.path, readFileSync(full, 'utf8'), file.format).problems, oneOff: [] }
  }
  const ciphertext = new Uint8Array(readFileSync(full))
  const sigFile = full + SIGNATURE_SUFFIX
  const check = checkWholeFileSignature(state, file.path, ciphertext, existsSync(sigFile) ? readFileSync(sigFile, 'utf8') : undefined)
  return { problems: check.problems, oneOff: check.signature?.oneOff ?? [], ciphertextHash: `sha256:${sha256Hex(ciphertext)}` }
}

function revouchFix(file: EncryptedFile): string {
  if (file.kind === 'values') return `sentra decrypt ${file.path} --allow-unsigned to check its content, then sentra encrypt ${file.path} --allow-unsigned`
  const plain = file.path.slice(0, -AGE_SUFFIX.length)
  return `sentra decrypt ${file.path} -o ${plain} --allow-unsigned to check it, then sentra encrypt ${plain}`
}

/** The path whose history identifies a file's data key: the per-value file itself, or the whole file's signature. */
function historyPath(file: EncryptedFile): string {
  return file.kind === 'values' ? file.path : file.path + SIGNATURE_SUFFIX
}

interface CurrentKey {
  kind: 'values' | 'whole'
  format: EncryptedFile['format']
  /** values: `id:commit`; whole: the `.age` bytes' hash. */
  id: string
}

function currentKey(file: EncryptedFile, ciphertextHash: string | undefined): CurrentKey | undefined {
  if (file.kind === 'values') return file.dek ? { kind: 'values', format: file.format, id: `${file.dek.id}:${file.dek.commit}` } : undefined
  return ciphertextHash ? { kind: 'whole', format: file.format, id: ciphertextHash } : undefined
}

interface HistoryResult {
  matches: Map<string, { commit: string; removed: string[] }>
  commits: number
  versions: number
  shallow: boolean
  missingBlobs: number
}

/**
 * Finds files whose current data key was in a committed version that listed a key removed since:
 * re-wrapping (dropping the removed key's entry) without a fresh DEK leaves every value readable with
 * what that key already unwrapped. One `git log` lists the versions of the current files on HEAD's
 * history (merges included, renames not followed: a file moved with `sentra mv` is checked from its
 * move on), and one `git cat-file --batch` reads them all.
 */
async function historyCheck(repoRoot: string, state: TeamState, current: Map<string, CurrentKey>): Promise<HistoryResult> {
  const result: HistoryResult = { matches: new Map(), commits: 0, versions: 0, shallow: false, missingBlobs: 0 }
  const removedKeys = removedRecipients(state)
  // No key was ever removed: no version can have given one a data key.
  if (current.size === 0 || removedKeys.length === 0 || !hasCommits(repoRoot)) return result
  result.shallow = gitSync(['rev-parse', '--is-shallow-repository'], repoRoot).toString('utf8').trim() === 'true'
  const log = gitSync(
    ['--literal-pathspecs', 'log', 'HEAD', '--full-history', '-m', '--raw', '--no-abbrev', '--no-renames', '-z', '--format=%x01%H', '--', ...current.keys()],
    repoRoot,
  ).toString('utf8')
  // Newest first: the first commit seen for a blob is the newest that holds it.
  const versions = new Map<string, { path: string; commit: string }>()
  const commits = new Set<string>()
  let commit = ''
  let rawLine: string | undefined
  for (const token of log.split('\0')) {
    const field = token.replace(/^\n/, '')
    if (rawLine !== undefined) {
      const blob = rawLine.split(' ')[3]
      if (blob && !/^0+$/.test(blob) && current.has(field) && !versions.has(`${blob} ${field}`)) versions.set(`${blob} ${field}`, { path: field, commit })
      rawLine = undefined
    } else if (field.startsWith('\x01')) {
      commit = field.slice(1)
      commits.add(commit)
    } else if (field.startsWith(':')) {
      rawLine = field
    }
  }
  result.commits = commits.size
  result.versions = versions.size
  if (versions.size === 0) return result
  // Metadata and signature files are small; a version over 64 MiB is not one sentra wrote.
  const blobs = await readBlobs(repoRoot, [...versions.keys()].map((key) => key.split(' ')[0]!), 64 * 1024 * 1024)
  for (const [key, version] of versions) {
    const blob = blobs.get(key.split(' ')[0]!)
    const content = blob?.kind === 'ok' ? blob.bytes : undefined
    if (content === undefined) {
      result.missingBlobs++
      continue
    }
    // Most versions name no removed key at all: a substring test spares parsing them.
    if (!removedKeys.some((key) => content.includes(key))) continue
    const target = current.get(version.path)!
    const listed = listedKeys(content, target)
    if (!listed || listed.id !== target.id) continue
    const removed = listed.recipients.filter((recipient) => isRemovedRecipient(state, recipient))
    if (removed.length > 0 && !result.matches.has(version.path)) result.matches.set(version.path, { commit: version.commit, removed })
  }
  return result
}

function removedRecipients(state: TeamState): string[] {
  return [...state.members.values()].flatMap((member) => member.devices.map((device) => device.recipient)).filter((recipient) => isRemovedRecipient(state, recipient))
}

function hasCommits(repoRoot: string): boolean {
  try {
    gitSync(['rev-parse', '-q', '--verify', 'HEAD^{commit}'], repoRoot)
    return true
  } catch {
    return false
  }
}

/** A historical version's recipients and data-key identity, or undefined when it cannot be parsed. */
function listedKeys(content: Buffer, target: CurrentKey): { id: string; recipients: string[] } | undefined {
  const text = content.toString('utf8')
  if (target.kind === 'whole') {
    const signature = parseSignature(text)
    return signature ? { id: signature.ciphertext, recipients: signature.recipients } : undefined
  }
  if (!isValuesFormat(target.format)) return undefined
  try {
    const meta = readValuesFile(text, target.format).meta
    return meta ? { id: `${meta.id}:${meta.commit}`, recipients: meta.recipients.map((entry) => entry.recipient) } : undefined
  } catch {
    return undefined
  }
}

/** Every request under .sentra/requests/, checked: signature, team, and whether its key or name is taken. */
function readRequests(repoRoot: string, state: TeamState): StatusRequest[] {
  return listRequestFiles(repoRoot).map((name) => {
    const file = `${REQUESTS_DIR}/${name}`
    const invalid = (problem: string, request?: { name: string; recipient: string }): StatusRequest => ({
      file,
      name: request?.name ?? null,
      key: request?.recipient ?? null,
      valid: false,
      device: false,
      problem,
      fix: `delete it (git rm ${file})${request ? ` and ask ${request.name} to run \`sentra team request-access ${request.name}\` again` : ''}`,
    })
    let value: unknown
    try {
      value = JSON.parse(readFileSync(join(repoRoot, file), 'utf8'))
    } catch {
      return invalid('not valid JSON')
    }
    let request
    try {
      request = verifyRequest(value, file)
    } catch (error) {
      if (error instanceof VaultError) return invalid(error.message.replace(`${file}: `, '').replace(`${file} `, ''))
      throw error
    }
    if (name !== `${request.name}.json`) return invalid(`it is for "${request.name}" but named ${name}`, request)
    if (request.team !== state.root) return invalid(`it was made for another team (root ${request.team.slice(0, 16)}…)`, request)
    const owner = ownerOfRecipient(state, request.recipient) ?? ownerOfSigningKey(state, request.signingKey)
    if (owner && !owner.active) return invalid(`its key is ${owner.member.name}'s removed key: a removed key cannot rejoin`, request)
    if (owner) return invalid(`its key already belongs to ${owner.member.name}: the request was approved already`, request)
    const member = state.members.get(request.name)
    const device = member !== undefined && member.removedAt === undefined
    return { file, name: request.name, key: request.recipient, valid: true, device, problem: null, fix: `sentra team add ${request.name}${device ? ' --device' : ''}` }
  })
}

function collectRemovedKeys(state: TeamState, files: EncryptedFile[], requests: StatusRequest[], naming: (key: string) => StatusKey): StatusRemovedKey[] {
  const found = new Map<string, StatusRemovedKey>()
  const entry = (key: string) => {
    let item = found.get(key)
    if (!item) found.set(key, (item = { ...naming(key), files: [], requests: [] }))
    return item
  }
  for (const file of files) for (const recipient of file.recipients) if (isRemovedRecipient(state, recipient)) entry(recipient).files.push(file.path)
  for (const request of requests) if (request.key && isRemovedRecipient(state, request.key)) entry(request.key).requests.push(request.file)
  return [...found.values()].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.key.localeCompare(b.key))
}

/** Tracked files at managed paths that are in clear: a per-value file never encrypted, or a whole-file path committed as is. */
function clearManagedPaths(state: TeamState, repoRoot: string, tracked: Set<string>, encrypted: Set<string>): StatusClearPath[] {
  const clear: StatusClearPath[] = []
  if (state.policy.length === 0) return clear
  for (const path of [...tracked].sort()) {
    if (encrypted.has(path) || path.endsWith(AGE_SUFFIX) || path.endsWith(AGE_SUFFIX + SIGNATURE_SUFFIX) || path.startsWith('.sentra/')) continue
    const rule = policyForPath(state, path)
    if (!rule) continue
    const full = join(repoRoot, path)
    if (!existsSync(full)) continue
    if (rule.format === 'binary') {
      if (wholeFilePolicy(state, path)?.format !== 'binary') continue
      clear.push({ path, format: 'binary', fix: `sentra encrypt ${path}, then git rm --cached ${path} and add it to .gitignore` })
      continue
    }
    try {
      if (readValuesFile(readFileSync(full, 'utf8'), rule.format).meta) continue
    } catch {
      // Unparseable: listed with its problem among the encrypted files when it carries sentra data, else verify explains it.
      continue
    }
    clear.push({ path, format: rule.format, fix: `sentra encrypt ${path}` })
  }
  return clear
}

// ---- text ----

function keyText(key: StatusKey): string {
  const short = `${key.key.slice(0, 12)}…`
  if (key.name === null) return `unknown key ${short}`
  if (key.name === 'recovery') return 'recovery'
  return key.removed ? `${key.name}'s removed key ${short}` : key.name
}

/** Names, one per member (a member's several devices collapse into one name): members by name, then recovery, then unknown keys. */
function namesText(keys: StatusKey[]): string {
  const rank = (key: StatusKey) => (key.name === null ? 2 : key.name === 'recovery' ? 1 : 0)
  const sorted = [...keys].sort((a, b) => rank(a) - rank(b) || (a.name ?? '').localeCompare(b.name ?? '') || a.key.localeCompare(b.key))
  return [...new Set(sorted.map(keyText))].join(', ') || '(none)'
}

/** The report as short sections, like `git status`: each problem with the command that fixes it. */
export function renderStatusText(report: StatusReport): string {
  const { team } = report
  const lines = [
    `Team "${team.name}"  root ${team.root.slice(0, 16)}…  head ${team.head.slice(0, 16)}… (${team.entries} manifest ${team.entries === 1 ? 'entry' : 'entries'})`,
    `  ${team.members} member(s); recovery recipient: ${team.recovery ?? 'none'}`,
  ]
  const section = (title: string, body: string[]) => {
    if (body.length > 0) lines.push('', title, ...body.map((line) => `  ${line}`))
  }
  const width = Math.max(0, ...report.files.map((file) => file.path.length))
  section(
    `Encrypted files (${report.files.length}):`,
    report.files.map(
      (file) =>
        `${file.path.padEnd(width)}  ${file.kind === 'values' ? file.format : 'whole file'}  to: ${namesText(file.recipients)}  signed by: ${file.signer?.name ?? (file.signer ? 'an unknown key' : 'nobody')}${file.tracked ? '' : '  (not added to git)'}`,
    ),
  )
  if (report.files.length === 0) lines.push('', 'No encrypted files.')
  section(
    'Problems found by the public checks:',
    report.files.flatMap((file) => file.problems.map((problem) => `${problem}  -> ${file.fix}`)),
  )
  section('Managed paths committed in clear:', report.clear.map((item) => `${item.path}  -> ${item.fix}`))
  section(
    'Recipients out of date (drift against the manifest):',
    report.drift.map((item) => {
      const parts = [
        ...(item.missing.length > 0 ? [`not encrypted to ${namesText(item.missing)}`] : []),
        ...(item.extra.length > 0 ? [`still encrypted to ${namesText(item.extra)}, no longer allowed`] : []),
      ]
      return `${item.path}: ${parts.join('; ')}  -> ${item.fix}`
    }),
  )
  section(
    'Not rotated since a key was removed:',
    report.notRotated.map((item) =>
      item.reason === 'still-listed'
        ? `${item.path}: still encrypted to ${namesText(item.removedKeys)}  -> ${item.fix}`
        : `${item.path}: re-wrapped without a fresh data key: ${namesText(item.removedKeys)} could unwrap this very key at commit ${item.commit!.slice(0, 12)}  -> ${item.fix}`,
    ),
  )
  section(
    'Removed keys still present:',
    report.removedKeys.map((item) => `${keyText(item)}: in ${[...item.files, ...item.requests].join(', ')}`),
  )
  section(
    'Access requests:',
    report.requests.map((item) =>
      item.valid ? `${item.name} (${item.file})${item.device ? ': a new device' : ''}  -> ${item.fix}` : `${item.file}: invalid: ${item.problem}  -> ${item.fix}`,
    ),
  )
  if (report.pendingChange) section('Interrupted access change:', [`an interrupted \`${report.pendingChange.command}\` is pending: re-run it`])
  lines.push('', report.attention === 0 ? 'Nothing to do: every file is encrypted to exactly the team the manifest gives it.' : `${report.attention} item(s) need attention.`)
  return `${lines.join('\n')}\n`
}
