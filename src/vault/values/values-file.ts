import { randomBytes } from 'node:crypto'
import { AgeDecryptError, decryptAge, encryptToRecipients } from '../age.js'
import { normalizeRepoPath } from '../encoding.js'
import { VaultError } from '../errors.js'
import type { KeyHandle } from '../keystore/index.js'
import { SIGNATURE_LABELS, signatureToText, verifySignature } from '../signing.js'
import type { ValueType } from './aad.js'
import { isPlainValue, parseBody, pathKey, type Body, type ValueChange } from './body.js'
import {
  SIGNATURE_PLACEHOLDER,
  checkDekCommitment,
  dekCommitment,
  fillSignature,
  joinValuesFile,
  newFileId,
  placeholderText,
  splitValuesFile,
  type RecipientEntry,
  type SplitFile,
  type ValuesFormat,
  type ValuesMetadata,
} from './metadata.js'
import { DEK_BYTES, decryptValue, describePath, encryptValue, reencryptValue } from './value-crypto.js'

/**
 * The per-value file format's cryptography (docs/format.md, "Per-value format"), with no team
 * policy in it: parsing, signing, wrapping and unwrapping the DEK, encrypting and decrypting values.
 * The team rules (who signs, who receives) are applied by the callers in ops.ts.
 */
export interface ValuesFile {
  split: SplitFile
  body: Body
  meta?: ValuesMetadata
}

export function readValuesFile(text: string, format: ValuesFormat): ValuesFile {
  if (text.includes('\0')) throw new VaultError('the file holds NUL bytes: per-value files are text (use --format binary)', 'values:binary')
  const split = splitValuesFile(text, format)
  const body = parseBody(split.body, format)
  if (!split.meta && body.values.some((value) => value.token !== undefined)) {
    throw new VaultError('the file holds sentra-encrypted values but no sentra metadata (was it cut, or merged as text?)', 'values:metadata')
  }
  return { split, body, ...(split.meta ? { meta: split.meta } : {}) }
}

/** u32(length of path) ‖ path ‖ the file with its signature replaced by the placeholder. */
export function signedMessage(path: string, fileWithPlaceholder: string): Uint8Array {
  const pathBytes = Buffer.from(normalizeRepoPath(path), 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32BE(pathBytes.length)
  return new Uint8Array(Buffer.concat([length, pathBytes, Buffer.from(fileWithPlaceholder, 'utf8')]))
}

/** Whether the file's signature verifies for this path (no team check). */
export function signatureVerifies(file: ValuesFile, path: string): boolean {
  if (!file.meta) return false
  let text: string
  try {
    text = placeholderText(file.split)
  } catch {
    return false
  }
  return verifySignature(file.meta.signer, SIGNATURE_LABELS.values, signedMessage(path, text), file.meta.sig)
}

/** Recovers this key's DEK from the file and checks it against the commitment. */
export async function unwrapDek(meta: ValuesMetadata, key: KeyHandle, where: string): Promise<Uint8Array> {
  const entry = meta.recipients.find((candidate) => candidate.recipient === key.recipient)
  if (!entry) throw new VaultError(`your key (${key.recipient}) is not a recipient of ${where}`, 'not-recipient')
  let dek: Uint8Array
  try {
    dek = await decryptAge(new TextEncoder().encode(entry.enc), key.decryptKeys())
  } catch (error) {
    if (error instanceof AgeDecryptError) throw new VaultError(`cannot unwrap the data key of ${where}: ${error.message}`, error.kind)
    throw error
  }
  if (dek.length !== DEK_BYTES || !checkDekCommitment(dek, meta.id, meta.commit)) {
    throw new VaultError(
      `the data key wrapped for you in ${where} does not match the file's DEK commitment: its author gave recipients different keys (refusing to decrypt)`,
      'values:commitment',
    )
  }
  return dek
}

export interface DecryptedValue {
  index: number
  path: ValuesFile['body']['values'][number]['path']
  type: ValueType
  plaintext: string
  /** False for plain-key values, which were never encrypted. */
  encrypted: boolean
}

/** Decrypts and authenticates every encrypted value; returns every value in file order. */
export function decryptValues(file: ValuesFile, dek: Uint8Array): DecryptedValue[] {
  if (!file.meta) throw new VaultError('the file is not encrypted', 'values:metadata')
  return file.body.values.map((value, index) => {
    if (value.token === undefined) return { index, path: value.path, type: value.type, plaintext: value.plaintext!, encrypted: false }
    const { type, plaintext } = decryptValue(dek, file.meta!.id, value.path, value.token)
    return { index, path: value.path, type, plaintext, encrypted: true }
  })
}

/** The body with every value in clear (what `decrypt` prints). */
export function plaintextBody(file: ValuesFile, values: readonly DecryptedValue[]): string {
  const changes = new Map<number, ValueChange>()
  for (const value of values) if (value.encrypted) changes.set(value.index, { type: value.type, plaintext: value.plaintext })
  return file.body.render(changes)
}

export interface ValueKeys {
  dek: Uint8Array
  id: string
}

export function newValueKeys(): ValueKeys {
  return { dek: new Uint8Array(randomBytes(DEK_BYTES)), id: newFileId((n) => new Uint8Array(randomBytes(n))) }
}

/**
 * Encrypts a body's values for writing: values already in token form stay; clear values that are not
 * plain are encrypted, reusing the previous token of the same path when it decrypts to exactly the
 * same plaintext and type (never the nonce alone). Plain values stay in clear.
 */
export function encryptBody(body: Body, keys: ValueKeys, plain: readonly string[], previous: ReadonlyMap<string, string> = new Map()): string {
  const changes = new Map<number, ValueChange>()
  body.values.forEach((value, index) => {
    if (isPlainValue(value, plain)) {
      if (value.token !== undefined) throw new VaultError(`the value at ${describePath(value.path)} is encrypted but its key is plain in this file: decrypt it first`, 'values:plain')
      return
    }
    if (value.token !== undefined) return
    changes.set(index, { token: reencryptValue(keys.dek, keys.id, value.path, value.type, value.plaintext!, previous.get(pathKey(value.path))) })
  })
  return body.render(changes)
}

/** Tokens by path, for re-encryption that keeps unchanged values. */
export function tokensByPath(file: ValuesFile): Map<string, string> {
  const tokens = new Map<string, string>()
  for (const value of file.body.values) if (value.token !== undefined) tokens.set(pathKey(value.path), value.token)
  return tokens
}

/**
 * Wraps the DEK for exactly `recipients`, keeping the existing entry (its exact bytes) of every
 * recipient that stays. The re-wrap of a grant: no value changes. (A removal must also rotate: see
 * rotateValues, or the removed key keeps reading every future value.)
 */
export async function wrapDek(dek: Uint8Array, recipients: readonly string[], existing: readonly RecipientEntry[] = []): Promise<RecipientEntry[]> {
  const kept = new Map(existing.map((entry) => [entry.recipient, entry]))
  const entries: RecipientEntry[] = []
  for (const recipient of [...new Set(recipients)].sort()) {
    const entry = kept.get(recipient)
    entries.push(entry ?? { recipient, enc: Buffer.from(await encryptToRecipients(dek, [recipient])).toString('utf8') })
  }
  return entries
}

export interface SealOptions {
  /** The body with every non-plain value already in token form. */
  body: string
  format: ValuesFormat
  path: string
  keys: ValueKeys
  plain: readonly string[]
  recipients: RecipientEntry[]
  signer: Pick<KeyHandle, 'signingKey' | 'sign'>
}

/** Adds the metadata and signs: the complete file's text. */
export async function sealValuesFile(options: SealOptions): Promise<string> {
  return signValuesFile({ ...options, id: options.keys.id, commit: dekCommitment(options.keys.dek, options.keys.id) })
}

/** Adds metadata with a known id and commitment (no DEK needed) and signs: what the merge driver writes. */
export async function signValuesFile(options: Omit<SealOptions, 'keys'> & { id: string; commit: string }): Promise<string> {
  const path = normalizeRepoPath(options.path)
  const meta: ValuesMetadata = {
    v: 1,
    path,
    id: options.id,
    plain: [...options.plain],
    recipients: options.recipients,
    commit: options.commit,
    signer: options.signer.signingKey,
    sig: SIGNATURE_PLACEHOLDER,
  }
  return resign(joinValuesFile(options.body, meta, options.format), path, options.signer)
}

/** Signs a file whose sig field holds the placeholder. */
async function resign(withPlaceholder: string, path: string, signer: Pick<KeyHandle, 'sign'>): Promise<string> {
  const signature = signatureToText(await signer.sign(SIGNATURE_LABELS.values, signedMessage(path, withPlaceholder)))
  return fillSignature(withPlaceholder, signature)
}

/**
 * Re-signs a file for a path and signer without touching its values or keys (no DEK needed): used by
 * `mv` and the merge driver. Metadata fields other than path and signer are kept as they are.
 */
export async function resignValuesFile(file: ValuesFile, options: { path: string; signer: Pick<KeyHandle, 'signingKey' | 'sign'>; recipients?: RecipientEntry[]; body?: string }): Promise<string> {
  if (!file.meta) throw new VaultError('the file is not encrypted', 'values:metadata')
  const path = normalizeRepoPath(options.path)
  const meta: ValuesMetadata = { ...file.meta, path, recipients: options.recipients ?? file.meta.recipients, signer: options.signer.signingKey, sig: SIGNATURE_PLACEHOLDER }
  return resign(joinValuesFile(options.body ?? file.split.body, meta, file.split.format), path, options.signer)
}

/**
 * Rotation: a fresh DEK, every value re-encrypted under it (fresh nonces), wrapped for exactly
 * `recipients`. `values` are the decrypted values of the file (decryptValues). The file id stays.
 */
export async function rotateValues(file: ValuesFile, values: readonly DecryptedValue[], options: RotateOptions): Promise<string> {
  if (!file.meta) throw new VaultError('the file is not encrypted', 'values:metadata')
  return rotateClearBody(parseBody(plaintextBody(file, values), file.split.format), file.meta.id, options)
}

export type RotateOptions = Omit<SealOptions, 'body' | 'format' | 'keys' | 'recipients'> & { recipients: readonly string[] }

/** A body in clear encrypted under a fresh DEK (same file id), wrapped for exactly `recipients`, signed. */
export async function rotateClearBody(clear: Body, id: string, options: RotateOptions): Promise<string> {
  const keys: ValueKeys = { dek: newValueKeys().dek, id }
  const body = encryptBody(clear, keys, options.plain)
  return sealValuesFile({ ...options, body, format: clear.format, keys, recipients: await wrapDek(keys.dek, options.recipients) })
}

/**
 * Re-wrap: the same DEK and values, wrapped for exactly `recipients` (existing entries kept byte for
 * byte), re-signed. For grants; a removal must rotate instead.
 */
export async function rewrapValues(file: ValuesFile, dek: Uint8Array, options: { path: string; signer: Pick<KeyHandle, 'signingKey' | 'sign'>; recipients: readonly string[] }): Promise<string> {
  if (!file.meta) throw new VaultError('the file is not encrypted', 'values:metadata')
  if (!checkDekCommitment(dek, file.meta.id, file.meta.commit)) throw new VaultError('the data key does not match this file', 'values:commitment')
  return resignValuesFile(file, { path: options.path, signer: options.signer, recipients: await wrapDek(dek, options.recipients, file.meta.recipients) })
}
