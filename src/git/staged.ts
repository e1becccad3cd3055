import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { forcedBinaryPaths } from './attributes.js'
import { SAFE_DIFF_ARGS, gitSync } from './exec.js'
import { parsePatch, type FilePatch } from './diff-parse.js'
import type { RepoLayout } from './layout.js'

/**
 * The other parents of the commit being made, when it is a merge: MERGE_HEAD (a `git commit` that
 * concludes a merge), or the GITHEAD_<id> variables `git merge` exports to its pre-merge-commit hook,
 * which runs before MERGE_HEAD is written.
 */
export function mergeParents(layout: RepoLayout, env: NodeJS.ProcessEnv = process.env): string[] {
  const parents = new Set<string>()
  const mergeHead = join(layout.gitDir, 'MERGE_HEAD')
  if (existsSync(mergeHead)) {
    for (const line of readFileSync(mergeHead, 'utf8').split('\n')) if (/^[0-9a-f]{40,64}$/.test(line.trim())) parents.add(line.trim())
  }
  if (env.GIT_REFLOG_ACTION !== undefined) {
    for (const name of Object.keys(env)) {
      const match = /^GITHEAD_([0-9a-f]{40,64})$/.exec(name)
      if (match) parents.add(match[1]!)
    }
  }
  return [...parents]
}

/**
 * Context as large as any file: each changed file comes back whole (context and added lines, with
 * their new-file numbers), which is what the scan needs, in the one git process the guard starts.
 * Against another merge parent only the added lines matter: no context. Paths in the output are
 * relative to the repository root (--no-relative). Synchronous: a process started with spawnSync
 * costs the guard less than one driven by the event loop (measured).
 */
function stagedDiff(repoRoot: string, against: string | undefined, extra: string[], paths: readonly string[]): FilePatch[] {
  const args = ['diff', '--cached', against ? '-U0' : '-U100000000', ...SAFE_DIFF_ARGS, ...extra, ...(against ? [against] : []), ...literal(paths)]
  return parsePatch(gitSync(args, repoRoot).toString('utf8'))
}

/** `:(literal)` pathspecs, so that no character of a file name is read as a glob. */
function literal(paths: readonly string[]): string[] {
  return paths.length > 0 ? ['--', ...paths.map((path) => `:(literal)${path}`)] : []
}

/** Keeps, per path, only the lines that are also added against every other parent of a merge. */
function intersect(patches: FilePatch[], others: FilePatch[][]): void {
  for (const other of others) {
    const addedByPath = new Map<string, Set<number>>()
    for (const patch of other) {
      const set = new Set<number>()
      patch.lines.forEach((line, i) => patch.added[i] && set.add(line))
      addedByPath.set(patch.path, set)
    }
    for (const patch of patches) {
      const set = addedByPath.get(patch.path)
      patch.added = patch.added.map((added, i) => added && set !== undefined && set.has(patch.lines[i]!))
    }
  }
}

export interface StagedReadOptions {
  /** Other parents of a merge being concluded (see mergeParents). */
  mergeParents?: string[]
  /** Limit to these repository-relative paths. */
  paths?: readonly string[]
  /** Paths the scan skips anyway (binary extensions, lock files...): never re-diffed as text. */
  skip?: (path: string) => boolean
}

/**
 * The staged change as file patches holding each changed file's whole staged text, with exact
 * new-file line numbers and which lines are added: the index against HEAD (or
 * against nothing on an unborn branch), never the work tree. With `git commit -a` or `git commit
 * <paths>` git points GIT_INDEX_FILE at a temporary index, which every git call here inherits.
 * During a merge a line counts as added only when it is new against every parent (what the merge
 * itself introduces: a conflict resolution, an "evil" merge); what the merged branch brought was
 * checked when it was committed and is checked again at push.
 */
export function readStagedPatches(repoRoot: string, options: StagedReadOptions = {}): FilePatch[] {
  const paths = options.paths ?? []
  const parents = options.mergeParents ?? []
  const run = (extra: string[], only: readonly string[]) => {
    const main = stagedDiff(repoRoot, undefined, extra, only)
    if (parents.length > 0) intersect(main, parents.map((parent) => stagedDiff(repoRoot, parent, extra, only)))
    return main
  }
  const patches = run([], paths)
  // Git calls a text file binary when .gitattributes says so (`-diff`, `binary`, a diff driver):
  // such files are diffed again as text, so an attribute cannot hide a secret from the guard.
  const binary = patches
    .filter((patch) => patch.binary && patch.blob !== undefined && !patch.submodule && !options.skip?.(patch.path))
    .map((patch) => patch.path)
  if (binary.length === 0) return patches
  const forced = new Set(forcedBinaryPaths(repoRoot, binary))
  if (forced.size === 0) return patches
  const again = run(['--text'], [...forced])
  const byPath = new Map(again.map((patch) => [patch.path, patch]))
  return patches.map((patch) => (forced.has(patch.path) ? (byPath.get(patch.path) ?? patch) : patch))
}
