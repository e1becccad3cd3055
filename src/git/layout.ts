import { readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { gitSync } from './exec.js'

export interface RepoLayout {
  /** Work tree root. */
  root: string
  /** This work tree's git dir (differs from the common dir in a linked worktree). */
  gitDir: string
  /** Where hooks, config and objects live (shared by every worktree). */
  commonDir: string
}

export class NotARepositoryError extends Error {}

const NOT_A_REPO = 'not inside a git work tree'

/** Variables that change how git finds the repository: with any of them set, git itself is asked. */
const DISCOVERY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM']

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** The common dir of a git dir: itself, or where its `commondir` file points (a linked worktree). */
function commonDirOf(gitDir: string): string {
  try {
    const common = readFileSync(join(gitDir, 'commondir'), 'utf8').trim()
    return isAbsolute(common) ? common : resolve(gitDir, common)
  } catch {
    return gitDir
  }
}

/**
 * Finds the repository by looking for `.git` upwards from `cwd`, as git does, without starting a
 * process (the guard runs on every commit; a process costs more than the rest of a small scan).
 * Anything unusual (discovery variables, a `.git` that is neither a git dir nor a `gitdir:` file)
 * is left to `git rev-parse`.
 */
function discoverFromFiles(cwd: string, env: NodeJS.ProcessEnv): RepoLayout | undefined {
  if (DISCOVERY_ENV.some((name) => env[name] !== undefined && env[name] !== '')) return undefined
  let dir = resolve(cwd)
  for (;;) {
    const dotGit = join(dir, '.git')
    if (isDir(dotGit)) {
      if (!isFile(join(dotGit, 'HEAD'))) return undefined
      return { root: dir, gitDir: dotGit, commonDir: commonDirOf(dotGit) }
    }
    if (isFile(dotGit)) {
      const match = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))
      if (!match) return undefined
      const gitDir = resolve(dir, match[1]!.trim())
      if (!isFile(join(gitDir, 'HEAD'))) return undefined
      return { root: dir, gitDir, commonDir: commonDirOf(gitDir) }
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

function discoverWithGit(cwd: string): RepoLayout {
  let lines: string[]
  try {
    lines = gitSync(['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir'], cwd).toString('utf8').split('\n')
  } catch (error) {
    const message = (error as Error).message
    if (/not a git repository|must be run in a work tree|outside repository|this operation must be run/i.test(message)) throw new NotARepositoryError(NOT_A_REPO)
    throw error
  }
  const [root, gitDir, common] = lines
  if (!root || !gitDir) throw new NotARepositoryError(NOT_A_REPO)
  const commonDir = common ? (isAbsolute(common) ? common : resolve(cwd, common)) : gitDir
  return { root, gitDir, commonDir }
}

/** Where the repository containing `cwd` lives. Throws NotARepositoryError outside a work tree. */
export function repoLayout(cwd: string, env: NodeJS.ProcessEnv = process.env): RepoLayout {
  return discoverFromFiles(cwd, env) ?? discoverWithGit(cwd)
}
