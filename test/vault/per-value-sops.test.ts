import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp } from '../helpers/repo.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { ok, person, run, runAsync, teamRepo, type Person } from './support.js'

/** `sentra import sops` on the real sops fixtures (fixtures/sops/, MIT, see LICENSE-sops-age.md). */
afterAll(cleanupTemp)

const FIXTURES = new URL('../../fixtures/sops/', import.meta.url)
let importer: Person
let other: Person
let repo: string

function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8')
}

beforeAll(async () => {
  // The fixtures' public test identity (recipient #0 of every fixture) is the importer's key.
  const secret = fixture('key.txt').split('\n').find((line) => line.startsWith('AGE-SECRET-KEY-1'))!
  importer = person('importer', AgeIdentity.parse(secret))
  other = person('other')
  ;({ repo } = await teamRepo(importer, [{ person: other }]))
  mkdirSync(join(repo, 'sops'))
  for (const name of ['secret.enc.yaml', 'secret.enc.json', 'secret.enc.env', 'forged-by-public-keys.enc.yaml']) copyFileSync(new URL(name, FIXTURES), join(repo, 'sops', name))
})

describe('sentra import sops', () => {
  it('imports YAML, JSON and dotenv, MAC verified, into signed sentra files the team can read', async () => {
    const [yaml, json, env] = await Promise.all([
      runAsync(importer, repo, ['import', 'sops', 'sops/secret.enc.yaml', '-o', 'config/secret.yaml', '--trust-source', '--json']),
      runAsync(importer, repo, ['import', 'sops', 'sops/secret.enc.json', '-o', 'config/secret.json', '--trust-source']),
      runAsync(importer, repo, ['import', 'sops', 'sops/secret.enc.env', '-o', '.env.imported', '--trust-source']),
    ])
    const report = JSON.parse(ok(yaml).stdout) as { signer: string; plainKeys: string[]; encryptedValues: number }
    expect(report).toMatchObject({ signer: 'importer', plainKeys: ['*_unencrypted'], encryptedValues: 9 })
    expect(yaml.stderr).toMatch(/sops MAC verified, 9 encrypted value\(s\)\. sops files carry no author/)
    expect(ok(json).stdout).toMatch(/Imported sops\/secret\.enc\.json \(sops\) -> config\/secret\.json: 10 encrypted value\(s\), signed by importer, for 2 recipient\(s\)/)
    ok(env)
    const [yamlOut, jsonOut, envOut] = await Promise.all(['config/secret.yaml', 'config/secret.json', '.env.imported'].map(async (path) => ok(await runAsync(other, repo, ['decrypt', path])).stdout))
    const expected = JSON.parse(fixture('secret.json')) as Record<string, unknown>
    const { '0word': _word, ...yamlExpected } = expected
    expect(parseYaml(yamlOut!)).toEqual(yamlExpected)
    expect(yamlOut).toBe('secret: this is a secret\nstring: string\nint: 7\nfloat: 3.14\nboolean: true\ncomplex:\n  value: this is a secret\n  array:\n    - one\n    - two\n    - three\n')
    expect(JSON.parse(jsonOut!)).toEqual(expected)
    // Key order as written (JSON.parse would move the integer-like "0word" key... it is not one; the order is the file's).
    expect(Object.keys(parseYaml(jsonOut!) as object)).toEqual(['secret', 'string', 'int', 'float', 'boolean', '0word', 'complex'])
    expect(envOut).toBe("secret='this is a secret'\nanother_secret=7\n")
    expect(readFileSync(join(repo, 'config/secret.yaml'), 'utf8')).not.toContain('sops')
    expect(ok(run(other, repo, ['verify'])).status).toBe(0)
  })

  it('fails closed when the MAC does not match or a value was changed', () => {
    const original = fixture('secret.enc.yaml')
    const lines = original.split('\n')
    const first = lines.findIndex((line) => line.startsWith('    - ENC['))
    // Two list items swapped: each still decrypts (sops binds values to keys, not positions), only the MAC sees it.
    ;[lines[first], lines[first + 1]] = [lines[first + 1]!, lines[first]!]
    writeFileSync(join(repo, 'sops/swapped.enc.yaml'), lines.join('\n'))
    const swapped = run(importer, repo, ['import', 'sops', 'sops/swapped.enc.yaml', '-o', 'config/swapped.yaml', '--trust-source'])
    expect(swapped.status).toBe(2)
    expect(swapped.stderr).toMatch(/sops: the MAC does not match the values \(values were changed, added, removed or reordered\): refusing to import/)
    expect(existsSync(join(repo, 'config/swapped.yaml'))).toBe(false)
    // A value moved to another key fails its own authentication.
    writeFileSync(join(repo, 'sops/moved.enc.yaml'), original.replace(/^string: (.*)$/m, 'string: PLACEHOLDER').replace(/^secret: (.*)$/m, (_, token: string) => `secret: ${original.match(/^string: (.*)$/m)![1]}`).replace('PLACEHOLDER', original.match(/^secret: (.*)$/m)![1]!))
    expect(run(importer, repo, ['import', 'sops', 'sops/moved.enc.yaml', '-o', 'config/moved.yaml', '--trust-source']).stderr).toMatch(/sops: the value of secret failed authentication/)
    // No MAC at all: refused.
    writeFileSync(join(repo, 'sops/nomac.enc.yaml'), original.replace(/^ {2}mac: .*\n/m, ''))
    expect(run(importer, repo, ['import', 'sops', 'sops/nomac.enc.yaml', '-o', 'config/nomac.yaml', '--trust-source']).stderr).toMatch(/the file has no MAC/)
  })

  it('asks for explicit trust, and needs the importer to be a recipient', () => {
    const untrusted = run(importer, repo, ['import', 'sops', 'sops/secret.enc.yaml', '-o', 'config/untrusted.yaml'])
    expect(untrusted.status).toBe(2)
    expect(untrusted.stderr).toMatch(/a sops file carries no author: check its content \(sops -d\), then re-run with --trust-source/)
    expect(existsSync(join(repo, 'config/untrusted.yaml'))).toBe(false)
    const stranger = run(other, repo, ['import', 'sops', 'sops/secret.enc.yaml', '-o', 'config/other.yaml', '--trust-source'])
    expect(stranger.stderr).toMatch(/sops: your key \(age1[0-9a-z]+\) is not one of the file's age recipients/)
  })

  it('cannot tell the forged sops file from a real one (the known limitation), and says whose signature the result carries', () => {
    const forged = ok(run(importer, repo, ['import', 'sops', 'sops/forged-by-public-keys.enc.yaml', '-o', 'config/forged.yaml', '--trust-source']))
    expect(forged.stderr).toMatch(/sops MAC verified/)
    expect(forged.stdout).toMatch(/signed by importer/)
    expect(ok(run(other, repo, ['get', 'config/forged.yaml', 'secret'])).stdout).toBe('attacker-controlled\n')
  })
})
