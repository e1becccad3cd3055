import { lstatSync, readdirSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { listRepoFiles } from '../../git/repo.js'

export class SourceError extends Error {}

/** Converts an OS path relative to `base` into the `/`-separated form used in reports and globs. */
export function toReportPath(base: string, absolute: string): string {
  const rel = relative(base, absolute)
  return (rel === '' ? '.' : rel).split(sep).join('/')
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.git') continue
    const full = join(dir, entry.name)
    if (entry.isDirectory()) walk(full, out)
    else if (entry.isFile()) out.push(full)
  }
}

/**
 * The files a path scan covers, as absolute paths. Inside a git repository the list comes from git
 * (tracked plus untracked files that are not ignored), so .gitignore is respected; elsewhere the
 * directories are walked (skipping .git). Symbolic links are not followed.
 */
export function enumerateFiles(paths: string[], cwd: string, repoRoot: string | undefined): string[] {
  const absolute = paths.map((p) => (isAbsolute(p) ? p : resolve(cwd, p)))
  for (const path of absolute) {
    try {
      statSync(path)
    } catch {
      throw new SourceError(`no such file or directory: ${relative(cwd, path) || path}`)
    }
  }
  const files = new Set<string>()
  const inRepo = repoRoot ? absolute.filter((p) => p === repoRoot || p.startsWith(repoRoot + sep)) : []
  if (repoRoot && inRepo.length > 0) {
    const specs = inRepo.map((p) => `:(literal)${toReportPath(repoRoot, p) === '.' ? '' : toReportPath(repoRoot, p)}`)
    for (const rel of listRepoFiles(repoRoot, specs.map((s) => (s === ':(literal)' ? '.' : s)))) {
      const full = join(repoRoot, rel)
      try {
        if (lstatSync(full).isFile()) files.add(full)
      } catch {
        // Tracked but deleted from the work tree: nothing to read.
      }
    }
    // A path named explicitly is scanned even if git ignores it.
    for (const path of inRepo) if (statSync(path).isFile()) files.add(path)
  }
  for (const path of absolute) {
    if (inRepo.includes(path)) continue
    if (statSync(path).isDirectory()) {
      const found: string[] = []
      walk(path, found)
      for (const file of found) files.add(file)
    } else files.add(path)
  }
  return [...files].sort()
}
