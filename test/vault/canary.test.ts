import { createHash } from 'node:crypto'
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bech32 } from '@scure/base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, tempRepo } from '../helpers/repo.js'
import type { CliResult } from '../helpers/cli.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { deriveSigningSeed } from '../../src/vault/signing.js'
import { person, run, runAsync, sandbox, type Person, type Sandbox } from './support.js'

/**
 * The canary: a known identity and passphrase go through every vault command (successes, errors,
 * --debug, --json, --help), and no output, nor any file sentra writes in the repository, may hold
 * the key in any encoding.
 */
const scalar = new Uint8Array(createHash('sha256').update('sentra canary identity').digest())
const secret = bech32.encodeFromBytes('AGE-SECRET-KEY-', scalar).toUpperCase()
const seed = deriveSigningSeed(scalar)
const PASSPHRASE = 'canary-passphrase-7f3a9c'

function encodings(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes)
  return [buffer.toString('hex'), buffer.toString('hex').toUpperCase(), buffer.toString('base64'), buffer.toString('base64').replace(/=+$/, ''), buffer.toString('base64url')]
}

const forbidden = [secret, secret.toLowerCase(), secret.slice('AGE-SECRET-KEY-1'.length, -6), ...encodings(scalar), ...encodings(seed), PASSPHRASE]

let box: Sandbox
let repo: string
let bob: Person
const outputs: Array<{ args: string[]; result: CliResult }> = []

async function exec(args: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await runAsync({ ...box, env: { ...box.env, ...env } }, repo, args, input)
  outputs.push({ args, result })
  return result
}

/** Commands that do not depend on each other run side by side. */
async function together(...calls: Array<Promise<CliResult>>): Promise<void> {
  await Promise.all(calls)
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

beforeAll(async () => {
  box = sandbox()
  repo = tempRepo()
  bob = person('bob')
  const keyFile = join(box.dir, 'canary.txt')
  writeFileSync(keyFile, AgeIdentity.parse(secret).toIdentityFile(), { mode: 0o600 })
  const p = `${PASSPHRASE}\n`
  // Key management, with the passphrase-file store; a wrong passphrase with --debug.
  await exec(['keygen', '--keystore', 'file', '--import', keyFile], p)
  await together(exec(['keygen', '--backup', join(box.dir, 'backup.age')], `${p}${p}`), exec(['whoami']), exec(['team', 'init', '--name', 'canary', '--debug'], 'wrong passphrase\n'))
  // The team: each change signed after the passphrase.
  await exec(['team', 'init', '--name', 'canary', '--json'], p)
  await runAsync(bob, repo, ['team', 'request-access', 'bob'])
  await exec(['team', 'add', 'bob', '--paths', 'app/**'], p)
  await exec(['team', 'role', 'bob', 'admin'], p)
  await exec(['team', 'scope', 'bob', '--all', '--json'], p)
  await exec(['team', 'manage', 'certs/**', '--format', 'binary'], p)
  await exec(['team', 'recovery', AgeIdentity.generate().recipient], p)
  await together(exec(['team', 'request-access', 'again'], p), exec(['team', 'list', '--json', '--history']))
  // Files, through the agent.
  await exec(['unlock', '--for', '5m', '--json'], p)
  writeFileSync(join(repo, 'notes.txt'), 'canary notes\n')
  await together(exec(['encrypt', 'notes.txt', '--json', '--debug']), exec(['whoami', '--json']))
  await together(
    exec(['decrypt', 'notes.txt.age']),
    exec(['decrypt', 'notes.txt.age', '-o', 'notes.out']),
    exec(['decrypt', 'missing.age', '--debug']),
    exec(['verify', '--json', '--base', 'HEAD']),
  )
  await exec(['lock'])
  // With the key in the environment, as CI passes it; a damaged key there must not be quoted.
  await together(
    exec(['whoami', '--json'], undefined, { SENTRA_IDENTITY: secret }),
    exec(['decrypt', 'notes.txt.age', '--debug'], undefined, { SENTRA_IDENTITY: secret }),
    exec(['team', 'add', 'ghost'], undefined, { SENTRA_IDENTITY: secret }),
    exec(['decrypt', 'notes.txt.age', '--debug'], undefined, { SENTRA_IDENTITY: `${secret}x` }),
  )
}, 240_000)

afterAll(() => {
  run(box, repo, ['lock'])
  cleanupTemp()
}, 30_000)

describe('canary identity', () => {
  it('ran every command, successes and failures', () => {
    expect(outputs.length).toBeGreaterThan(20)
    expect(outputs.filter(({ result }) => result.status === 0).length).toBeGreaterThan(15)
    expect(outputs.filter(({ result }) => result.status !== 0).length).toBeGreaterThanOrEqual(4)
    // The commands really used the canary key.
    const whoami = outputs.find(({ args, result }) => args.join(' ') === 'whoami --json' && result.status === 0)!
    expect(JSON.parse(whoami.result.stdout).recipient).toBe(AgeIdentity.parse(secret).recipient)
    expect(outputs.find(({ args }) => args[0] === 'decrypt' && args.length === 2)!.result.stdout).toBe('canary notes\n')
  })

  it('never appears in any output, in any encoding', () => {
    for (const { args, result } of outputs) {
      const text = result.stdout + result.stderr
      for (const form of forbidden) expect(text.includes(form), `sentra ${args.join(' ')} printed a form of the key or passphrase`).toBe(false)
    }
  })

  it('never appears in any file sentra wrote in the repository', () => {
    const files = filesUnder(repo).filter((path) => !path.endsWith('notes.txt') && !path.endsWith('notes.out'))
    expect(files.some((path) => path.includes(`${join('.sentra', 'team.jsonl')}`))).toBe(true)
    for (const path of files) {
      const content = readFileSync(path).toString('latin1')
      for (const form of forbidden) expect(content.includes(form), `${path} holds a form of the key`).toBe(false)
    }
  })
})
