import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decryptAge, encryptWithPassphrase, AgeDecryptError } from '../age.js'
import { VaultError } from '../errors.js'
import { writeFileAtomic, PRIVATE_FILE_MODE } from '../fs-atomic.js'
import { AgeIdentity, parseIdentityFile } from '../identity.js'
import { PASSPHRASE_FILE, configDir, ensureConfigDir } from './paths.js'

/**
 * The identity file (age-keygen format) encrypted to a passphrase with age's scrypt recipient,
 * armored, mode 0600: `age -d identity.age` recovers a normal age identity file.
 */
export function passphraseFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), PASSPHRASE_FILE)
}

export async function sealIdentity(identity: AgeIdentity, passphrase: string): Promise<Uint8Array> {
  return encryptWithPassphrase(new TextEncoder().encode(identity.toIdentityFile()), passphrase)
}

export async function saveToPassphraseFile(identity: AgeIdentity, passphrase: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  ensureConfigDir(env)
  const path = passphraseFilePath(env)
  writeFileAtomic(path, await sealIdentity(identity, passphrase), PRIVATE_FILE_MODE)
  return path
}

/** Opens an identity sealed with a passphrase (sentra's key file, or a backup). */
export async function openSealedIdentity(sealed: Uint8Array, passphrase: string, source: string): Promise<AgeIdentity> {
  let plaintext: Uint8Array
  try {
    plaintext = await decryptAge(sealed, { passphrases: [passphrase] })
  } catch (error) {
    if (error instanceof AgeDecryptError && error.failure === 'no-match') throw new VaultError(`wrong passphrase for ${source}`, 'passphrase-wrong')
    throw new VaultError(`cannot open ${source}: ${(error as Error).message}`, 'keystore')
  }
  return parseIdentityFile(new TextDecoder().decode(plaintext), source)
}

export async function loadFromPassphraseFile(passphrase: string, env: NodeJS.ProcessEnv = process.env): Promise<AgeIdentity> {
  const path = passphraseFilePath(env)
  if (!existsSync(path)) throw new VaultError(`the key file ${path} is missing: restore it from a backup or run \`sentra keygen --keystore file\``, 'no-identity')
  return openSealedIdentity(readFileSync(path), passphrase, path)
}
