import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, git } from '../helpers/repo.js'
import { BASE62, fakeChars, joined } from '../helpers/samples.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { appendOperation } from '../../src/vault/team.js'
import { isSecretLike, knownSecretsChecker, rememberSecrets, secretTokens } from '../../src/vault/known-secrets.js'
import { globRegExp, policyGlobs } from '../../src/vault/guard-trigger.js'
import { commitAll, ok, person, run, teamRepo, type Person } from './support.js'

/** `sentra guard` (as the real pre-commit hook) and encrypted files: plaintext at managed paths, broken files, the team's own secrets. */
afterAll(cleanupTemp)

let alice: Person
let repo: string
// Built at run time: realistic secrets never appear literally in the repository (sentra scans itself).
const SECRET = joined(fakeChars(BASE62, 10, 5), '9Q')

function commit(message: string): { status: number | null; output: string } {
  const result = spawnSync('git', ['commit', '-q', '-m', message], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.invalid' },
  })
  return { status: result.status, output: result.stdout + result.stderr }
}

function stage(path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true })
  writeFileSync(join(repo, path), text)
  git(repo, ['add', path])
}

beforeAll(async () => {
  alice = person('alice')
  ;({ repo } = await teamRepo(alice))
  const signer = new LocalKey(alice.identity, 'env-file')
  await appendOperation({ repoRoot: repo, env: alice.env, signer }, () => ({ type: 'manage', glob: '.env.*', format: 'dotenv', plainKeys: [] }))
  await appendOperation({ repoRoot: repo, env: alice.env, signer }, () => ({ type: 'manage', glob: 'certs/**', format: 'binary', plainKeys: [] }))
  ok(run(alice, repo, ['init']))
  commitAll(repo, 'policy and sentra init')
})

describe('guard and managed paths', () => {
  it('blocks a managed path staged in plaintext, and lets the encrypted file through', () => {
    stage('.env.production', `DB_PASSWORD=${SECRET}\n`)
    const blocked = commit('plaintext')
    expect(blocked.status).not.toBe(0)
    expect(blocked.output).toMatch(/\.env\.production:1:1 +CRITICAL +sentra-managed-plaintext/)
    expect(blocked.output).toMatch(/a managed path staged in plaintext: encrypt it in place with `sentra encrypt \.env\.production`/)
    expect(blocked.output).not.toContain(SECRET)
    ok(run(alice, repo, ['encrypt', '.env.production']))
    git(repo, ['add', '.env.production'])
    const clean = commit('encrypted')
    expect(clean.status, clean.output).toBe(0)
    expect(clean.output).toBe('')
  })

  it('blocks a managed binary path in plaintext', () => {
    stage('certs/prod.key', 'binary-ish key material\n')
    const blocked = commit('cert')
    expect(blocked.status).not.toBe(0)
    expect(blocked.output).toMatch(/certs\/prod\.key:1:1 +CRITICAL +sentra-managed-plaintext/)
    git(repo, ['rm', '-q', '--cached', 'certs/prod.key'])
    rmSync(join(repo, 'certs/prod.key'))
  })

  it('blocks an encrypted file whose bytes changed after signing, or that git merged as text', () => {
    const encrypted = readFileSync(join(repo, '.env.production'), 'utf8')
    stage('.env.production', encrypted.replace('DB_PASSWORD=', '# edited by hand\nDB_PASSWORD='))
    const edited = commit('hand edit')
    expect(edited.status).not.toBe(0)
    expect(edited.output).toMatch(/sentra-encrypted-file\n\s+a broken encrypted file: \.env\.production was changed after it was signed/)
    stage('.env.production', `<<<<<<< ours\n${encrypted}=======\n${encrypted}>>>>>>> theirs\n`)
    const conflicted = commit('text merge')
    expect(conflicted.status).not.toBe(0)
    expect(conflicted.output).toMatch(/\.env\.production has git conflict markers: it was merged as text, without sentra's merge driver\. Run `sentra init`/)
    stage('.env.production', encrypted)
  })

  it('scans the comments of an encrypted file like any text', () => {
    const aws = joined('AKIA', fakeChars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 7))
    const encrypted = readFileSync(join(repo, '.env.production'), 'utf8')
    writeFileSync(join(repo, '.env.production'), `# old key, do not use: AWS_ACCESS_KEY_ID=${aws}\n${encrypted}`)
    ok(run(alice, repo, ['encrypt', '.env.production']))
    git(repo, ['add', '.env.production'])
    const blocked = commit('commented-out credential')
    expect(blocked.status).not.toBe(0)
    expect(blocked.output).toMatch(/\.env\.production:1:\d+ +\w+ +aws-access-key-id/)
    expect(blocked.output).not.toMatch(/sentra-encrypted-file|sentra-managed-plaintext/)
    writeFileSync(join(repo, '.env.production'), encrypted)
    git(repo, ['add', '.env.production'])
  })
})

describe('known secrets', () => {
  it('blocks a decrypted team secret pasted into any file, in any format; stores no values', () => {
    ok(run(alice, repo, ['decrypt', '.env.production']))
    const dir = join(repo, '.git/sentra')
    const store = readFileSync(join(dir, 'known-secrets.json'), 'utf8')
    expect(store).not.toContain(SECRET)
    expect(statSync(join(dir, 'known-secrets.json')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'known-secrets.key')).mode & 0o777).toBe(0o600)
    stage('deploy/notes.md', `Connect with postgres://app:${SECRET}@db.internal/app and "${SECRET}"\n`)
    const blocked = commit('notes')
    expect(blocked.status).not.toBe(0)
    expect(blocked.output).toMatch(/deploy\/notes\.md:1:\d+ +CRITICAL +sentra-known-secret/)
    expect(blocked.output).toMatch(/a secret value of \.env\.production/)
    expect(blocked.output).not.toContain(SECRET)
    stage('deploy/notes.md', 'Connect with the value in .env.production\nenabled: true\nport: 7\n')
    const clean = commit('notes without the secret')
    expect(clean.status, clean.output).toBe(0)
  })

  it('says so when the check cannot run, instead of skipping it', () => {
    const key = join(repo, '.git/sentra/known-secrets.key')
    const saved = readFileSync(key)
    rmSync(key)
    stage('other.txt', 'harmless\n')
    const result = commit('other')
    expect(result.output).toMatch(/the known-secrets check could not run: the known-secrets key .* is missing or damaged/)
    writeFileSync(key, saved, { mode: 0o600 })
  })

  it('keeps only long, varied tokens, and hashes only tokens of the stored lengths', () => {
    expect(['7', 'true', 'production', 'localhost', 'password', 'db.internal.example'].filter(isSecretLike)).toEqual([])
    expect(secretTokens(`postgres://app:${SECRET}@db.internal:5432/app`)).toEqual([SECRET])
    const dir = join(repo, '.git/sentra-test')
    rememberSecrets(dir, 'a.env', [SECRET, 'true', '7'])
    const check = knownSecretsChecker(dir)!
    expect(check(`x=${SECRET};`)).toEqual([{ column: 2, length: SECRET.length, source: 'a.env' }])
    expect(check(`x=${SECRET}extra`)).toEqual([])
    expect(check('true 7 production')).toEqual([])
  })

  it('reads the policy globs of the manifest the way micromatch does for the usual syntax', () => {
    expect(policyGlobs(readFileSync(join(repo, '.sentra/team.jsonl'), 'utf8'))).toEqual(['.env.*', 'certs/**'])
    expect(globRegExp('.env.*').test('.env.production')).toBe(true)
    expect(globRegExp('.env.*').test('sub/.env.production')).toBe(false)
    expect(globRegExp('certs/**').test('certs/a/b.p12')).toBe(true)
    expect(globRegExp('**/secrets.{yaml,yml}').test('a/b/secrets.yml')).toBe(true)
    expect(globRegExp('**/secrets.{yaml,yml}').test('secrets.yaml')).toBe(true)
  })
})
