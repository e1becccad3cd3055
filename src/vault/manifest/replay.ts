import micromatch from 'micromatch'
import { ManifestError } from '../errors.js'
import { isX25519Recipient } from '../identity.js'
import { verifyRekeyEndorsement } from '../rekey-endorsement.js'
import { verifyRequest, type AccessRequest } from '../requests.js'
import { SIGNATURE_LABELS, isSigningPublicKey, verifySignature } from '../signing.js'
import { MANAGED_FORMATS, ROLES, describeOperation, entrySigningBytes, type Operation } from './entry.js'
import type { ParsedLine } from './parse.js'
import { activeMembers, ownerOfRecipient, ownerOfSigningKey, type Member, type TeamState } from './state.js'

/**
 * Replays the manifest from its root, checking for every entry, in this order: its position
 * (sequence number), its link to the previous entry (hash), its signature, that the signer was an
 * active admin at that point, and that the operation is valid in the state so far. The first
 * problem stops the replay with a precise error naming the line.
 */
export function replayManifest(lines: ParsedLine[], source = '.sentra/team.jsonl'): TeamState {
  if (lines.length === 0) throw new ManifestError(`${source} has no entries`, 'syntax')
  let state: TeamState | undefined
  for (let index = 0; index < lines.length; index++) {
    const parsed = lines[index]!
    const { entry, line } = parsed
    const at = `${source} line ${line}`
    if (entry.v !== 1) throw new ManifestError(`${at}: unsupported entry version ${String(entry.v)}`, 'invalid-op', line)
    checkPosition(lines, index, source)
    const expectedPrev = index === 0 ? null : lines[index - 1]!.hash
    if (entry.prev !== expectedPrev) {
      throw new ManifestError(
        index === 0
          ? `${at}: the first entry must not name a predecessor`
          : `${at}: entry #${index} does not link to entry #${index - 1} (prev hash differs): entry #${index - 1} was changed or replaced`,
        'prev-hash',
        line,
      )
    }
    if (typeof entry.by !== 'string' || typeof entry.sig !== 'string' || typeof entry.time !== 'string' || typeof entry.op !== 'object' || entry.op === null) {
      throw new ManifestError(`${at}: entry #${index} is incomplete`, 'syntax', line)
    }
    if (!verifySignature(entry.by, SIGNATURE_LABELS.manifest, entrySigningBytes(entry), entry.sig)) {
      throw new ManifestError(`${at}: the signature of entry #${index} does not verify: the entry was modified after it was signed`, 'signature', line)
    }
    if (index === 0) {
      state = applyInit(entry.op, entry.by, parsed, at)
    } else {
      if (!state) throw new Error('unreachable')
      if (entry.op.type === 'rekey') {
        applyRekey(state, entry.op, entry.by, index, at, line)
      } else {
        checkAuthority(state, entry.by, index, at, line)
        applyOperation(state, entry.op, index, at, line)
      }
    }
    state.head = parsed.hash
    state.entries.push({ seq: index, hash: parsed.hash, time: entry.time, by: entry.by, op: entry.op })
  }
  return state!
}

function checkPosition(lines: ParsedLine[], index: number, source: string): void {
  const { entry, line } = lines[index]!
  const at = `${source} line ${line}`
  if (entry.seq === index) return
  if (!Number.isSafeInteger(entry.seq) || entry.seq < 0) throw new ManifestError(`${at}: invalid sequence number`, 'sequence', line)
  if (entry.seq < index) {
    const first = lines.find((other) => other.entry.seq === entry.seq)!
    throw new ManifestError(
      `${at}: a second entry #${entry.seq} (the first is on line ${first.line}): two branches both appended to the team manifest (${describeOperation(first.entry.op)} / ${describeOperation(entry.op)}) and git merged them as text. Keep one side's ${source} and re-run the other side's team commands on top of it`,
      'duplicate',
      line,
    )
  }
  const later = lines.slice(index + 1).find((other) => other.entry.seq === index)
  if (later) {
    throw new ManifestError(`${at}: entry #${entry.seq} comes before entry #${index} (line ${later.line}): the entries were reordered`, 'reordered', line)
  }
  throw new ManifestError(`${at}: entry #${index} is missing (found #${entry.seq}): entries were cut out of the middle of the manifest`, 'missing-entry', line)
}

function invalid(at: string, line: number, message: string): never {
  throw new ManifestError(`${at}: ${message}`, 'invalid-op', line)
}

function checkAuthority(state: TeamState, by: string, index: number, at: string, line: number): void {
  const owner = ownerOfSigningKey(state, by)
  if (!owner) throw new ManifestError(`${at}: entry #${index} is signed by a key that belongs to no team member`, 'unknown-signer', line)
  if (!owner.active) throw new ManifestError(`${at}: entry #${index} is signed by ${owner.member.name}, whose key was removed before it`, 'unknown-signer', line)
  if (owner.member.role !== 'admin') {
    throw new ManifestError(`${at}: entry #${index} is signed by ${owner.member.name}, a ${owner.member.role}, not an admin at that point`, 'not-admin', line)
  }
}

/**
 * A rekey is the one entry a non-admin may sign: an active admin (the old key was lost; an
 * endorsement, when present, must still verify), or the very device being replaced, when it and its
 * member are active and the member is not a service member, with the old key's endorsement. Authority
 * (step 4) depends on which device the entry replaces, so the device is looked up first.
 */
function applyRekey(state: TeamState, op: Extract<Operation, { type: 'rekey' }>, by: string, seq: number, at: string, line: number): void {
  const owner = ownerOfSigningKey(state, by)
  if (!owner) throw new ManifestError(`${at}: entry #${seq} is signed by a key that belongs to no team member`, 'unknown-signer', line)
  if (!owner.active) throw new ManifestError(`${at}: entry #${seq} is signed by ${owner.member.name}, whose key was removed before it`, 'unknown-signer', line)
  const byAdmin = owner.member.role === 'admin'
  if (!byAdmin) {
    if (typeof op.old !== 'string' || owner.device.recipient !== op.old || owner.member.name !== op.name) {
      throw new ManifestError(
        `${at}: entry #${seq} is signed by ${owner.member.name}, a ${owner.member.role}, not an admin at that point: a member may only rekey the device that signs the entry`,
        'not-admin',
        line,
      )
    }
    if (owner.member.role === 'service') {
      throw new ManifestError(`${at}: entry #${seq} is signed by ${owner.member.name}, a service member: service members never sign manifest entries (an admin rekeys them)`, 'not-admin', line)
    }
  }
  const member = activeMember(state, checkName(op.name, at, line), at, line)
  if (!isX25519Recipient(op.old)) invalid(at, line, 'invalid old recipient')
  const device = member.devices.find((candidate) => candidate.recipient === op.old && candidate.removedAt === undefined)
  if (!device) invalid(at, line, `${member.name} has no active device ${op.old}`)
  const request = checkRequest(state, op.request, member.name, at, line)
  if (op.endorsement !== null && typeof op.endorsement !== 'string') invalid(at, line, 'the rekey endorsement must be a signature or null')
  if (op.endorsement === null) {
    if (!byAdmin) invalid(at, line, `${member.name}'s own rekey carries no endorsement: the old key must sign the new one (label ${SIGNATURE_LABELS.rekey})`)
  } else if (!verifyRekeyEndorsement(op.endorsement, state.root, member.name, device, request)) {
    invalid(at, line, `the rekey endorsement does not verify: it was not made by ${member.name}'s old key ${op.old} for this change`)
  }
  device.removedAt = seq
  member.devices.push({ recipient: request.recipient, signingKey: request.signingKey, addedAt: seq })
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

function checkName(name: unknown, at: string, line: number): string {
  if (typeof name !== 'string' || !NAME.test(name)) invalid(at, line, 'invalid member name')
  return name
}

function checkPaths(paths: unknown, at: string, line: number): string[] | null {
  if (paths === null) return null
  if (!Array.isArray(paths) || paths.length === 0 || paths.some((glob) => typeof glob !== 'string' || glob === '' || !validGlob(glob))) {
    invalid(at, line, 'paths must be null (all) or a non-empty list of globs')
  }
  return paths as string[]
}

function validGlob(glob: string): boolean {
  try {
    micromatch.makeRe(glob)
    return !glob.startsWith('/') && !glob.includes('\\')
  } catch {
    return false
  }
}

function checkRequest(state: TeamState, value: unknown, name: string, at: string, line: number): AccessRequest {
  let request: AccessRequest
  try {
    request = verifyRequest(value, 'the embedded access request')
  } catch (error) {
    invalid(at, line, (error as Error).message)
  }
  if (request.name !== name) invalid(at, line, `the embedded access request is for "${request.name}", not "${name}"`)
  if (request.team !== state.root) invalid(at, line, 'the embedded access request was made for another team')
  checkKeyFree(state, request.recipient, request.signingKey, at, line)
  return request
}

/** A key may belong to one member only, and a removed key never comes back. */
function checkKeyFree(state: TeamState, recipient: string, signingKey: string, at: string, line: number): void {
  const byRecipient = ownerOfRecipient(state, recipient)
  if (byRecipient) invalid(at, line, `recipient ${recipient} already belongs to ${byRecipient.member.name}${byRecipient.active ? '' : ' (removed)'}`)
  const bySigning = ownerOfSigningKey(state, signingKey)
  if (bySigning) invalid(at, line, `signing key ${signingKey} already belongs to ${bySigning.member.name}${bySigning.active ? '' : ' (removed)'}`)
}

function activeMember(state: TeamState, name: string, at: string, line: number): Member {
  const member = state.members.get(name)
  if (!member) invalid(at, line, `no member named ${name}`)
  if (member.removedAt !== undefined) invalid(at, line, `${name} was removed at entry #${member.removedAt}`)
  return member
}

function adminCount(state: TeamState): number {
  return activeMembers(state).filter((member) => member.role === 'admin').length
}

function applyInit(op: Operation, by: string, parsed: ParsedLine, at: string): TeamState {
  const line = parsed.line
  if (op.type !== 'init') throw new ManifestError(`${at}: the first entry must create the team (init), not "${String(op.type)}"`, 'invalid-op', line)
  const name = checkName(op.name, at, line)
  if (typeof op.team !== 'string' || op.team === '' || op.team.length > 100) invalid(at, line, 'invalid team name')
  if (typeof op.nonce !== 'string' || !/^[0-9a-f]{32}$/.test(op.nonce)) invalid(at, line, 'invalid team nonce')
  if (!op.device || !isX25519Recipient(op.device.recipient) || !isSigningPublicKey(op.device.signingKey)) invalid(at, line, 'invalid admin device key')
  if (op.device.signingKey !== by) invalid(at, line, 'the root entry must be signed by the first admin it creates')
  const member: Member = { name, role: 'admin', paths: null, devices: [{ recipient: op.device.recipient, signingKey: op.device.signingKey, addedAt: 0 }], addedAt: 0 }
  return { team: op.team, root: parsed.hash, head: parsed.hash, entries: [], members: new Map([[name, member]]), policy: [], recovery: null }
}

function applyOperation(state: TeamState, op: Operation, seq: number, at: string, line: number): void {
  switch (op.type) {
    case 'init':
      invalid(at, line, 'a second "init": the team already exists')
    case 'add-member': {
      const name = checkName(op.name, at, line)
      if (state.members.has(name)) {
        invalid(at, line, state.members.get(name)!.removedAt === undefined ? `${name} is already a member` : `${name} was a member before (removed): member names are never reused`)
      }
      if (!ROLES.includes(op.role)) invalid(at, line, `invalid role ${String(op.role)}`)
      const paths = checkPaths(op.paths, at, line)
      const request = checkRequest(state, op.request, name, at, line)
      state.members.set(name, { name, role: op.role, paths, devices: [{ recipient: request.recipient, signingKey: request.signingKey, addedAt: seq }], addedAt: seq })
      return
    }
    case 'add-device': {
      const member = activeMember(state, checkName(op.name, at, line), at, line)
      const request = checkRequest(state, op.request, member.name, at, line)
      member.devices.push({ recipient: request.recipient, signingKey: request.signingKey, addedAt: seq })
      return
    }
    case 'remove-member': {
      const member = activeMember(state, checkName(op.name, at, line), at, line)
      if (member.role === 'admin' && adminCount(state) === 1) invalid(at, line, `${member.name} is the last admin and cannot be removed`)
      member.removedAt = seq
      for (const device of member.devices) device.removedAt ??= seq
      return
    }
    case 'remove-device': {
      const member = activeMember(state, checkName(op.name, at, line), at, line)
      const device = member.devices.find((candidate) => candidate.recipient === op.recipient && candidate.removedAt === undefined)
      if (!device) invalid(at, line, `${member.name} has no active device ${String(op.recipient)}`)
      if (member.devices.filter((candidate) => candidate.removedAt === undefined).length === 1) invalid(at, line, `that is ${member.name}'s last device: remove the member instead`)
      device.removedAt = seq
      return
    }
    case 'set-role': {
      const member = activeMember(state, checkName(op.name, at, line), at, line)
      if (!ROLES.includes(op.role)) invalid(at, line, `invalid role ${String(op.role)}`)
      if (member.role === 'admin' && op.role !== 'admin' && adminCount(state) === 1) invalid(at, line, `${member.name} is the last admin`)
      member.role = op.role
      return
    }
    case 'set-paths': {
      const member = activeMember(state, checkName(op.name, at, line), at, line)
      member.paths = checkPaths(op.paths, at, line)
      return
    }
    case 'manage': {
      if (typeof op.glob !== 'string' || op.glob === '' || !validGlob(op.glob)) invalid(at, line, 'invalid managed-path glob')
      if (!MANAGED_FORMATS.includes(op.format)) invalid(at, line, `invalid format ${String(op.format)}`)
      if (!Array.isArray(op.plainKeys) || op.plainKeys.some((key) => typeof key !== 'string' || key === '')) invalid(at, line, 'plainKeys must be a list of patterns')
      const rule = { glob: op.glob, format: op.format, plainKeys: [...op.plainKeys] }
      const existing = state.policy.findIndex((candidate) => candidate.glob === op.glob)
      if (existing >= 0) state.policy[existing] = rule
      else state.policy.push(rule)
      return
    }
    case 'unmanage': {
      const existing = state.policy.findIndex((candidate) => candidate.glob === op.glob)
      if (existing < 0) invalid(at, line, `${String(op.glob)} is not a managed path`)
      state.policy.splice(existing, 1)
      return
    }
    case 'set-recovery': {
      if (op.recipient !== null) {
        if (!isX25519Recipient(op.recipient)) invalid(at, line, 'invalid recovery recipient')
        const owner = ownerOfRecipient(state, op.recipient)
        if (owner) invalid(at, line, `the recovery recipient is ${owner.member.name}'s device key: use a separate offline key`)
      }
      state.recovery = op.recipient
      return
    }
    default:
      invalid(at, line, `unknown operation "${String((op as { type?: unknown }).type)}"`)
  }
}
