import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { gitSync } from '../../git/exec.js'
import { normalizeRepoPath } from '../encoding.js'
import { VaultError } from '../errors.js'
import { writeFileAtomic } from '../fs-atomic.js'
import { rememberSecrets } from '../known-secrets.js'
import { sentraGitDir } from '../manifest/trust.js'
import { programValue } from './body.js'
import type { ValuesFormat } from './metadata.js'
import type { DecryptedValue } from './values-file.js'

/** A file of the repository as the per-value commands address it. */
export interface RepoFile {
  /** Absolute path (symlinked directories resolved, as git reports the work tree). */
  file: string
  /** Repository path as git spells it. */
  path: string
}

export function repoFile(repoRoot: string, cwd: string, given: string, options: { mustExist?: boolean } = {}): RepoFile {
  const absolute = resolve(cwd, given)
  const dir = dirname(absolute)
  const file = existsSync(dir) ? join(realpathSync(dir), basename(absolute)) : absolute
  const path = normalizeRepoPath(relative(repoRoot, file))
  if (path === '' || path === '..' || path.startsWith('../')) throw new VaultError(`${given} is outside this repository`, 'usage')
  if (options.mustExist !== false) {
    if (!existsSync(file)) throw new VaultError(`${given} does not exist`, 'usage')
    if (!statSync(file).isFile()) throw new VaultError(`${given} is not a file`, 'usage')
  }
  return { file, path }
}

export function readText(file: string, shown: string): string {
  const bytes = readFileSync(file)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new VaultError(`${shown} is not UTF-8 text: per-value files are text (use --format binary for other files)`, 'values:binary')
  }
}

/** The version of a path committed at HEAD, if any. */
export function committedText(repoRoot: string, path: string): string | undefined {
  try {
    return gitSync(['cat-file', 'blob', `HEAD:${path}`], repoRoot).toString('utf8')
  } catch {
    return undefined
  }
}

/** Writes an encrypted file in place, atomically, keeping the file's mode. */
export function writeInPlace(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true })
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o644
  writeFileAtomic(file, text, mode)
}

/**
 * Remembers keyed hashes of what was just decrypted (for the guard). Best effort: a failure to
 * write the store is reported, never fatal for the decrypt.
 */
export function rememberDecrypted(repoRoot: string, path: string, format: ValuesFormat, values: readonly DecryptedValue[], warn: (message: string) => void): void {
  try {
    rememberSecrets(
      sentraGitDir(repoRoot),
      path,
      values.filter((value) => value.encrypted).map((value) => programValue(format, value.plaintext)),
    )
  } catch (error) {
    warn(`could not update the guard's known-secrets store: ${(error as Error).message}`)
  }
}

/** Whether git attributes give the path sentra's diff and merge drivers (and no EOL conversion). */
export function hasSentraAttributes(repoRoot: string, path: string): boolean {
  try {
    const out = gitSync(['check-attr', '-z', 'merge', 'diff', 'text', '--', path], repoRoot).toString('utf8').split('\0')
    const values = new Map<string, string>()
    for (let i = 0; i + 2 < out.length; i += 3) values.set(out[i + 1]!, out[i + 2]!)
    return values.get('merge') === 'sentra' && values.get('diff') === 'sentra' && values.get('text') === 'unset'
  } catch {
    return false
  }
}
