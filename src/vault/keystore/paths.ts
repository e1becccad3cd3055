import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { VaultError } from '../errors.js'
import { writeFileAtomic } from '../fs-atomic.js'
import { isSigningPublicKey } from '../signing.js'
import { isX25519Recipient } from '../identity.js'

export type StoreKind = 'keyring' | 'file' | 'plaintext'
export const STORE_KINDS: readonly StoreKind[] = ['keyring', 'file', 'plaintext']

/** sentra's per-user directory: $SENTRA_CONFIG_DIR, else $XDG_CONFIG_HOME/sentra, else ~/.config/sentra. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SENTRA_CONFIG_DIR) return env.SENTRA_CONFIG_DIR
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config')
  return join(base, 'sentra')
}

export function ensureConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  return dir
}

/**
 * Where this device's identity is kept, plus its public half so that `whoami` and recipient
 * lookups never need the passphrase. No secret in this file.
 */
export interface KeystoreRecord {
  version: 1
  store: StoreKind
  recipient: string
  signingKey: string
  created: string
}

export function keystoreRecordPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'keystore.json')
}

export function readKeystoreRecord(env: NodeJS.ProcessEnv = process.env): KeystoreRecord | undefined {
  const path = keystoreRecordPath(env)
  if (!existsSync(path)) return undefined
  let data: Partial<KeystoreRecord>
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as Partial<KeystoreRecord>
  } catch {
    throw new VaultError(`${path} is not valid JSON: fix or delete it, then run \`sentra keygen --import\``, 'keystore')
  }
  if (data.version !== 1 || !STORE_KINDS.includes(data.store as StoreKind) || !isX25519Recipient(data.recipient) || !isSigningPublicKey(data.signingKey)) {
    throw new VaultError(`${path} is not a sentra keystore record`, 'keystore')
  }
  return data as KeystoreRecord
}

export function writeKeystoreRecord(record: KeystoreRecord, env: NodeJS.ProcessEnv = process.env): void {
  ensureConfigDir(env)
  writeFileAtomic(keystoreRecordPath(env), `${JSON.stringify(record, null, 2)}\n`, 0o600)
}

export const PASSPHRASE_FILE = 'identity.age'
export const PLAINTEXT_FILE = 'identity.txt'
