import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { canonicalJson, utf8 } from './encoding.js'
import { VaultError } from './errors.js'
import { writeFileAtomic } from './fs-atomic.js'
import { isX25519Recipient } from './identity.js'
import { SIGNATURE_LABELS, isSigningPublicKey, signatureToText, verifySignature, type SignatureLabel } from './signing.js'

/**
 * A newcomer's request to join (or to add a device): self-signed with the key it names, so the
 * admin who approves it with `team add` knows the requester holds that signing key. It lives in
 * `.sentra/requests/NAME.json`, outside the chain, and is copied into the `add-member` entry.
 */
export interface AccessRequest {
  kind: 'sentra-access-request'
  v: 1
  name: string
  recipient: string
  signingKey: string
  /** Root hash of the team the request is for, so it cannot be replayed into another team. */
  team: string
  time: string
  sig: string
}

export const REQUESTS_DIR = '.sentra/requests'
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

export function assertMemberName(name: string): string {
  if (!NAME.test(name)) throw new VaultError(`invalid member name "${name.slice(0, 70)}": use lower-case letters, digits, '.', '_' or '-' (up to 64)`, 'usage')
  return name
}

export interface Signer {
  readonly recipient: string
  readonly signingKey: string
  sign(label: SignatureLabel, message: Uint8Array): Promise<Uint8Array>
}

function requestBody(request: Omit<AccessRequest, 'sig'> | AccessRequest): Uint8Array {
  const { sig: _sig, ...body } = request as AccessRequest
  return utf8(canonicalJson(body))
}

export async function createRequest(signer: Signer, name: string, team: string, time = new Date()): Promise<AccessRequest> {
  const body = {
    kind: 'sentra-access-request' as const,
    v: 1 as const,
    name: assertMemberName(name),
    recipient: signer.recipient,
    signingKey: signer.signingKey,
    team,
    time: time.toISOString(),
  }
  const sig = signatureToText(await signer.sign(SIGNATURE_LABELS.request, requestBody(body)))
  return { ...body, sig }
}

/** Checks shape and self-signature; returns the request typed, or throws a precise VaultError. */
export function verifyRequest(value: unknown, where = 'access request'): AccessRequest {
  const request = value as Partial<AccessRequest>
  const keys = ['kind', 'v', 'name', 'recipient', 'signingKey', 'team', 'time', 'sig']
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new VaultError(`${where} is not a JSON object`, 'request-invalid')
  const extra = Object.keys(value).filter((key) => !keys.includes(key))
  if (extra.length > 0) throw new VaultError(`${where} has unknown fields: ${extra.join(', ')}`, 'request-invalid')
  if (request.kind !== 'sentra-access-request' || request.v !== 1) throw new VaultError(`${where} is not a sentra access request (v1)`, 'request-invalid')
  if (typeof request.name !== 'string' || !NAME.test(request.name)) throw new VaultError(`${where} has an invalid member name`, 'request-invalid')
  if (!isX25519Recipient(request.recipient)) throw new VaultError(`${where} has an invalid recipient`, 'request-invalid')
  if (!isSigningPublicKey(request.signingKey)) throw new VaultError(`${where} has an invalid signing key`, 'request-invalid')
  if (typeof request.team !== 'string' || !/^[0-9a-f]{64}$/.test(request.team)) throw new VaultError(`${where} names no team root`, 'request-invalid')
  if (typeof request.time !== 'string' || typeof request.sig !== 'string') throw new VaultError(`${where} is incomplete`, 'request-invalid')
  if (!verifySignature(request.signingKey, SIGNATURE_LABELS.request, requestBody(request as AccessRequest), request.sig)) {
    throw new VaultError(`${where}: the self-signature does not verify (edited after signing, or not made with the key it names)`, 'request-signature')
  }
  return request as AccessRequest
}

export function requestPath(repoRoot: string, name: string): string {
  return join(repoRoot, REQUESTS_DIR, `${assertMemberName(name)}.json`)
}

export function writeRequestFile(repoRoot: string, request: AccessRequest): string {
  const path = requestPath(repoRoot, request.name)
  mkdirSync(join(repoRoot, REQUESTS_DIR), { recursive: true })
  writeFileAtomic(path, `${JSON.stringify(request, null, 2)}\n`)
  return path
}

export function readRequestFile(path: string): AccessRequest {
  if (!existsSync(path)) throw new VaultError(`no access request at ${path}: the newcomer runs \`sentra team request-access NAME\` and commits it`, 'request-missing')
  let value: unknown
  try {
    value = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    throw new VaultError(`${path} is not valid JSON`, 'request-invalid')
  }
  return verifyRequest(value, path)
}

export function removeRequestFile(repoRoot: string, name: string): void {
  rmSync(requestPath(repoRoot, name), { force: true })
}

/** Pending requests (file names), for status displays. */
export function listRequestFiles(repoRoot: string): string[] {
  const dir = join(repoRoot, REQUESTS_DIR)
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((name) => name.endsWith('.json')).sort()
}
