import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { bech32 } from '@scure/base'
import { VaultError } from './errors.js'
import { SigningKey, deriveSigningSeed } from './signing.js'

const SECRET_PREFIX = 'AGE-SECRET-KEY-'
const PQ_SECRET_PREFIX = 'AGE-SECRET-KEY-PQ-1'
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')

/**
 * One device's key: an age X25519 identity and the Ed25519 signing key derived from it. The secret
 * lives in private fields only; printing, logging or JSON-encoding an AgeIdentity shows the public
 * keys and nothing else.
 */
export class AgeIdentity {
  readonly #secret: string
  readonly #signingKey: SigningKey
  readonly recipient: string

  private constructor(secret: string, scalar: Uint8Array) {
    this.#secret = secret
    this.#signingKey = new SigningKey(deriveSigningSeed(scalar))
    this.recipient = x25519Recipient(scalar)
  }

  /** Parses `AGE-SECRET-KEY-1…`; errors never repeat the input. */
  static parse(text: string): AgeIdentity {
    const trimmed = text.trim()
    if (trimmed.toUpperCase().startsWith(PQ_SECRET_PREFIX)) {
      throw new VaultError(
        'post-quantum age identities (AGE-SECRET-KEY-PQ-1…) are not supported: sentra derives its Ed25519 signing key from an X25519 identity (AGE-SECRET-KEY-1…)',
        'identity-pq',
      )
    }
    let decoded: { prefix: string; bytes: Uint8Array }
    try {
      decoded = bech32.decodeToBytes(trimmed)
    } catch {
      throw new VaultError('not a valid age X25519 identity (expected AGE-SECRET-KEY-1…)', 'identity-invalid')
    }
    if (!trimmed.startsWith(`${SECRET_PREFIX}1`) || decoded.prefix.toUpperCase() !== SECRET_PREFIX || decoded.bytes.length !== 32) {
      throw new VaultError('not a valid age X25519 identity (expected AGE-SECRET-KEY-1…)', 'identity-invalid')
    }
    return new AgeIdentity(trimmed, decoded.bytes)
  }

  static generate(): AgeIdentity {
    const scalar = new Uint8Array(randomBytes(32))
    return new AgeIdentity(bech32.encodeFromBytes(SECRET_PREFIX, scalar).toUpperCase(), scalar)
  }

  get signingPublicKey(): string {
    return this.#signingKey.publicKey
  }

  get signingKey(): SigningKey {
    return this.#signingKey
  }

  /** The secret string, for the few places that must hand it to age or to a key store. */
  revealSecret(): string {
    return this.#secret
  }

  /** The file format of `age-keygen`, which `age -d -i` and `--import` read. */
  toIdentityFile(created = new Date()): string {
    return `# created: ${created.toISOString().replace(/\.\d{3}Z$/, 'Z')}\n# public key: ${this.recipient}\n${this.#secret}\n`
  }

  toJSON(): { recipient: string; signingKey: string } {
    return { recipient: this.recipient, signingKey: this.signingPublicKey }
  }

  toString(): string {
    return `[age identity ${this.recipient}]`
  }

  [inspect.custom](): string {
    return this.toString()
  }
}

function x25519Recipient(scalar: Uint8Array): string {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, scalar]), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return bech32.encodeFromBytes('age', new Uint8Array(spki.subarray(SPKI_X25519_PREFIX.length)))
}

/** True for a well-formed X25519 age recipient (`age1…`, 32 bytes, lower case). */
export function isX25519Recipient(text: unknown): text is string {
  if (typeof text !== 'string' || !text.startsWith('age1') || text !== text.toLowerCase()) return false
  try {
    const decoded = bech32.decodeToBytes(text)
    return decoded.prefix === 'age' && decoded.bytes.length === 32
  } catch {
    return false
  }
}

export function assertRecipient(text: string): string {
  if (text.startsWith('age1pq1')) {
    throw new VaultError('post-quantum recipients (age1pq1…) are not supported yet: Debian age cannot read them; use an X25519 recipient (age1…)', 'recipient-pq')
  }
  if (text.startsWith('ssh-')) {
    throw new VaultError('SSH recipients are not supported (see docs/format.md): use an X25519 age recipient (age1…)', 'recipient-ssh')
  }
  if (!isX25519Recipient(text)) throw new VaultError(`not a valid age X25519 recipient: ${String(text).slice(0, 80)}`, 'recipient-invalid')
  return text
}

/**
 * Reads an age identity file (`age-keygen` format: comments, blank lines, one key per line).
 * sentra needs exactly one X25519 identity per device.
 */
export function parseIdentityFile(text: string, source: string): AgeIdentity {
  const keys = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  if (keys.length === 0) throw new VaultError(`${source} holds no age identity`, 'identity-invalid')
  if (keys.length > 1) throw new VaultError(`${source} holds ${keys.length} lines of keys: sentra needs exactly one X25519 identity`, 'identity-invalid')
  try {
    return AgeIdentity.parse(keys[0]!)
  } catch (error) {
    if (error instanceof VaultError) throw new VaultError(`${source}: ${error.message}`, error.kind)
    throw error
  }
}
