import { readFileSync } from 'node:fs'
import { VaultError } from '../errors.js'
import { AgeIdentity, parseIdentityFile } from '../identity.js'

/** CI and scripts pass the identity in the environment: the key itself, or a path to an age identity file. */
export const IDENTITY_ENV = 'SENTRA_IDENTITY'
export const IDENTITY_FILE_ENV = 'SENTRA_IDENTITY_FILE'

export function identityFromEnv(env: NodeJS.ProcessEnv = process.env): { identity: AgeIdentity; source: 'env' | 'env-file' } | undefined {
  const inline = env[IDENTITY_ENV]
  if (inline !== undefined && inline !== '') {
    try {
      return { identity: AgeIdentity.parse(inline), source: 'env' }
    } catch (error) {
      throw new VaultError(`${IDENTITY_ENV}: ${(error as Error).message}`, (error as VaultError).kind ?? 'identity-invalid')
    }
  }
  const file = env[IDENTITY_FILE_ENV]
  if (file !== undefined && file !== '') {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      throw new VaultError(`${IDENTITY_FILE_ENV}: cannot read ${file}`, 'no-identity')
    }
    return { identity: parseIdentityFile(text, `${IDENTITY_FILE_ENV} (${file})`), source: 'env-file' }
  }
  return undefined
}
