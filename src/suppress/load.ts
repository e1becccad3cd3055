import { isAbsolute, relative, resolve, sep } from 'node:path'
import type { SuppressionOptions } from './apply.js'
import { DEFAULT_BASELINE, loadBaseline } from './baseline.js'
import { IGNORE_FILE, loadIgnoreFile } from './ignore-file.js'

export interface LoadSuppressionOptions {
  /** A baseline file given by the user (`--baseline FILE`), relative to `cwd`. */
  baseline?: string
  cwd?: string
  reportUnusedIgnores?: boolean
}

/**
 * Reads what a scan of a repository honours: `<root>/.sentraignore` always, a baseline when asked.
 * Read-only, for both `sentra scan` and `sentra guard`.
 */
export function loadSuppressions(root: string, options: LoadSuppressionOptions = {}): SuppressionOptions {
  const ownFiles = [IGNORE_FILE, DEFAULT_BASELINE]
  const result: SuppressionOptions = { ignores: loadIgnoreFile(root), ignoreSource: IGNORE_FILE, ownFiles }
  if (options.baseline !== undefined) {
    const cwd = options.cwd ?? process.cwd()
    const path = isAbsolute(options.baseline) ? options.baseline : resolve(cwd, options.baseline)
    const source = relative(cwd, path) || options.baseline
    result.baseline = loadBaseline(path, source)
    result.baselineSource = source
    const inRepo = relative(root, path)
    if (!inRepo.startsWith('..') && !isAbsolute(inRepo)) ownFiles.push(inRepo.split(sep).join('/'))
  }
  if (options.reportUnusedIgnores) result.reportUnusedIgnores = true
  return result
}
