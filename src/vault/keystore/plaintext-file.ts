import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { VaultError } from '../errors.js'
import { writeFileAtomic, PRIVATE_FILE_MODE } from '../fs-atomic.js'
import { AgeIdentity, parseIdentityFile } from '../identity.js'
import { PLAINTEXT_FILE, configDir, ensureConfigDir } from './paths.js'

/** An unencrypted identity file, only ever chosen with --insecure-plaintext-key; every use warns. */
export function plaintextFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), PLAINTEXT_FILE)
}

export function plaintextWarning(path: string): string {
  return `your private key is stored UNENCRYPTED in ${path} (--insecure-plaintext-key): anyone who can read that file can decrypt and sign as you`
}

export function saveToPlaintextFile(identity: AgeIdentity, env: NodeJS.ProcessEnv = process.env): string {
  ensureConfigDir(env)
  const path = plaintextFilePath(env)
  writeFileAtomic(path, identity.toIdentityFile(), PRIVATE_FILE_MODE)
  return path
}

export function loadFromPlaintextFile(env: NodeJS.ProcessEnv = process.env): AgeIdentity {
  const path = plaintextFilePath(env)
  if (!existsSync(path)) throw new VaultError(`the key file ${path} is missing`, 'no-identity')
  return parseIdentityFile(readFileSync(path, 'utf8'), path)
}
