import { createHmac, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { shannonEntropy } from '../scan/entropy.js'
import { writeFileAtomic } from './fs-atomic.js'

/**
 * Known secrets: after a local decrypt, keyed hashes of the decrypted values' tokens are kept under
 * the git common dir (`sentra/known-secrets.json`, 0600), with the HMAC key beside them
 * (`sentra/known-secrets.key`, 0600; not in the keystore, so the pre-commit hook never waits for a
 * keyring or a passphrase). The values themselves are never stored. The guard splits added lines into
 * tokens the same way and hashes only tokens whose length is in the stored set, so it blocks the
 * team's own secret pasted into any file, in any format.
 *
 * Only tokens of at least 8 characters that mix two of lower case, upper case and digits, with some
 * entropy, count, so `7`, `true`, `production` or a host name never block anything.
 */
export const KNOWN_SECRETS_FILE = 'known-secrets.json'
export const KNOWN_SECRETS_KEY_FILE = 'known-secrets.key'
const MIN_LENGTH = 8
const MIN_ENTROPY = 3
const HASH_HEX = 32

/** Splits text into tokens on whitespace, quotes and `:@/=,;` (the guard and the store agree on this). */
export const TOKEN_SEPARATORS = /[\s"'`:@/=,;]+/

export interface KnownSecretsStore {
  v: 1
  /** Per repository path, the hashes of the tokens of its values at its last decrypt. */
  files: Record<string, string[]>
  /** Per repository path, the lengths of those tokens. */
  fileLengths: Record<string, number[]>
  /** Every length some stored token has, sorted. */
  lengths: number[]
}

/** Whether a token is worth remembering: long enough, varied enough. */
export function isSecretLike(token: string): boolean {
  if (token.length < MIN_LENGTH) return false
  // Two of lower case, upper case and digits: host names and plain words are not secrets.
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(token)).length
  return classes >= 2 && shannonEntropy(token) >= MIN_ENTROPY
}

/** The tokens of a value that the store remembers: the whole value when it is one token, and each secret-like token in it. */
export function secretTokens(value: string): string[] {
  const tokens = new Set<string>()
  for (const token of value.split(TOKEN_SEPARATORS)) if (isSecretLike(token)) tokens.add(token)
  return [...tokens]
}

function paths(sentraDir: string): { store: string; key: string } {
  return { store: join(sentraDir, KNOWN_SECRETS_FILE), key: join(sentraDir, KNOWN_SECRETS_KEY_FILE) }
}

function hashToken(key: Buffer, token: string): string {
  return createHmac('sha256', key).update(token, 'utf8').digest('hex').slice(0, HASH_HEX)
}

function readKey(file: string, create: boolean): Buffer | undefined {
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim()
    if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, 'hex')
    if (!create) return undefined
  }
  if (!create) return undefined
  const key = randomBytes(32)
  writeFileAtomic(file, `${key.toString('hex')}\n`, 0o600)
  return key
}

export function readKnownSecrets(sentraDir: string): KnownSecretsStore | undefined {
  const { store } = paths(sentraDir)
  if (!existsSync(store)) return undefined
  try {
    const value = JSON.parse(readFileSync(store, 'utf8')) as KnownSecretsStore
    if (value.v !== 1 || typeof value.files !== 'object' || typeof value.fileLengths !== 'object' || !Array.isArray(value.lengths)) return undefined
    return value
  } catch {
    return undefined
  }
}

/**
 * Replaces what is remembered for one file by the tokens of its decrypted values. Returns how many
 * token hashes are stored for it.
 */
export function rememberSecrets(sentraDir: string, repoPath: string, values: readonly string[]): number {
  mkdirSync(sentraDir, { recursive: true })
  const { store, key: keyFile } = paths(sentraDir)
  const key = readKey(keyFile, true)!
  const current: KnownSecretsStore = readKnownSecrets(sentraDir) ?? { v: 1, files: {}, fileLengths: {}, lengths: [] }
  const lengths = new Set<number>()
  const hashes = new Set<string>()
  for (const value of values) {
    for (const token of secretTokens(value)) {
      hashes.add(hashToken(key, token))
      lengths.add(token.length)
    }
  }
  const files = { ...current.files }
  const perFileLengths = { ...current.fileLengths }
  if (hashes.size === 0) {
    delete files[repoPath]
    delete perFileLengths[repoPath]
  } else {
    files[repoPath] = [...hashes].sort()
    perFileLengths[repoPath] = [...lengths].sort((a, b) => a - b)
  }
  const all = new Set(Object.values(perFileLengths).flat())
  const next: KnownSecretsStore = { v: 1, files, fileLengths: perFileLengths, lengths: [...all].sort((a, b) => a - b) }
  writeFileAtomic(store, `${JSON.stringify(next)}\n`, 0o600)
  chmodSync(store, 0o600)
  return hashes.size
}

export interface KnownSecretHit {
  /** 0-based index into the lines given. */
  line: number
  /** 0-based column of the token. */
  column: number
  length: number
  /** The file whose value it is. */
  source: string
}

/** A checker for lines of text, or undefined when nothing is stored. */
export function knownSecretsChecker(sentraDir: string): ((line: string) => Array<Omit<KnownSecretHit, 'line'>>) | undefined {
  const store = readKnownSecrets(sentraDir)
  if (!store || store.lengths.length === 0) return undefined
  const key = readKey(paths(sentraDir).key, false)
  if (!key) throw new Error(`the known-secrets key (${paths(sentraDir).key}) is missing or damaged: decrypt a file again to recreate it`)
  const longest = Math.max(...store.lengths)
  const wanted = new Uint8Array(longest + 1)
  for (const length of store.lengths) wanted[length] = 1
  const sources = new Map<string, string>()
  for (const [path, hashes] of Object.entries(store.files)) for (const hash of hashes) sources.set(hash, path)
  // Only tokens whose length some stored token has are hashed; splitting is left to the regex
  // engine, which is fast even before the JIT has warmed up (the guard is a short-lived process).
  return (line) => {
    const hits: Array<Omit<KnownSecretHit, 'line'>> = []
    let at = 0
    for (const token of line.split(TOKEN_SEPARATORS)) {
      const length = token.length
      if (length >= MIN_LENGTH && length <= longest && wanted[length] === 1) {
        const source = sources.get(hashToken(key, token))
        if (source !== undefined) {
          const column = line.indexOf(token, at)
          hits.push({ column, length, source })
          at = column + length
        }
      }
    }
    return hits
  }
}
