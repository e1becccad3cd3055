import { execFileSync, spawnSync } from 'node:child_process'
import { BIN } from '../helpers/cli.js'
import { git, tempRepo, writeFiles } from '../helpers/repo.js'
import { BASE62, fakeChars, joined } from '../helpers/samples.js'

/**
 * Test repositories for the guard: a custom rule in .sentra/config.json gives a secret shape the
 * tests control, whatever the built-in pattern files say. Tokens are built at run time.
 */

export const RULE_ID = 'sentra-test-token'
export const PEM_RULE_ID = 'sentra-test-key-block'

/** A token of the test rule's shape; different seeds give different tokens. */
export function token(seed = 1): string {
  return joined('tst', '_', fakeChars(BASE62, 24, seed))
}

/** A multi-line key block of the test rule's shape. */
export function keyBlock(seed = 1, eol = '\n'): string {
  const body = Array.from({ length: 4 }, (_, i) => fakeChars(`${BASE62}+/`, 40, seed * 10 + i))
  return [joined('-----BEGIN ', 'SENTRA TEST KEY-----'), ...body, joined('-----END ', 'SENTRA TEST KEY-----')].join(eol)
}

const b64 = (text: string) => `b64:${Buffer.from(text).toString('base64')}`

export function testConfig(extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify(
    {
      version: 1,
      rules: [
        {
          id: RULE_ID,
          description: 'sentra test token',
          regex: '\\b(tst_[A-Za-z0-9]{24})\\b',
          keywords: ['tst_'],
          severity: 'high',
          tags: ['test'],
          examples: [b64(`value ${token(99)}`)],
          negatives: ['tst_short'],
        },
        {
          id: PEM_RULE_ID,
          description: 'sentra test key block',
          regex: '(-----BEGIN SENTRA TEST KEY-----\\r?\\n(?:[A-Za-z0-9+/=]{16,64}\\r?\\n){1,40}-----END SENTRA TEST KEY-----)',
          keywords: ['begin sentra test key'],
          severity: 'critical',
          tags: ['test'],
          examples: [b64(keyBlock(99))],
          negatives: ['-----BEGIN SENTRA TEST KEY-----'],
        },
      ],
      ...extra,
    },
    null,
    2,
  )}\n`
}

/** Environment with no user or system git config, a fixed identity and no colour. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  NO_COLOR: '1',
}

/** A repository with the test config committed. */
export function guardRepo(files: Record<string, string | Buffer> = {}, config = testConfig()): string {
  const repo = tempRepo()
  writeFiles(repo, { '.sentra/config.json': config, 'README.md': 'hello\n', ...files })
  git(repo, ['add', '-A'])
  git(repo, ['commit', '-q', '-m', 'base'])
  return repo
}

export interface Run {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs the real sentra binary with a hermetic git environment. */
export function run(cwd: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    input: options.input ?? '',
    env: { ...process.env, ...GIT_ENV, ...options.env },
    encoding: 'utf8',
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

export interface JsonFinding {
  rule: string
  file: string
  line: number
  column: number
  endLine: number
  secret: string
  fingerprint: string
  commit?: { commit: string; author: string; email: string; date: string }
}

export interface JsonReport {
  findings: JsonFinding[]
  notices: { file?: string; kind: string; message: string }[]
  stats: { files: number; skipped: number }
}

/** `sentra guard --json` (or other args): the parsed report and the exit code. */
export function guardJson(cwd: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): { status: number | null; report: JsonReport; stderr: string } {
  const result = run(cwd, ['guard', '--json', ...args], options)
  let report: JsonReport
  try {
    report = JSON.parse(result.stdout) as JsonReport
  } catch {
    throw new Error(`guard printed no JSON (exit ${result.status}): ${result.stdout}${result.stderr}`)
  }
  return { status: result.status, report, stderr: result.stderr }
}

/** Findings of the test rules only (built-in rules may add their own on test content). */
export function ours(report: JsonReport): JsonFinding[] {
  return report.findings.filter((f) => f.rule === RULE_ID || f.rule === PEM_RULE_ID)
}

export function write(repo: string, path: string, content: string | Buffer): void {
  writeFiles(repo, { [path]: content })
}

export function gitOut(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
}

/** Runs git and returns its status and output without throwing (for commits a hook may block). */
export function gitTry(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Run {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, ...env }, input: input ?? '' })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

export { git }
