import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { VaultError } from '../errors.js'
import { valueAad, VALUE_TYPES, type PathSegment, type ValueType } from './aad.js'

/**
 * One encrypted value as it appears in a file:
 *
 *   ENC[sentra:v1,<type>,<base64(nonce ‖ ciphertext ‖ tag)>]
 *
 * AES-256-GCM under the file's DEK, a fresh random 12-byte nonce per encryption, a 16-byte tag,
 * and the AAD of aad.ts. The type tag is repeated in clear so the value can be restored with its
 * type; it is also bound by the AAD, so changing it breaks the tag.
 */
const NONCE_BYTES = 12
const TAG_BYTES = 16
export const DEK_BYTES = 32
const TOKEN = /^ENC\[sentra:v1,(str|int|float|bool|null),((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)\]$/

export interface EncryptedValue {
  type: ValueType
  nonce: Buffer
  ciphertext: Buffer
  tag: Buffer
}

export function isValueToken(text: string): boolean {
  return TOKEN.test(text)
}

export function parseValueToken(text: string): EncryptedValue {
  const match = TOKEN.exec(text)
  if (!match) throw new VaultError('not a sentra encrypted value (expected ENC[sentra:v1,<type>,<base64>])', 'values:token')
  const raw = Buffer.from(match[2]!, 'base64')
  if (raw.length < NONCE_BYTES + TAG_BYTES) throw new VaultError('encrypted value is too short to hold a nonce and a tag', 'values:token')
  return {
    type: match[1] as ValueType,
    nonce: raw.subarray(0, NONCE_BYTES),
    ciphertext: raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES),
    tag: raw.subarray(raw.length - TAG_BYTES),
  }
}

export function formatValueToken(value: EncryptedValue): string {
  return `ENC[sentra:v1,${value.type},${Buffer.concat([value.nonce, value.ciphertext, value.tag]).toString('base64')}]`
}

function checkDek(dek: Uint8Array): void {
  if (dek.length !== DEK_BYTES) throw new VaultError('data key must be 32 bytes', 'values:dek')
}

export function encryptValue(dek: Uint8Array, fileId: string, path: readonly PathSegment[], type: ValueType, plaintext: string): string {
  return encryptValueWithNonce(dek, fileId, path, type, plaintext, randomBytes(NONCE_BYTES))
}

/**
 * Encryption with a given nonce: for the published test vectors (fixtures/vault/) only. Everything
 * else goes through encryptValue, which draws a fresh random nonce: reusing a nonce under one DEK
 * breaks AES-GCM.
 */
export function encryptValueWithNonce(dek: Uint8Array, fileId: string, path: readonly PathSegment[], type: ValueType, plaintext: string, nonce: Uint8Array): string {
  checkDek(dek)
  if (!VALUE_TYPES.includes(type)) throw new VaultError(`unknown value type "${type}"`, 'values:type')
  if (nonce.length !== NONCE_BYTES) throw new VaultError('a nonce is 12 bytes', 'values:nonce')
  const cipher = createCipheriv('aes-256-gcm', dek, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(valueAad(fileId, path, type))
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return formatValueToken({ type, nonce: Buffer.from(nonce), ciphertext, tag: cipher.getAuthTag() })
}

/** Decrypts and authenticates one value; any change to it, its place or its type fails. */
export function decryptValue(dek: Uint8Array, fileId: string, path: readonly PathSegment[], token: string): { type: ValueType; plaintext: string } {
  checkDek(dek)
  const value = parseValueToken(token)
  const decipher = createDecipheriv('aes-256-gcm', dek, value.nonce, { authTagLength: TAG_BYTES })
  decipher.setAAD(valueAad(fileId, path, value.type))
  decipher.setAuthTag(value.tag)
  try {
    const plaintext = Buffer.concat([decipher.update(value.ciphertext), decipher.final()])
    return { type: value.type, plaintext: new TextDecoder('utf-8', { fatal: true }).decode(plaintext) }
  } catch {
    throw new VaultError(`value at ${describePath(path)} failed authentication: it was changed, moved, or encrypted under another data key`, 'values:auth')
  }
}

/**
 * Re-encryption keeps the old ciphertext bytes only when the old token decrypts, at the same place
 * and type, to exactly the new plaintext; otherwise a fresh nonce. A value is never re-encrypted
 * under an old or derived nonce, which would break GCM.
 */
export function reencryptValue(
  dek: Uint8Array,
  fileId: string,
  path: readonly PathSegment[],
  type: ValueType,
  plaintext: string,
  previousToken: string | undefined,
): string {
  if (previousToken !== undefined && isValueToken(previousToken)) {
    try {
      const previous = decryptValue(dek, fileId, path, previousToken)
      if (previous.type === type && previous.plaintext === plaintext) return previousToken
    } catch {
      // A token that does not authenticate here is simply not reused.
    }
  }
  return encryptValue(dek, fileId, path, type, plaintext)
}

export function describePath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(root)'
  return path.map((segment) => ('key' in segment ? JSON.stringify(segment.key) : `[${segment.index}]`)).join(' > ')
}
