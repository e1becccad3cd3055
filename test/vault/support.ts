import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { expect } from 'vitest'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { BIN, sentra, type CliResult } from '../helpers/cli.js'
import { git, tempDir, tempRepo } from '../helpers/repo.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import type { Role } from '../../src/vault/manifest/entry.js'
import { createRequest } from '../../src/vault/requests.js'
import { appendOperation, initTeam } from '../../src/vault/team.js'

/**
 * Shared set-up for the vault tests: an isolated home per test (config dir, runtime dir for the
 * agent socket, no inherited identity, CI or team root), keys written as age identity files, and a
 * repository with a team.
 */
export interface Sandbox {
  dir: string
  env: NodeJS.ProcessEnv
}

export function sandbox(extra: NodeJS.ProcessEnv = {}): Sandbox {
  const dir = tempDir('sentra-vault-')
  const runtime = join(dir, 'run')
  mkdirSync(runtime, { mode: 0o700 })
  chmodSync(runtime, 0o700)
  const env: NodeJS.ProcessEnv = {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_RUNTIME_DIR: runtime,
    SENTRA_CONFIG_DIR: '',
    SENTRA_AGENT_SOCK: '',
    SENTRA_IDENTITY: '',
    SENTRA_IDENTITY_FILE: '',
    SENTRA_TEAM_ROOT: '',
    CI: '',
    GITHUB_ACTIONS: '',
    // No Secret Service unless a test starts one.
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-dbus')}`,
    SENTRA_TEST_SCRYPT_WORK_FACTOR: '10',
    ...extra,
  }
  return { dir, env }
}

export interface Person {
  name: string
  identity: AgeIdentity
  file: string
  env: NodeJS.ProcessEnv
}

/** A person with an identity file, acting through SENTRA_IDENTITY_FILE in their own sandbox. */
export function person(name: string, identity = AgeIdentity.generate()): Person {
  const box = sandbox()
  const file = join(box.dir, `${name}.key`)
  writeFileSync(file, identity.toIdentityFile(), { mode: 0o600 })
  return { name, identity, file, env: { ...box.env, SENTRA_IDENTITY_FILE: file } }
}

export function run(who: Person | Sandbox, cwd: string, args: string[], input?: string): CliResult {
  if (process.env.SENTRA_TEST_COUNT_CALLS) appendFileSync(process.env.SENTRA_TEST_COUNT_CALLS, `${expect.getState().testPath}\n`)
  return sentra(args, { cwd, env: who.env, ...(input !== undefined ? { input } : {}) })
}

/**
 * The same as run() without blocking the test worker: vitest runs test files one at a time on this
 * 2-core machine, so independent tests and commands start their CLI processes side by side.
 */
export function runAsync(who: Person | Sandbox, cwd: string, args: string[], input?: string): Promise<CliResult> {
  if (process.env.SENTRA_TEST_COUNT_CALLS) appendFileSync(process.env.SENTRA_TEST_COUNT_CALLS, `${expect.getState().testPath}\n`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...who.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
    child.stdin.end(input ?? '')
  })
}

export function ok(result: CliResult): CliResult {
  if (result.status !== 0) throw new Error(`sentra exited ${result.status}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  return result
}

export function commitAll(repo: string, message = 'change'): void {
  git(repo, ['add', '-A'])
  git(repo, ['commit', '-q', '--allow-empty', '-m', message])
}

/**
 * A repository whose team is `admin` plus the given members, made through the library (the team
 * commands themselves are tested in team.test.ts): the same signed entries and real requests, without
 * a CLI start-up per step.
 */
export async function teamRepo(admin: Person, members: Array<{ person: Person; role?: Role; paths?: string[] }> = []): Promise<{ repo: string; root: string }> {
  const repo = tempRepo()
  const signer = new LocalKey(admin.identity, 'env-file')
  const { state } = await initTeam({ repoRoot: repo, signer, name: admin.name, team: 'test' })
  for (const { person: member, role, paths } of members) {
    const request = await createRequest(new LocalKey(member.identity, 'env-file'), member.name, state.root)
    await appendOperation({ repoRoot: repo, env: admin.env, signer }, () => ({ type: 'add-member', name: member.name, role: role ?? 'member', paths: paths ?? null, request }))
  }
  commitAll(repo, 'team')
  return { repo, root: state.root }
}
