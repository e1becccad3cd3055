import { existsSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { gitSync } from './exec.js'

export interface Husky {
  version: 8 | 9
  /** Where husky's hook scripts live (`.husky`): sentra adds itself to them. */
  scriptsDir: string
}

/** The repository's core.hooksPath as set in its config, or undefined. */
function configuredHooksPath(repoRoot: string): string | undefined {
  try {
    return gitSync(['config', '--get', 'core.hooksPath'], repoRoot).toString('utf8').trim() || undefined
  } catch {
    // git config exits 1 when the key is not set.
    return undefined
  }
}

/**
 * Husky, when the repository uses it: v9 points core.hooksPath at `<dir>/_` (where it generates
 * stubs that run `<dir>/<hook>`), v8 at `<dir>` itself (whose scripts source `_/husky.sh`).
 * sentra then edits husky's scripts rather than the hooks husky regenerates.
 */
export function detectHusky(repoRoot: string): Husky | undefined {
  const hooksPath = configuredHooksPath(repoRoot)
  if (!hooksPath) return undefined
  const dir = isAbsolute(hooksPath) ? hooksPath : resolve(repoRoot, hooksPath)
  const normalized = relative(repoRoot, dir).split('\\').join('/')
  if (/(^|\/)\.husky\/_$/.test(normalized) || existsSync(join(dir, 'h'))) return { version: 9, scriptsDir: resolve(dir, '..') }
  if (/(^|\/)\.husky$/.test(normalized) && existsSync(join(dir, '_', 'husky.sh'))) return { version: 8, scriptsDir: dir }
  return undefined
}
