import { execFile, execFileSync, spawn, type SpawnOptions } from 'node:child_process'

/**
 * Settings that stop a user's git configuration from changing what sentra reads: no pager, no
 * textconv or external diff drivers (which could write decrypted text anywhere), no lazy fetches
 * in partial clones, paths unquoted.
 */
export const SAFE_GIT_CONFIG = ['-c', 'core.quotePath=false', '-c', 'diff.noprefix=false', '-c', 'color.ui=never', '-c', 'core.pager=cat']

export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, GIT_NO_LAZY_FETCH: '1', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C', ...extra }
}

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    readonly status: number | null,
  ) {
    super(`git ${args.filter((arg) => !arg.startsWith('-c') && !arg.includes('=')).slice(0, 3).join(' ')} failed: ${stderr.trim().split('\n')[0] || `exit ${status}`}`)
  }
}

/** Runs git and returns its stdout; throws GitError (with git's own message) on failure. */
export function gitSync(args: string[], cwd: string, input?: string | Buffer): Buffer {
  const full = [...SAFE_GIT_CONFIG, ...args]
  try {
    return execFileSync('git', full, { cwd, env: gitEnv(), input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] })
  } catch (error) {
    const e = error as { stderr?: Buffer; status?: number | null; code?: string }
    if (e.code === 'ENOENT') throw new Error('git is not installed or not on PATH')
    throw new GitError(args, e.stderr?.toString() ?? '', e.status ?? null)
  }
}

export function gitAsync(args: string[], cwd: string): Promise<Buffer> {
  const full = [...SAFE_GIT_CONFIG, ...args]
  return new Promise((resolve, reject) => {
    execFile('git', full, { cwd, env: gitEnv(), maxBuffer: 1 << 30, encoding: 'buffer' }, (error, stdout, stderr) => {
      if (error) reject(new GitError(args, stderr.toString(), (error as { code?: number }).code ?? null))
      else resolve(stdout)
    })
  })
}

export function gitSpawn(args: string[], cwd: string, options: SpawnOptions = {}) {
  return spawn('git', [...SAFE_GIT_CONFIG, ...args], { cwd, env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...options })
}
