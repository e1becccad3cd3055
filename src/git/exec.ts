import { execFile, execFileSync, spawn, type SpawnOptions } from 'node:child_process'

/**
 * Settings that stop a user's git configuration from changing what sentra reads: no pager, no
 * textconv or external diff drivers (which could write decrypted text anywhere), no lazy fetches
 * in partial clones, paths unquoted.
 */
export const SAFE_GIT_CONFIG = [
  '-c', 'core.quotePath=false', '-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false', '-c', 'color.ui=never',
  '-c', 'core.pager=cat', '-c', 'diff.suppressBlankEmpty=false', '-c', 'log.showSignature=false',
  '-c', 'i18n.logOutputEncoding=UTF-8', '-c', 'diff.renames=true', '-c', 'log.showRoot=true',
]

/**
 * Arguments for every diff and `log -p` sentra parses. Textconv and external drivers could hand
 * decrypted or transformed text to sentra (or run arbitrary commands); fixed prefixes, no colour,
 * full blob ids, short submodule lines and no inter-hunk context make the output parseable whatever
 * the user's diff.* settings say.
 */
export const SAFE_DIFF_ARGS = [
  '--no-textconv', '--no-ext-diff', '--no-color', '--src-prefix=a/', '--dst-prefix=b/', '--no-relative', '--full-index',
  '--submodule=short', '--inter-hunk-context=0', '--find-renames',
]

/** Environment variables that change what git diff prints (GIT_DIFF_OPTS overrides even an explicit -U). */
const UNSAFE_ENV = ['GIT_DIFF_OPTS', 'GIT_EXTERNAL_DIFF', 'GIT_PAGER', 'PAGER']

export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of UNSAFE_ENV) delete env[name]
  return { ...env, GIT_NO_LAZY_FETCH: '1', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C', ...extra }
}

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    readonly status: number | null,
  ) {
    super(`git ${args.filter((arg) => !arg.startsWith('-') && !arg.includes('=')).slice(0, 2).join(' ')} failed: ${GitError.reason(stderr) || `exit ${status}`}`)
  }

  /** The line of git's stderr that says why: its fatal/error line rather than a warning before it. */
  static reason(stderr: string): string {
    const lines = stderr.trim().split('\n').map((line) => line.trim()).filter(Boolean)
    return lines.find((line) => /^(fatal|error):/.test(line)) ?? lines[0] ?? ''
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
      const code = (error as { code?: number | string } | null)?.code
      if (code === 'ENOENT') reject(new Error('git is not installed or not on PATH'))
      else if (error) reject(new GitError(args, stderr.toString(), typeof code === 'number' ? code : null))
      else resolve(stdout)
    })
  })
}

export function gitSpawn(args: string[], cwd: string, options: SpawnOptions = {}) {
  return spawn('git', [...SAFE_GIT_CONFIG, ...args], { cwd, env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...options })
}
