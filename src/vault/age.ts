import type { Identity, Stanza } from 'age-encryption'
import { VaultError } from './errors.js'
import { AgeIdentity, assertRecipient } from './identity.js'

/**
 * sentra's one age layer: every age file sentra reads or writes goes through here, on top of the
 * `age-encryption` library (the TypeScript age by age's author). Nothing here re-implements age.
 */

type AgeLibrary = typeof import('age-encryption')
let library: AgeLibrary | undefined

/** age-encryption (with noble's post-quantum code) costs ~0.2 s to load: only commands that encrypt or decrypt pay it. */
async function age(): Promise<AgeLibrary> {
  library ??= await import('age-encryption')
  return library
}

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'
const BINARY_INTRO = 'age-encryption.org/v1\n'

/** Something that can recover an age file key from a header without handing out its identity (the agent). */
export interface FileKeySource {
  fileKeyFor(header: Uint8Array): Promise<Uint8Array | null>
}

export interface DecryptKeys {
  identities?: Array<string | AgeIdentity>
  passphrases?: string[]
  sources?: FileKeySource[]
}

export type AgeFailure = 'armor' | 'header' | 'no-match' | 'hmac' | 'payload'

export class AgeDecryptError extends VaultError {
  constructor(
    message: string,
    readonly failure: AgeFailure,
  ) {
    super(message, `age-${failure}`)
  }
}

/** 'armored' or 'binary' when the bytes look like an age file, else undefined. */
export function ageFileKind(bytes: Uint8Array): 'armored' | 'binary' | undefined {
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1')
  if (head.trimStart().startsWith(ARMOR_BEGIN)) return 'armored'
  if (head.startsWith(BINARY_INTRO)) return 'binary'
  return undefined
}

export interface EncryptOptions {
  armor?: boolean
}

export async function encryptToRecipients(plaintext: Uint8Array, recipients: string[], options: EncryptOptions = {}): Promise<Uint8Array> {
  if (recipients.length === 0) throw new VaultError('no recipients to encrypt to', 'no-recipients')
  const { Encrypter } = await age()
  const encrypter = new Encrypter()
  for (const recipient of recipients) encrypter.addRecipient(assertRecipient(recipient))
  return finish(await encrypter.encrypt(plaintext), options)
}

/** Default scrypt work factor (2^18, age's default, ~1.5 s); tests lower it with SENTRA_TEST_SCRYPT_WORK_FACTOR. */
export const DEFAULT_SCRYPT_WORK_FACTOR = 18

export function scryptWorkFactor(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SENTRA_TEST_SCRYPT_WORK_FACTOR
  if (raw === undefined || raw === '') return DEFAULT_SCRYPT_WORK_FACTOR
  const value = Number(raw)
  // age readers refuse work factors above 20; below 10 is pointless even for tests.
  if (!Number.isInteger(value) || value < 10 || value > 20) throw new VaultError('SENTRA_TEST_SCRYPT_WORK_FACTOR must be an integer from 10 to 20', 'config')
  return value
}

export async function encryptWithPassphrase(plaintext: Uint8Array, passphrase: string, options: EncryptOptions & { workFactor?: number } = {}): Promise<Uint8Array> {
  if (passphrase === '') throw new VaultError('the passphrase must not be empty', 'passphrase')
  const { Encrypter } = await age()
  const encrypter = new Encrypter()
  encrypter.setPassphrase(passphrase)
  encrypter.setScryptWorkFactor(options.workFactor ?? scryptWorkFactor())
  return finish(await encrypter.encrypt(plaintext), options)
}

async function finish(binary: Uint8Array, options: EncryptOptions): Promise<Uint8Array> {
  return options.armor === false ? binary : new TextEncoder().encode((await age()).armor.encode(binary))
}

/** Removes the ASCII armor when present; armor errors become AgeDecryptError('armor'). */
export async function dearmor(bytes: Uint8Array): Promise<Uint8Array> {
  if (ageFileKind(bytes) !== 'armored') return bytes
  const { armor } = await age()
  try {
    return armor.decode(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new AgeDecryptError('the age file has damaged ASCII armor', 'armor')
  }
}

/** The header of a binary age file: everything up to and including the `--- MAC` line. */
export function ageHeader(binary: Uint8Array): Uint8Array {
  const buffer = Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength)
  let at = 0
  for (;;) {
    const newline = buffer.indexOf(0x0a, at)
    if (newline < 0) throw new AgeDecryptError('the age header is incomplete', 'header')
    if (buffer.subarray(at, at + 4).toString('latin1') === '--- ') return binary.subarray(0, newline + 1)
    at = newline + 1
  }
}

/** An age Identity that always yields one file key already recovered (by the agent) for this header. */
class KnownFileKey implements Identity {
  constructor(private readonly fileKey: Uint8Array) {}
  unwrapFileKey(_stanzas: Stanza[]): Uint8Array {
    return this.fileKey
  }
}

/**
 * Decrypts a whole age file (armored or binary) in memory. The payload is authenticated chunk by
 * chunk and nothing is returned unless all of it verified, so a failure releases no plaintext.
 */
export async function decryptAge(file: Uint8Array, keys: DecryptKeys): Promise<Uint8Array> {
  const binary = await dearmor(file)
  const { Decrypter } = await age()
  const decrypter = new Decrypter()
  for (const identity of keys.identities ?? []) decrypter.addIdentity(typeof identity === 'string' ? identity : identity.revealSecret())
  for (const passphrase of keys.passphrases ?? []) decrypter.addPassphrase(passphrase)
  const hasLocal = (keys.identities?.length ?? 0) + (keys.passphrases?.length ?? 0) > 0
  if (!hasLocal && (keys.sources?.length ?? 0) > 0) {
    const fileKey = await fileKeyFromSources(binary, keys.sources!)
    if (!fileKey) throw new AgeDecryptError('none of your keys is a recipient of this file', 'no-match')
    decrypter.addIdentity(new KnownFileKey(fileKey))
  }
  try {
    return await decrypter.decrypt(binary)
  } catch (error) {
    throw classify(error)
  }
}

async function fileKeyFromSources(binary: Uint8Array, sources: FileKeySource[]): Promise<Uint8Array | null> {
  let header: Uint8Array
  try {
    header = ageHeader(binary)
  } catch (error) {
    throw classify(error)
  }
  for (const source of sources) {
    const key = await source.fileKeyFor(header)
    if (key) return key
  }
  return null
}

/** Recovers the file key of an age header with local identities (used by the agent). */
export async function fileKeyFromHeader(header: Uint8Array, identities: AgeIdentity[]): Promise<Uint8Array | null> {
  const { Decrypter } = await age()
  const decrypter = new Decrypter()
  for (const identity of identities) decrypter.addIdentity(identity.revealSecret())
  try {
    return await decrypter.decryptHeader(header)
  } catch (error) {
    const classified = classify(error)
    if (classified.failure === 'no-match') return null
    throw classified
  }
}

function classify(error: unknown): AgeDecryptError {
  if (error instanceof AgeDecryptError) return error
  const message = error instanceof Error ? error.message : String(error)
  if (message.startsWith('no identity matched')) return new AgeDecryptError('none of your keys is a recipient of this file', 'no-match')
  if (message === 'invalid header HMAC') return new AgeDecryptError('the age header failed authentication (tampered or corrupt file)', 'hmac')
  if (message === 'invalid tag' || message === 'final chunk is empty' || message.startsWith('"ciphertext" expected length')) {
    return new AgeDecryptError('the age payload failed authentication (tampered, truncated or corrupt file)', 'payload')
  }
  // Everything else is a header the library refused to parse (bad stanza, base64, version, nonce).
  return new AgeDecryptError('the age header is malformed or uses an unsupported stanza', 'header')
}
