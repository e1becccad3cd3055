import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FilePatch } from '../git/diff-parse.js'

/**
 * The guard's cheap test, run on every commit, of whether the vault checks are needed: a per-value
 * or binary managed path is staged (by the vault policy read from the manifest without verifying it,
 * which the checks then do), a staged file holds sentra ciphertext or metadata, or the known-secrets
 * store exists. Only then is the vault code loaded (src/vault/guard-link.ts). Nothing here imports
 * more than node:fs.
 */
export const MANIFEST_FILE = '.sentra/team.jsonl'
export const KNOWN_SECRETS_STORE = 'sentra/known-secrets.json'

export interface VaultTriggers {
  /** Staged paths the policy may manage, or that hold sentra-encrypted content. */
  paths: string[]
  knownSecrets: boolean
}

/** The vault policy's globs, from the manifest's manage/unmanage entries in order (unverified). */
export function policyGlobs(manifest: string): string[] {
  const globs: string[] = []
  for (const line of manifest.split('\n')) {
    if (!line.includes('"manage"') && !line.includes('"unmanage"')) continue
    try {
      const op = (JSON.parse(line) as { op?: { type?: string; glob?: unknown } }).op
      if (typeof op?.glob !== 'string') continue
      if (op.type === 'manage' && !globs.includes(op.glob)) globs.push(op.glob)
      if (op.type === 'unmanage' && globs.includes(op.glob)) globs.splice(globs.indexOf(op.glob), 1)
    } catch {
      // A damaged line: the checks that load the manifest properly will say so.
      return ['**']
    }
  }
  return globs
}

/**
 * A glob as a RegExp, for the common syntax (`*`, `**`, `?`, `[…]`, `{a,b}`); anything fancier
 * matches everything, so that the real check (micromatch, in the vault code) decides.
 */
export function globRegExp(glob: string): RegExp {
  if (/[!+@]\(|\\/.test(glob)) return /^/
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/'
        source += slash ? '(?:.*/)?' : '.*'
        i += slash ? 2 : 1
      } else source += '[^/]*'
    } else if (c === '?') source += '[^/]'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1)
      if (end === -1) return /^/
      source += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`
      i = end
    } else if (c === '{') {
      const end = glob.indexOf('}', i + 1)
      if (end === -1) return /^/
      source += `(?:${glob.slice(i + 1, end).split(',').map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})`
      i = end
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}

const SENTRA_CONTENT = ['ENC[sentra:v1,', '#sentra:v1 ']

export function vaultTriggers(root: string, commonDir: string, patches: readonly FilePatch[]): VaultTriggers {
  const knownSecrets = existsSync(join(commonDir, KNOWN_SECRETS_STORE))
  const live = patches.filter((patch) => patch.status !== 'deleted' && !patch.submodule)
  if (live.length === 0) return { paths: [], knownSecrets }
  const manifest = join(root, MANIFEST_FILE)
  // Without a team manifest no file can be managed or verified: nothing to load.
  if (!existsSync(manifest)) return { paths: [], knownSecrets }
  const globs = policyGlobs(readFileSync(manifest, 'utf8')).map(globRegExp)
  const paths = live
    .filter((patch) => {
      const plain = patch.path.replace(/\.age(\.sig)?$/, '')
      if (globs.some((glob) => glob.test(patch.path) || glob.test(plain))) return true
      return patch.texts.some((text) => SENTRA_CONTENT.some((marker) => text.includes(marker)))
    })
    .map((patch) => patch.path)
  return { paths, knownSecrets }
}
