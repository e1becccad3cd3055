import { canonicalJson, sha256Hex, utf8 } from '../encoding.js'
import type { AccessRequest, Signer } from '../requests.js'
import { SIGNATURE_LABELS, signatureToText } from '../signing.js'

/** The team manifest: one canonical-JSON entry per line, each naming its predecessor's hash. */
export const MANIFEST_PATH = '.sentra/team.jsonl'

export type Role = 'admin' | 'member' | 'service'
export const ROLES: readonly Role[] = ['admin', 'member', 'service']

/** Formats a managed path can have; the per-value ones are read by later parts of sentra. */
export type ManagedFormat = 'dotenv' | 'json' | 'yaml' | 'binary'
export const MANAGED_FORMATS: readonly ManagedFormat[] = ['dotenv', 'json', 'yaml', 'binary']

export interface DeviceKey {
  recipient: string
  signingKey: string
}

export type Operation =
  | { type: 'init'; team: string; nonce: string; name: string; device: DeviceKey }
  | { type: 'add-member'; name: string; role: Role; paths: string[] | null; request: AccessRequest }
  | { type: 'add-device'; name: string; request: AccessRequest }
  | { type: 'remove-member'; name: string }
  | { type: 'remove-device'; name: string; recipient: string }
  | { type: 'set-role'; name: string; role: Role }
  | { type: 'set-paths'; name: string; paths: string[] | null }
  | { type: 'manage'; glob: string; format: ManagedFormat; plainKeys: string[] }
  | { type: 'unmanage'; glob: string }
  | { type: 'set-recovery'; recipient: string | null }
  /**
   * Replaces one device key of `name`: device `old` (a recipient) is removed and the request's keys
   * are added, in one entry. Signed by an admin, or by the old device itself with `endorsement` (the
   * old key's `sentra/v1/rekey` signature over the change, see src/vault/rekey-endorsement.ts).
   */
  | { type: 'rekey'; name: string; old: string; request: AccessRequest; endorsement: string | null }

export type OperationType = Operation['type']

export interface Entry {
  v: 1
  seq: number
  /** Hex SHA-256 of the previous entry's line, null for the root. */
  prev: string | null
  time: string
  /** Signing key of the admin device that signed the entry. */
  by: string
  op: Operation
  sig: string
}

export type UnsignedEntry = Omit<Entry, 'sig'>

/** The bytes signed: the canonical JSON of the entry without `sig`. */
export function entrySigningBytes(entry: UnsignedEntry | Entry): Uint8Array {
  const { sig: _sig, ...body } = entry as Entry
  return utf8(canonicalJson(body))
}

/** The line as stored (canonical JSON, no newline); its SHA-256 is the entry's hash. */
export function entryLine(entry: Entry): string {
  return canonicalJson(entry)
}

export function lineHash(line: string): string {
  return sha256Hex(line)
}

export async function signEntry(entry: UnsignedEntry, signer: Signer): Promise<Entry> {
  const sig = signatureToText(await signer.sign(SIGNATURE_LABELS.manifest, entrySigningBytes(entry)))
  return { ...entry, sig }
}

function pathsText(paths: string[] | null): string {
  return paths === null ? 'all paths' : `paths ${paths.join(', ')}`
}

/** One line of human text for an operation, used in listings and in divergence explanations. */
export function describeOperation(op: Operation): string {
  switch (op.type) {
    case 'init':
      return `create team "${op.team}" with admin ${op.name}`
    case 'add-member':
      return `add ${op.name} as ${op.role} (${pathsText(op.paths)})`
    case 'add-device':
      return `add a device (${op.request.recipient}) to ${op.name}`
    case 'remove-member':
      return `remove ${op.name}`
    case 'remove-device':
      return `remove device ${op.recipient} of ${op.name}`
    case 'set-role':
      return `make ${op.name} ${op.role}`
    case 'set-paths':
      return `give ${op.name} ${pathsText(op.paths)}`
    case 'manage':
      return `manage ${op.glob} as ${op.format}${op.plainKeys.length > 0 ? ` (plain keys: ${op.plainKeys.join(', ')})` : ''}`
    case 'unmanage':
      return `stop managing ${op.glob}`
    case 'set-recovery':
      return op.recipient === null ? 'remove the recovery recipient' : `set recovery recipient ${op.recipient}`
    case 'rekey':
      // Also used on entries not validated yet (divergence messages): tolerate a missing request.
      return `rekey ${op.name}'s device ${op.old} -> ${(op.request as AccessRequest | undefined)?.recipient ?? '(no key)'}`
  }
}
