import micromatch from 'micromatch'
import { normalizeRepoPath } from '../encoding.js'
import type { ManagedFormat, Operation, Role } from './entry.js'

export interface Device {
  recipient: string
  signingKey: string
  addedAt: number
  removedAt?: number
}

export interface Member {
  name: string
  role: Role
  /** Globs of repo paths this member may read (and, unless service, write); null means all. */
  paths: string[] | null
  devices: Device[]
  addedAt: number
  removedAt?: number
}

export interface PolicyRule {
  glob: string
  format: ManagedFormat
  /** Key patterns that stay in clear in per-value files. */
  plainKeys: string[]
}

export interface EntrySummary {
  seq: number
  hash: string
  time: string
  by: string
  op: Operation
}

/** The team as the replay of the manifest leaves it. Needs no secret to compute. */
export interface TeamState {
  team: string
  root: string
  head: string
  entries: EntrySummary[]
  members: Map<string, Member>
  policy: PolicyRule[]
  recovery: string | null
}

export function activeMembers(state: TeamState): Member[] {
  return [...state.members.values()].filter((member) => member.removedAt === undefined)
}

export function activeDevices(member: Member): Device[] {
  return member.removedAt === undefined ? member.devices.filter((device) => device.removedAt === undefined) : []
}

export interface KeyOwner {
  member: Member
  device: Device
  /** False when the member or this device was removed. */
  active: boolean
}

export function ownerOfSigningKey(state: TeamState, signingKey: string): KeyOwner | undefined {
  for (const member of state.members.values()) {
    for (const device of member.devices) {
      if (device.signingKey === signingKey) return { member, device, active: member.removedAt === undefined && device.removedAt === undefined }
    }
  }
  return undefined
}

export function ownerOfRecipient(state: TeamState, recipient: string): KeyOwner | undefined {
  for (const member of state.members.values()) {
    for (const device of member.devices) {
      if (device.recipient === recipient) return { member, device, active: member.removedAt === undefined && device.removedAt === undefined }
    }
  }
  return undefined
}

/** True when the key belonged to a member and was removed (with the member or on its own). */
export function isRemovedRecipient(state: TeamState, recipient: string): boolean {
  const owner = ownerOfRecipient(state, recipient)
  return owner !== undefined && !owner.active
}

function matches(path: string, globs: string[]): boolean {
  return micromatch.isMatch(normalizeRepoPath(path), globs, { dot: true })
}

export function memberCovers(member: Member, path: string): boolean {
  return member.paths === null || matches(path, member.paths)
}

export interface PathRecipients {
  /** One entry per active device of every active member allowed to read the path. */
  members: Array<{ member: string; recipient: string }>
  recovery: string | null
  /** Sorted, unique: the exact recipient set a file at this path must be encrypted to. */
  all: string[]
}

/** Who may read `path`: every active device of every active member whose scope covers it, plus recovery. */
export function recipientsForPath(state: TeamState, path: string): PathRecipients {
  const members: PathRecipients['members'] = []
  for (const member of activeMembers(state)) {
    if (!memberCovers(member, path)) continue
    for (const device of activeDevices(member)) members.push({ member: member.name, recipient: device.recipient })
  }
  const all = new Set(members.map((entry) => entry.recipient))
  if (state.recovery) all.add(state.recovery)
  return { members, recovery: state.recovery, all: [...all].sort() }
}

/** Whether the holder of `signingKey` may write (sign) `path`: an active admin or member whose scope covers it. */
export function canWritePath(state: TeamState, signingKey: string, path: string): { ok: true; member: Member } | { ok: false; reason: string } {
  const owner = ownerOfSigningKey(state, signingKey)
  if (!owner) return { ok: false, reason: 'the signing key belongs to no team member' }
  if (!owner.active) return { ok: false, reason: `${owner.member.name}'s key was removed from the team` }
  if (owner.member.role === 'service') return { ok: false, reason: `${owner.member.name} is a read-only service member` }
  if (!memberCovers(owner.member, path)) return { ok: false, reason: `${owner.member.name} may not write ${path} (scope: ${owner.member.paths!.join(', ')})` }
  return { ok: true, member: owner.member }
}

/** The vault policy rule for a path: the first rule, in manifest order, whose glob matches. */
export function policyForPath(state: TeamState, path: string): PolicyRule | undefined {
  return state.policy.find((rule) => matches(path, [rule.glob]))
}

export function isAdmin(state: TeamState, signingKey: string): boolean {
  const owner = ownerOfSigningKey(state, signingKey)
  return owner !== undefined && owner.active && owner.member.role === 'admin'
}

export interface RecipientDrift {
  /** Allowed to read the path but not a recipient. */
  missing: string[]
  /** Recipients no longer allowed, other than removed keys and kept one-offs. */
  extra: string[]
  /** Recipients that are keys removed from the team. */
  removed: string[]
}

/** How a file's listed recipients differ from what the manifest gives its path now. */
export function recipientDrift(state: TeamState, path: string, listed: readonly string[], oneOff: readonly string[] = []): RecipientDrift {
  const expected = new Set(recipientsForPath(state, path).all)
  const removed = listed.filter((recipient) => isRemovedRecipient(state, recipient))
  return {
    missing: [...expected].filter((recipient) => !listed.includes(recipient)).sort(),
    extra: listed.filter((recipient) => !expected.has(recipient) && !removed.includes(recipient) && !oneOff.includes(recipient)).sort(),
    removed,
  }
}

/** How messages name a recipient: its member ("bob"), "recovery", or, for a key outside the team, the key itself. */
export function recipientName(state: TeamState, recipient: string): string {
  if (recipient === state.recovery) return 'recovery'
  return ownerOfRecipient(state, recipient)?.member.name ?? recipient
}
