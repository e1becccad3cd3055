import { existsSync, readFileSync, rmSync } from 'node:fs'
import { ageFileKind } from './age.js'
import { VaultError } from './errors.js'
import { writeFileAtomic, PRIVATE_FILE_MODE } from './fs-atomic.js'
import { AgeIdentity, parseIdentityFile } from './identity.js'
import { deleteFromKeyring, saveToKeyring } from './keystore/keyring.js'
import { openSealedIdentity, passphraseFilePath, saveToPassphraseFile, sealIdentity } from './keystore/passphrase-file.js'
import { readKeystoreRecord, writeKeystoreRecord, type KeystoreRecord, type StoreKind } from './keystore/paths.js'
import { plaintextFilePath, plaintextWarning, saveToPlaintextFile } from './keystore/plaintext-file.js'
import type { PassphraseReader } from './passphrase.js'

export interface KeygenOptions {
  store: StoreKind
  /** Path of an age identity file (plain, or sealed with a passphrase) to import instead of generating. */
  importFrom?: string
  force?: boolean
  env?: NodeJS.ProcessEnv
  passphrases: PassphraseReader
  warn: (message: string) => void
}

export interface KeygenResult {
  identity: AgeIdentity
  record: KeystoreRecord
  location: string
  imported: boolean
}

/** Reads an identity to import: an age-keygen file, or one sealed with a passphrase (a sentra backup). */
export async function readImport(path: string, passphrases: PassphraseReader): Promise<AgeIdentity> {
  if (!existsSync(path)) throw new VaultError(`cannot read ${path}`, 'usage')
  const bytes = new Uint8Array(readFileSync(path))
  if (ageFileKind(bytes)) return openSealedIdentity(bytes, await passphrases.read(`Passphrase for ${path}: `), path)
  return parseIdentityFile(Buffer.from(bytes).toString('utf8'), path)
}

/**
 * Creates (or imports) this device's identity and stores it where the user chose. Never replaces an
 * existing identity without --force, and never falls back to a weaker store by itself.
 */
export async function createIdentity(options: KeygenOptions): Promise<KeygenResult> {
  const env = options.env ?? process.env
  const existing = readKeystoreRecord(env)
  if (existing && !options.force) {
    throw new VaultError(
      `this device already has an identity (${existing.recipient}, in the ${existing.store} store): back it up with \`sentra keygen --backup FILE\`; --force replaces it`,
      'identity-exists',
    )
  }
  const identity = options.importFrom ? await readImport(options.importFrom, options.passphrases) : AgeIdentity.generate()
  let location: string
  switch (options.store) {
    case 'keyring':
      await saveToKeyring(identity)
      location = 'the OS credential store (Secret Service / Keychain / Credential Manager)'
      break
    case 'file': {
      const passphrase = await options.passphrases.read('New passphrase for your key file: ', { confirm: true })
      location = await saveToPassphraseFile(identity, passphrase, env)
      break
    }
    case 'plaintext':
      location = saveToPlaintextFile(identity, env)
      options.warn(plaintextWarning(location))
      break
  }
  const record: KeystoreRecord = {
    version: 1,
    store: options.store,
    recipient: identity.recipient,
    signingKey: identity.signingPublicKey,
    created: new Date().toISOString(),
  }
  writeKeystoreRecord(record, env)
  // A replaced key must not linger in a store no longer in use (above all an unencrypted one).
  if (options.store !== 'plaintext') rmSync(plaintextFilePath(env), { force: true })
  if (options.store !== 'file') rmSync(passphraseFilePath(env), { force: true })
  if (options.store !== 'keyring' && existing?.store === 'keyring') {
    await deleteFromKeyring().catch(() => options.warn('the old key could not be removed from the OS credential store: remove the "sentra" entry by hand'))
  }
  return { identity, record, location, imported: options.importFrom !== undefined }
}

/** Writes a passphrase-sealed copy of the identity (age scrypt, armored, 0600); never overwrites. */
export async function writeBackup(identity: AgeIdentity, path: string, passphrases: PassphraseReader): Promise<void> {
  if (existsSync(path)) throw new VaultError(`${path} already exists: choose a new file for the backup`, 'usage')
  const passphrase = await passphrases.read(`Passphrase for the backup ${path}: `, { confirm: true })
  writeFileAtomic(path, await sealIdentity(identity, passphrase), PRIVATE_FILE_MODE)
}
