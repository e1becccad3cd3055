import { createPrivateKey, createPublicKey, hkdfSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { fromBase64, toBase64 } from './encoding.js'

/**
 * Every signature in sentra is Ed25519 over `label ‖ 0x00 ‖ message`, with one label per role, so a
 * signature made for one purpose can never be accepted for another. Keep in sync with docs/format.md.
 */
export const SIGNATURE_LABELS = {
  manifest: 'sentra/v1/manifest',
  request: 'sentra/v1/request',
  file: 'sentra/v1/file',
  values: 'sentra/v1/values',
  rekey: 'sentra/v1/rekey',
  auditEvent: 'sentra/v1/audit-event',
  checkpoint: 'sentra/v1/checkpoint',
} as const

export type SignatureLabel = (typeof SIGNATURE_LABELS)[keyof typeof SIGNATURE_LABELS]

const LABELS = new Set<string>(Object.values(SIGNATURE_LABELS))

export function isSignatureLabel(label: string): label is SignatureLabel {
  return LABELS.has(label)
}

/** HKDF info for deriving the Ed25519 seed from the age X25519 secret. */
export const SIGNING_KEY_INFO = 'sentra/v1/signing-key'

/** The text form of a signing public key: `ed25519:` and the 32 raw bytes in base64. */
export const SIGNING_KEY_PREFIX = 'ed25519:'

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** The message actually signed: label, one zero byte, then the payload. */
export function labelledMessage(label: SignatureLabel, message: Uint8Array): Buffer {
  if (!isSignatureLabel(label)) throw new Error(`unknown signature label: ${String(label)}`)
  return Buffer.concat([Buffer.from(label, 'utf8'), Buffer.from([0]), message])
}

/** Ed25519 seed = HKDF-SHA256(ikm = raw X25519 secret, salt = empty, info = sentra/v1/signing-key, 32 bytes). */
export function deriveSigningSeed(x25519Secret: Uint8Array): Uint8Array {
  if (x25519Secret.length !== 32) throw new Error('an X25519 secret is 32 bytes')
  return new Uint8Array(hkdfSync('sha256', x25519Secret, new Uint8Array(0), SIGNING_KEY_INFO, 32))
}

/** A private signing key held as an opaque KeyObject (never serialised). */
export class SigningKey {
  readonly #key: KeyObject
  readonly publicKey: string

  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes')
    this.#key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' })
    const spki = createPublicKey(this.#key).export({ format: 'der', type: 'spki' })
    this.publicKey = SIGNING_KEY_PREFIX + spki.subarray(SPKI_ED25519_PREFIX.length).toString('base64')
  }

  sign(label: SignatureLabel, message: Uint8Array): Uint8Array {
    return new Uint8Array(nodeSign(null, labelledMessage(label, message), this.#key))
  }

  toJSON(): string {
    return `[signing key ${this.publicKey}]`
  }
}

export function parseSigningPublicKey(text: string): Uint8Array | undefined {
  if (!text.startsWith(SIGNING_KEY_PREFIX)) return undefined
  return fromBase64(text.slice(SIGNING_KEY_PREFIX.length), 32)
}

export function isSigningPublicKey(text: unknown): text is string {
  return typeof text === 'string' && parseSigningPublicKey(text) !== undefined
}

const publicKeyCache = new Map<string, KeyObject>()

/** Verifies a base64 signature; false (never an exception) for any malformed input. */
export function verifySignature(publicKey: string, label: SignatureLabel, message: Uint8Array, signature: string): boolean {
  const raw = parseSigningPublicKey(publicKey)
  const sig = fromBase64(signature, 64)
  if (!raw || !sig) return false
  let key = publicKeyCache.get(publicKey)
  if (!key) {
    try {
      key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' })
    } catch {
      return false
    }
    publicKeyCache.set(publicKey, key)
  }
  try {
    return nodeVerify(null, labelledMessage(label, message), key, sig)
  } catch {
    return false
  }
}

export function signatureToText(signature: Uint8Array): string {
  return toBase64(signature)
}
