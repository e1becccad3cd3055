import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, git } from '../helpers/repo.js'
import { encryptToRecipients } from '../../src/vault/age.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { chainFromText } from '../../src/vault/manifest/chain.js'
import type { TeamState } from '../../src/vault/manifest/state.js'
import { appendOperation } from '../../src/vault/team.js'
import { parseBody } from '../../src/vault/values/body.js'
import { checkValuesFile } from '../../src/vault/values/ops.js'
import { decryptValue } from '../../src/vault/values/value-crypto.js'
import { encryptBody, newValueKeys, readValuesFile, resignValuesFile, sealValuesFile, wrapDek } from '../../src/vault/values/values-file.js'
import { commitAll, ok, person, run, runAsync, teamRepo, type Person } from './support.js'

/** The per-value format on a real repository, through the CLI: round trips and every attack the format must stop. */
afterAll(cleanupTemp)

let alice: Person
let bob: Person
let carol: Person
let ci: Person
let repo: string

const ENV = [
  '# Production database (this comment is signed too)',
  'DB_PASSWORD=hunter2-Prod-9f8e7d',
  'export API_KEY="sk live \\"quoted\\" value"',
  "SINGLE='it is literal $HOME'",
  'PORT=5432 # inline comment',
  'EMPTY=',
  'PUBLIC_URL_unencrypted=https://example.invalid',
  '',
].join('\n')
const JSON_TEXT = '{\n\t"b": 1,\n\t"2": "integer-like key stays second",\n\t"db": {"password": "p@ss word", "replicas": [true, null, 3.5, "x"]},\n\t"note_unencrypted": "public"\n}\n'
const YAML_TEXT = '# top comment\ndb:\n  password: s3cr3t-Value # inline\n  port: 5432\n  hosts:\n    - a.internal\n    - "b.internal"\nflags: {fast: true}\n'

function state(): TeamState {
  return chainFromText(readFileSync(join(repo, '.sentra/team.jsonl'), 'utf8'), 'team').state
}

function read(path: string): string {
  return readFileSync(join(repo, path), 'utf8')
}

function write(path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true })
  writeFileSync(join(repo, path), text)
}

beforeAll(async () => {
  alice = person('alice')
  bob = person('bob')
  carol = person('carol')
  ci = person('ci')
  ;({ repo } = await teamRepo(alice, [{ person: bob }, { person: carol, paths: ['staging/**'] }, { person: ci, role: 'service' }]))
  const signer = new LocalKey(alice.identity, 'env-file')
  for (const [glob, format] of [['.env.*', 'dotenv'], ['config/*.json', 'json'], ['config/*.yaml', 'yaml']] as const) {
    await appendOperation({ repoRoot: repo, env: alice.env, signer }, () => ({ type: 'manage', glob, format, plainKeys: ['*_unencrypted'] }))
  }
  writeFileSync(join(repo, '.gitattributes'), '/.env.* -text diff=sentra merge=sentra\n/config/* -text diff=sentra merge=sentra\n')
  commitAll(repo, 'policy')
  write('.env.production', ENV)
  write('config/app.json', JSON_TEXT)
  write('config/app.yaml', YAML_TEXT)
  await Promise.all(['.env.production', 'config/app.json', 'config/app.yaml'].map(async (path) => ok(await runAsync(alice, repo, ['encrypt', path]))))
  commitAll(repo, 'encrypted')
})

describe('round trip', () => {
  it('encrypts in place keeping shape, keys, comments and plain keys, and decrypts to the same bytes for every recipient', async () => {
    const env = read('.env.production')
    expect(env).toContain('# Production database (this comment is signed too)\nDB_PASSWORD=ENC[sentra:v1,str,')
    expect(env).toContain('PORT=ENC[sentra:v1,str,')
    expect(env).toMatch(/PORT=ENC\[[^\]]+\] # inline comment\n/)
    expect(env).toContain('PUBLIC_URL_unencrypted=https://example.invalid\n')
    expect(env).not.toContain('hunter2')
    expect(read('config/app.json')).toMatch(/^\{\n\t"b": "ENC\[sentra:v1,int,[^"]+\]",\n\t"2": "ENC\[sentra:v1,str,/)
    expect(read('config/app.json')).toContain('"note_unencrypted": "public"')
    expect(read('config/app.yaml')).toMatch(/^# top comment\ndb:\n {2}password: "ENC\[sentra:v1,str,[^"]+\]" # inline\n {2}port: "ENC\[sentra:v1,int,/)
    const results = await Promise.all(
      [bob, ci].flatMap((reader) => [['.env.production', ENV], ['config/app.json', JSON_TEXT], ['config/app.yaml', YAML_TEXT.replace('"b.internal"', 'b.internal')]].map(async ([path, expected]) => {
        const result = await runAsync(reader, repo, ['decrypt', path!])
        return { result, expected }
      })),
    )
    for (const { result, expected } of results) {
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe(expected)
    }
    const denied = run(carol, repo, ['decrypt', '.env.production'])
    expect(denied.status).toBe(2)
    expect(denied.stderr).toMatch(/your key \(age1[a-z0-9]+\) is not a recipient of \.env\.production/)
  })

  it('gives the same bytes when nothing changed, and keeps unchanged ciphertext when a value is added in clear', () => {
    const before = read('.env.production')
    const again = ok(run(alice, repo, ['encrypt', '.env.production']))
    expect(again.stdout).toMatch(/Already encrypted and signed, unchanged/)
    expect(read('.env.production')).toBe(before)
    // A new value typed in clear into the encrypted file: encrypt encrypts it and re-signs, trusting the committed version's DEK.
    write('.env.production', before.replace('EMPTY=', 'NEW_TOKEN=brand-New-Value-42\nEMPTY='))
    ok(run(bob, repo, ['encrypt', '.env.production']))
    const after = read('.env.production')
    const tokens = (text: string) => [...text.matchAll(/^([A-Z_]+)=(ENC\[[^\]]+\])/gm)].map((m) => [m[1], m[2]])
    const old = new Map(tokens(before).map(([k, v]) => [k, v]))
    for (const [k, v] of tokens(after)) if (k !== 'NEW_TOKEN') expect(v).toBe(old.get(k))
    expect(after).toMatch(/NEW_TOKEN=ENC\[sentra:v1,str,/)
    expect(ok(run(alice, repo, ['decrypt', '.env.production'])).stdout).toContain('NEW_TOKEN=brand-New-Value-42\n')
    git(repo, ['checkout', '--', '.env.production'])
  })

  it('lets age recover the DEK from any recipient entry in an emergency', () => {
    const file = readValuesFile(read('config/app.yaml'), 'yaml')
    const entry = file.meta!.recipients.find((candidate) => candidate.recipient === bob.identity.recipient)!
    const age = spawnSync('age', ['-d', '-i', bob.file], { input: entry.enc })
    expect(age.status, age.stderr.toString()).toBe(0)
    const value = file.body.values.find((candidate) => candidate.path.length === 2 && 'key' in candidate.path[1]! && candidate.path[1].key === 'password')!
    expect(decryptValue(age.stdout, file.meta!.id, value.path, value.token!).plaintext).toBe('s3cr3t-Value')
  })

  it('verify passes on the encrypted files and reports a managed path committed in clear; scan sees no secret in ciphertext', () => {
    expect(ok(run(ci, repo, ['verify'])).stdout).toMatch(/ok: manifest verified, 3 encrypted file\(s\) checked/)
    const scan = run(ci, repo, ['scan', '.env.production', 'config/app.json', 'config/app.yaml', '--json'])
    expect(scan.status, scan.stdout).toBe(0)
    expect((JSON.parse(scan.stdout) as { notices: Array<{ kind: string }> }).notices.filter((notice) => notice.kind === 'encrypted')).toHaveLength(3)
    write('.env.staging', 'STAGING_PASSWORD=plain-text-oops\n')
    git(repo, ['add', '.env.staging'])
    const report = run(ci, repo, ['verify', '--json'])
    expect(report.status).toBe(1)
    const parsed = JSON.parse(report.stdout) as { problems: Array<{ kind: string; path: string; message: string }> }
    expect(parsed.problems).toEqual([{ kind: 'plaintext', path: '.env.staging', message: expect.stringMatching(/\.env\.staging is not encrypted but is a managed path \(1 value\(s\) in clear\): run `sentra encrypt \.env\.staging`/) }])
    git(repo, ['rm', '-q', '--cached', '.env.staging'])
  })
})

describe('attacks', () => {
  it('detects every single-byte change of an encrypted file', () => {
    const path = '.env.tamper'
    write(path, 'A=1\nB_unencrypted=x\n# c\n')
    ok(run(alice, repo, ['encrypt', path]))
    const original = Buffer.from(read(path), 'utf8')
    const team = state()
    expect(checkValuesFile(team, path, original.toString('utf8'), 'dotenv').ok).toBe(true)
    let undetected = 0
    for (let i = 0; i < original.length; i++) {
      for (const delta of [0x01, 0x20]) {
        const changed = Buffer.from(original)
        changed[i] = changed[i]! ^ delta
        const text = changed.toString('latin1')
        let check
        try {
          check = checkValuesFile(team, path, text, 'dotenv')
        } catch {
          continue
        }
        if (check.ok) undetected++
      }
    }
    expect(undetected).toBe(0)
    // And through the CLI: a changed comment is refused by decrypt.
    write(path, original.toString('utf8').replace('# c', '# d'))
    const refused = run(bob, repo, ['decrypt', path])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/refusing to decrypt: \.env\.tamper was changed after it was signed/)
  })

  it('refuses a value swapped to another key, even when a member re-signs the file', async () => {
    const file = readValuesFile(read('.env.production'), 'dotenv')
    const password = file.body.values.find((value) => 'key' in value.path[0]! && value.path[0].key === 'DB_PASSWORD')!.token!
    const apiKey = file.body.values.find((value) => 'key' in value.path[0]! && value.path[0].key === 'API_KEY')!.token!
    const swapped = file.split.body.replace(password, '@@P@@').replace(apiKey, password).replace('@@P@@', apiKey)
    write('.env.swapped', await resignValuesFile(readValuesFile(read('.env.production'), 'dotenv'), { path: '.env.swapped', signer: new LocalKey(alice.identity, 'env'), body: swapped }))
    const result = run(bob, repo, ['decrypt', '.env.swapped'])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/value at "(DB_PASSWORD|API_KEY)" failed authentication: it was changed, moved, or encrypted under another data key/)
    expect(result.stdout).toBe('')
  })

  it('refuses a signed file copied over another path (path swap)', () => {
    write('.env.staging', 'DB_PASSWORD=staging-Only-123\n')
    ok(run(alice, repo, ['encrypt', '.env.staging']))
    copyFileSync(join(repo, '.env.staging'), join(repo, '.env.copied'))
    const decrypt = run(bob, repo, ['decrypt', '.env.copied'])
    expect(decrypt.status).toBe(2)
    expect(decrypt.stderr).toMatch(/\.env\.copied carries a signature made for \.env\.staging: a signed file was copied or renamed \(use `sentra mv`/)
    const verify = run(ci, repo, ['verify', '.env.copied', '--json'])
    expect(verify.status).toBe(1)
    expect(verify.stdout).toContain('carries a signature made for .env.staging')
  })

  it('rejects the sops-style forgery: a new DEK wrapped to the public recipients, new values, no member signature', async () => {
    const real = readValuesFile(read('.env.production'), 'dotenv')
    const recipients = real.meta!.recipients.map((entry) => entry.recipient)
    const mallory = AgeIdentity.generate()
    const keys = newValueKeys()
    const body = encryptBody(parseBody('DB_PASSWORD=attacker-controlled\n', 'dotenv'), keys, [])
    const forged = await sealValuesFile({ body, format: 'dotenv', path: '.env.production', keys, plain: ['*_unencrypted'], recipients: await wrapDek(keys.dek, recipients), signer: new LocalKey(mallory, 'env') })
    write('.env.production', forged)
    const decrypt = run(bob, repo, ['decrypt', '.env.production'])
    expect(decrypt.status).toBe(2)
    expect(decrypt.stderr).toMatch(/refusing to decrypt: \.env\.production is signed by a key that may not write it: the signing key belongs to no team member/)
    expect(decrypt.stdout).not.toContain('attacker-controlled')
    // Claiming a member as signer does not help: the signature does not verify.
    write('.env.production', forged.replace(/signer="[^"]+"/, `signer="${alice.identity.signingPublicKey}"`))
    expect(run(bob, repo, ['decrypt', '.env.production']).stderr).toMatch(/was changed after it was signed/)
    const verify = run(ci, repo, ['verify', '--json'])
    expect(verify.status).toBe(1)
    // And encrypt will not sign over it either.
    expect(run(alice, repo, ['encrypt', '.env.production']).stderr).toMatch(/is not signed by a team member allowed to write it, and its data key is not the one of the committed version/)
    git(repo, ['checkout', '--', '.env.production'])
  })

  it('catches a split DEK: a recipient entry holding another DEK fails the commitment on decrypt', async () => {
    const keys = newValueKeys()
    const other = newValueKeys().dek
    const aliceEntry = (await wrapDek(keys.dek, [alice.identity.recipient, ci.identity.recipient])).filter((entry) => entry.recipient !== bob.identity.recipient)
    const bobEntry = { recipient: bob.identity.recipient, enc: Buffer.from(await encryptToRecipients(other, [bob.identity.recipient])).toString('utf8') }
    const entries = [...aliceEntry, bobEntry].sort((a, b) => (a.recipient < b.recipient ? -1 : 1))
    const body = encryptBody(parseBody('SPLIT=for-alice-Only-1\n', 'dotenv'), keys, [])
    write('.env.split', await sealValuesFile({ body, format: 'dotenv', path: '.env.split', keys, plain: ['*_unencrypted'], recipients: entries, signer: new LocalKey(alice.identity, 'env') }))
    // verify (public data) cannot see it...
    expect(ok(run(ci, repo, ['verify', '.env.split'])).stdout).toMatch(/ok/)
    // ...but every decrypt checks the commitment.
    expect(ok(run(alice, repo, ['decrypt', '.env.split'])).stdout).toBe('SPLIT=for-alice-Only-1\n')
    const bobs = run(bob, repo, ['decrypt', '.env.split'])
    expect(bobs.status).toBe(2)
    expect(bobs.stderr).toMatch(/the data key wrapped for you in \.env\.split does not match the file's DEK commitment/)
  })
})

describe('recipients follow the manifest', () => {
  it('reports drift, re-wraps for a newcomer without touching values, and rotates when someone leaves', async () => {
    const path = '.env.drift'
    write(path, 'DRIFT_SECRET=drift-Value-77\n')
    ok(run(alice, repo, ['encrypt', path]))
    commitAll(repo, 'drift file')
    const dave = person('dave')
    const signer = new LocalKey(alice.identity, 'env-file')
    const { createRequest } = await import('../../src/vault/requests.js')
    const request = await createRequest(new LocalKey(dave.identity, 'env-file'), 'dave', state().root)
    await appendOperation({ repoRoot: repo, env: alice.env, signer }, () => ({ type: 'add-member', name: 'dave', role: 'member', paths: null, request }))
    const drift = run(ci, repo, ['verify', path, '--json'])
    expect(drift.status).toBe(1)
    expect(drift.stdout).toContain(`${path} is not encrypted to ${dave.identity.recipient}`)
    const before = readValuesFile(read(path), 'dotenv')
    ok(run(bob, repo, ['encrypt', path]))
    const granted = readValuesFile(read(path), 'dotenv')
    expect(granted.split.body).toBe(before.split.body)
    for (const entry of before.meta!.recipients) expect(granted.meta!.recipients).toContainEqual(entry)
    expect(granted.meta!.recipients.map((entry) => entry.recipient)).toContain(dave.identity.recipient)
    expect(ok(run(dave, repo, ['decrypt', path])).stdout).toBe('DRIFT_SECRET=drift-Value-77\n')
    expect(ok(run(ci, repo, ['verify', path])).status).toBe(0)
    // dave leaves: the file still lists him (flagged), and re-encrypting rotates the data key.
    await appendOperation({ repoRoot: repo, env: alice.env, signer }, () => ({ type: 'remove-member', name: 'dave' }))
    expect(run(ci, repo, ['verify', path]).stdout).toMatch(/still readable by removed key/)
    const rotate = ok(run(alice, repo, ['encrypt', path, '--json']))
    expect(JSON.parse(rotate.stdout)).toMatchObject({ rotated: true, changed: true })
    expect(rotate.stderr).toMatch(/may no longer read it, so it got a fresh data key/)
    const rotated = readValuesFile(read(path), 'dotenv')
    expect(rotated.meta!.commit).not.toBe(granted.meta!.commit)
    expect(rotated.meta!.id).toBe(granted.meta!.id)
    expect(rotated.split.body).not.toBe(granted.split.body)
    expect(run(dave, repo, ['decrypt', path]).stderr).toMatch(/not a recipient/)
    expect(ok(run(bob, repo, ['decrypt', path])).stdout).toBe('DRIFT_SECRET=drift-Value-77\n')
  })
})
