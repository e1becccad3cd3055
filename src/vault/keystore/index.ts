import { AgentKey, agentStatus } from '../agent/client.js'
import type { DecryptKeys, FileKeySource } from '../age.js'
import { VaultError } from '../errors.js'
import type { AgeIdentity } from '../identity.js'
import type { PassphraseReader } from '../passphrase.js'
import type { SignatureLabel } from '../signing.js'
import { IDENTITY_ENV, IDENTITY_FILE_ENV, identityFromEnv } from './env.js'
import { loadFromKeyring } from './keyring.js'
import { loadFromPassphraseFile, passphraseFilePath } from './passphrase-file.js'
import { readKeystoreRecord, type StoreKind } from './paths.js'
import { loadFromPlaintextFile, plaintextFilePath, plaintextWarning } from './plaintext-file.js'

export type KeySource = 'env' | 'env-file' | 'agent' | StoreKind

/** This device's key as commands use it: sign, and decrypt age files; the secret stays where it is. */
export interface KeyHandle {
  readonly recipient: string
  readonly signingKey: string
  readonly source: KeySource
  sign(label: SignatureLabel, message: Uint8Array): Promise<Uint8Array>
  /** What to pass to decryptAge. */
  decryptKeys(): DecryptKeys
}

export class LocalKey implements KeyHandle {
  constructor(
    readonly identity: AgeIdentity,
    readonly source: KeySource,
  ) {}

  get recipient(): string {
    return this.identity.recipient
  }

  get signingKey(): string {
    return this.identity.signingPublicKey
  }

  async sign(label: SignatureLabel, message: Uint8Array): Promise<Uint8Array> {
    return this.identity.signingKey.sign(label, message)
  }

  decryptKeys(): DecryptKeys {
    return { identities: [this.identity] }
  }
}

class AgentKeyHandle implements KeyHandle {
  readonly source = 'agent' as const
  constructor(private readonly agent: AgentKey) {}

  get recipient(): string {
    return this.agent.recipient
  }

  get signingKey(): string {
    return this.agent.signingKey
  }

  sign(label: SignatureLabel, message: Uint8Array): Promise<Uint8Array> {
    return this.agent.sign(label, message)
  }

  decryptKeys(): DecryptKeys {
    return { sources: [this.agent as FileKeySource] }
  }
}

export interface OpenKeyOptions {
  env?: NodeJS.ProcessEnv
  passphrases: PassphraseReader
  warn: (message: string) => void
  /** Use a running agent (default true). `sentra unlock` itself reads the store directly. */
  useAgent?: boolean
}

export const NO_IDENTITY_HELP = `run \`sentra keygen\` (or \`sentra keygen --import FILE\`), or set ${IDENTITY_ENV} / ${IDENTITY_FILE_ENV}`

/**
 * Finds this device's key, in order: SENTRA_IDENTITY, SENTRA_IDENTITY_FILE, a running agent, then
 * the store recorded by `sentra keygen` (OS credential store, passphrase file, or plaintext file).
 */
export async function openKey(options: OpenKeyOptions): Promise<KeyHandle> {
  const env = options.env ?? process.env
  const fromEnv = identityFromEnv(env)
  if (fromEnv) return new LocalKey(fromEnv.identity, fromEnv.source)
  if (options.useAgent !== false) {
    const status = await agentStatus(env)
    if (status) return new AgentKeyHandle(new AgentKey(status))
  }
  return new LocalKey(...(await openStoredIdentity(options)))
}

/** The identity from the store recorded by `sentra keygen` (no env, no agent). */
export async function openStoredIdentity(options: OpenKeyOptions): Promise<[AgeIdentity, StoreKind]> {
  const env = options.env ?? process.env
  const record = readKeystoreRecord(env)
  if (!record) throw new VaultError(`no identity on this device: ${NO_IDENTITY_HELP}`, 'no-identity')
  let identity: AgeIdentity
  switch (record.store) {
    case 'keyring':
      identity = await loadFromKeyring()
      break
    case 'file':
      identity = await loadFromPassphraseFile(await options.passphrases.read(`Passphrase for ${passphraseFilePath(env)}: `), env)
      break
    case 'plaintext':
      options.warn(plaintextWarning(plaintextFilePath(env)))
      identity = loadFromPlaintextFile(env)
      break
  }
  if (identity.recipient !== record.recipient) {
    throw new VaultError(`the stored identity does not match ${record.recipient} recorded by sentra keygen: re-run \`sentra keygen --import\``, 'keystore')
  }
  return [identity, record.store]
}

export interface PublicKeyInfo {
  recipient: string
  signingKey: string
  source: KeySource
  expires?: string
}

/** The public keys of this device without unlocking anything (for whoami and recipient checks). */
export async function publicKeyInfo(env: NodeJS.ProcessEnv = process.env): Promise<PublicKeyInfo | undefined> {
  const fromEnv = identityFromEnv(env)
  if (fromEnv) return { recipient: fromEnv.identity.recipient, signingKey: fromEnv.identity.signingPublicKey, source: fromEnv.source }
  const status = await agentStatus(env)
  if (status) return { recipient: status.recipient, signingKey: status.signingKey, source: 'agent', expires: status.expires }
  const record = readKeystoreRecord(env)
  if (record) return { recipient: record.recipient, signingKey: record.signingKey, source: record.store }
  return undefined
}
