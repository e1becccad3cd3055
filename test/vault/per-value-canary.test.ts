import { createHash } from 'node:crypto'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bech32 } from '@scure/base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliResult } from '../helpers/cli.js'
import { cleanupTemp, git, tempDir } from '../helpers/repo.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { appendOperation } from '../../src/vault/team.js'
import { readValuesFile, unwrapDek } from '../../src/vault/values/values-file.js'
import { commitAll, person, runAsync, teamRepo, type Person } from './support.js'

/**
 * The per-value commands with a canary identity: no output (successes, errors, --debug, --json) may
 * hold the private key or a file's DEK in any encoding, and only the commands whose purpose is to
 * print a value (decrypt, get) may print one.
 */
afterAll(cleanupTemp)

const scalar = new Uint8Array(createHash('sha256').update('sentra per-value canary').digest())
const canary = AgeIdentity.parse(bech32.encodeFromBytes('AGE-SECRET-KEY-', scalar).toUpperCase())
const VALUE = 'canaryValue-Z9x8W7v6'
const NEW_VALUE = 'canaryNewValue-Q1w2E3'
let owner: Person
let repo: string
const outputs: Array<{ args: string[]; result: CliResult; printsValues: boolean }> = []

function encodings(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes)
  return [buffer.toString('hex'), buffer.toString('hex').toUpperCase(), buffer.toString('base64'), buffer.toString('base64').replace(/=+$/, ''), buffer.toString('base64url')]
}

async function exec(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; printsValues?: boolean } = {}): Promise<CliResult> {
  const result = await runAsync({ ...owner, env: { ...owner.env, ...options.env } }, repo, args, options.input)
  outputs.push({ args, result, printsValues: options.printsValues === true })
  return result
}

beforeAll(async () => {
  owner = person('owner', canary)
  ;({ repo } = await teamRepo(owner))
  await appendOperation({ repoRoot: repo, env: owner.env, signer: new LocalKey(canary, 'env') }, () => ({ type: 'manage', glob: '.env.*', format: 'dotenv', plainKeys: [] }))
  writeFileSync(join(repo, '.env.production'), `DB_PASSWORD=${VALUE}\nOTHER=other-Value-123\n`)
  await exec(['encrypt', '.env.production', '--json', '--debug'])
  await exec(['init', '--no-hooks'])
  commitAll(repo, 'encrypted')
  const editor = join(tempDir('sentra-canary-'), 'editor.sh')
  writeFileSync(editor, '#!/bin/sh\nfor f; do :; done\nsed -i "s/^OTHER=.*/OTHER=edited-Value-456/" "$f"\n')
  chmodSync(editor, 0o755)
  await Promise.all([
    exec(['decrypt', '.env.production', '--debug'], { printsValues: true }),
    exec(['get', '.env.production', 'DB_PASSWORD'], { printsValues: true }),
    exec(['get', '.env.production', 'MISSING', '--debug']),
    exec(['verify', '--json']),
    exec(['run', '-f', '.env.production', '--', 'true']),
  ])
  await exec(['set', '.env.production', 'DB_PASSWORD', '--debug'], { input: NEW_VALUE })
  await exec(['edit', '.env.production'], { env: { EDITOR: editor, VISUAL: '' } })
  // Failures: a tampered file, a forged signer, a wrong key, with --debug.
  const text = readFileSync(join(repo, '.env.production'), 'utf8')
  writeFileSync(join(repo, '.env.tampered'), text.replace('path=".env.production"', 'path=".env.tampered"'))
  await Promise.all([
    exec(['decrypt', '.env.tampered', '--debug']),
    exec(['decrypt', '.env.tampered', '--allow-unsigned', '--debug'], { printsValues: true }),
    exec(['decrypt', '.env.production', '--debug'], { env: { SENTRA_IDENTITY_FILE: '', SENTRA_IDENTITY: AgeIdentity.generate().revealSecret() } }),
    exec(['encrypt', '.env.tampered', '--debug']),
  ])
  await exec(['mv', '.env.production', '.env.moved', '--debug'])
  git(repo, ['add', '-A'])
}, 240_000)

describe('per-value canary', () => {
  it('ran the commands, successes and failures', () => {
    expect(outputs.filter(({ result }) => result.status === 0).length).toBeGreaterThanOrEqual(9)
    expect(outputs.filter(({ result }) => result.status !== 0).length).toBeGreaterThanOrEqual(4)
    expect(outputs.find(({ args }) => args[0] === 'get' && args[2] === 'DB_PASSWORD')!.result.stdout).toBe(`${VALUE}\n`)
  })

  it('never prints the private key or the data key, and prints values only where that is the purpose', async () => {
    const file = readValuesFile(readFileSync(join(repo, '.env.moved'), 'utf8'), 'dotenv')
    const dek = await unwrapDek(file.meta!, new LocalKey(canary, 'env'), '.env.moved')
    const forbidden = [canary.revealSecret(), canary.revealSecret().toLowerCase(), ...encodings(scalar), ...encodings(dek)]
    for (const { args, result, printsValues } of outputs) {
      const text = result.stdout + result.stderr
      for (const form of forbidden) expect(text.includes(form), `sentra ${args.join(' ')} printed a key`).toBe(false)
      if (!printsValues) for (const value of [VALUE, NEW_VALUE, 'edited-Value-456', 'other-Value-123']) expect(text.includes(value), `sentra ${args.join(' ')} printed a value`).toBe(false)
    }
  })
})
