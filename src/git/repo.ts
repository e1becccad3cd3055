import { gitSync } from './exec.js'

/** The work tree root containing `dir`, or undefined outside a git work tree. */
export function findRepoRoot(dir: string): string | undefined {
  try {
    return gitSync(['rev-parse', '--show-toplevel'], dir).toString('utf8').trim() || undefined
  } catch {
    return undefined
  }
}

/** The root commit ids of HEAD's history (sorted), or [] in a repository with no commit yet. */
export function rootCommits(repoRoot: string): string[] {
  try {
    return gitSync(['rev-list', '--max-parents=0', 'HEAD'], repoRoot).toString('utf8').split('\n').filter(Boolean).sort()
  } catch {
    return []
  }
}

/** Files git would show: tracked plus untracked-but-not-ignored, NUL-separated, relative to the root. */
export function listRepoFiles(repoRoot: string, pathspecs: string[]): string[] {
  const out = gitSync(['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--deduplicate', '--', ...pathspecs], repoRoot)
  return out.toString('utf8').split('\0').filter(Boolean)
}
