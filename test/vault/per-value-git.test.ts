import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, git, tempDir } from '../helpers/repo.js'
import { LocalKey, type KeyHandle } from '../../src/vault/keystore/index.js'
import { createRequest } from '../../src/vault/requests.js'
import { appendOperation } from '../../src/vault/team.js'
import { chainFromText } from '../../src/vault/manifest/chain.js'
import { runMergeDriver } from '../../src/vault/values/merge-driver.js'
import { readValuesFile } from '../../src/vault/values/values-file.js'
import { commitAll, ok, person, run, teamRepo, type Person } from './support.js'

/** sentra's git drivers on real repositories: `git merge` with the merge driver, `git diff` with textconv. */
afterAll(cleanupTemp)

let alice: Person
let bob: Person
let repo: string

/** git as a person: their identity reaches the drivers git starts. */
function gitAs(who: Person, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, ...who.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.invalid' },
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

const read = (path: string) => readFileSync(join(repo, path), 'utf8')
const value = (who: Person, path: string, key: string) => ok(run(who, repo, ['get', path, key])).stdout.trim()
const set = (who: Person, path: string, key: string, text: string) => ok(run(who, repo, ['set', path, key], text))

beforeAll(async () => {
  alice = person('alice')
  bob = person('bob')
  ;({ repo } = await teamRepo(alice, [{ person: bob }]))
  const signer = new LocalKey(alice.identity, 'env-file')
  await appendOperation({ repoRoot: repo, env: alice.env, signer }, () => ({ type: 'manage', glob: '.env.production', format: 'dotenv', plainKeys: [] }))
  await appendOperation({ repoRoot: repo, env: alice.env, signer }, () => ({ type: 'manage', glob: 'config/*.yaml', format: 'yaml', plainKeys: [] }))
  const init = ok(run(alice, repo, ['init', '--no-hooks', '--json']))
  expect(JSON.parse(init.stdout).actions).toContainEqual(expect.objectContaining({ target: 'git config merge.sentra.driver', action: 'created' }))
  expect(read('.gitattributes')).toContain('/.env.production -text diff=sentra merge=sentra\n/config/*.yaml -text diff=sentra merge=sentra\n')
  expect(git(repo, ['config', '--get', 'merge.sentra.driver'])).toMatch(/run\.js'? merge-driver %O %A %B %P\n$/)
  expect(spawnSync('git', ['config', '--get', 'diff.sentra.cachetextconv'], { cwd: repo }).status).toBe(1)
  writeFileSync(join(repo, '.env.production'), '# keys\nONE=one-Value-111\nTWO=two-Value-222\nTHREE=three-Value-333\n')
  mkdirSync(join(repo, 'config'), { recursive: true })
  writeFileSync(join(repo, 'config/app.yaml'), 'db:\n  user: app\n  password: yaml-Pass-1\nlimits:\n  max: 10\n')
  ok(run(alice, repo, ['encrypt', '.env.production']))
  ok(run(alice, repo, ['encrypt', 'config/app.yaml']))
  commitAll(repo, 'encrypted files')
})

describe('merge driver', () => {
  it('merges different keys changed on two branches cleanly, and signs the result', () => {
    git(repo, ['checkout', '-q', '-b', 'feature'])
    set(bob, '.env.production', 'ONE', 'one-Feature-999')
    set(bob, 'config/app.yaml', 'limits.max', '20')
    commitAll(repo, 'feature: ONE, limits.max')
    git(repo, ['checkout', '-q', 'main'])
    set(alice, '.env.production', 'THREE', 'three-Main-777')
    set(alice, '.env.production', 'FOUR', 'four-Added-444')
    set(alice, 'config/app.yaml', 'db.password', 'yaml-Pass-2')
    commitAll(repo, 'main: THREE, FOUR, db.password')
    const merge = gitAs(alice, ['merge', '--no-edit', 'feature'])
    expect(merge.status, merge.stderr + merge.stdout).toBe(0)
    expect(read('.env.production')).not.toMatch(/^[<=>]{7}/m)
    expect(ok(run(bob, repo, ['decrypt', '.env.production'])).stdout).toBe('# keys\nONE=one-Feature-999\nTWO=two-Value-222\nTHREE=three-Main-777\nFOUR=four-Added-444\n')
    expect(ok(run(bob, repo, ['decrypt', 'config/app.yaml'])).stdout).toBe('db:\n  user: "app"\n  password: yaml-Pass-2\nlimits:\n  max: 20\n'.replace('"app"', 'app'))
    expect(read('.env.production')).toContain(`signer="${alice.identity.signingPublicKey}"`)
    expect(ok(run(bob, repo, ['verify'])).status).toBe(0)
  })

  it('needs no decryption key: the driver only compares ciphertext and signs', async () => {
    git(repo, ['checkout', '-q', '-b', 'nokey-a'])
    set(alice, '.env.production', 'ONE', 'one-A')
    commitAll(repo, 'a')
    const ours = read('.env.production')
    git(repo, ['checkout', '-q', 'main'])
    git(repo, ['checkout', '-q', '-b', 'nokey-b'])
    set(alice, '.env.production', 'TWO', 'two-B')
    commitAll(repo, 'b')
    const theirs = read('.env.production')
    const base = git(repo, ['show', 'main:.env.production'])
    const dir = tempDir('sentra-driver-')
    for (const [name, text] of [['O', base], ['A', ours], ['B', theirs]] as const) writeFileSync(join(dir, name), text)
    const real = new LocalKey(bob.identity, 'env')
    let decryptCalls = 0
    const signOnly: KeyHandle = {
      recipient: real.recipient,
      signingKey: real.signingKey,
      source: 'env',
      sign: (label, message) => real.sign(label, message),
      decryptKeys: () => {
        decryptCalls++
        throw new Error('the merge driver must not decrypt')
      },
    }
    const messages: string[] = []
    const code = await runMergeDriver({ repoRoot: repo, base: join(dir, 'O'), ours: join(dir, 'A'), theirs: join(dir, 'B'), path: '.env.production', openKey: async () => signOnly, log: (m) => messages.push(m) })
    expect(messages).toEqual([])
    expect(code).toBe(0)
    expect(decryptCalls).toBe(0)
    const merged = readValuesFile(readFileSync(join(dir, 'A'), 'utf8'), 'dotenv')
    const tokens = (text: string) => new Map(readValuesFile(text, 'dotenv').body.values.map((v) => [JSON.stringify(v.path), v.token]))
    expect(tokens(readFileSync(join(dir, 'A'), 'utf8')).get('[{"key":"ONE"}]')).toBe(tokens(ours).get('[{"key":"ONE"}]'))
    expect(tokens(readFileSync(join(dir, 'A'), 'utf8')).get('[{"key":"TWO"}]')).toBe(tokens(theirs).get('[{"key":"TWO"}]'))
    expect(merged.meta!.signer).toBe(bob.identity.signingPublicKey)
    git(repo, ['checkout', '-q', 'main'])
  })

  it('leaves a conflict when the same key changed on both sides, with every other change merged', () => {
    git(repo, ['checkout', '-q', '-b', 'both'])
    set(bob, '.env.production', 'TWO', 'two-Theirs')
    set(bob, '.env.production', 'ONE', 'one-Theirs')
    commitAll(repo, 'both: TWO, ONE')
    git(repo, ['checkout', '-q', 'main'])
    set(alice, '.env.production', 'TWO', 'two-Ours')
    commitAll(repo, 'main: TWO')
    const merge = gitAs(alice, ['merge', '--no-edit', 'both'])
    expect(merge.status).not.toBe(0)
    expect(merge.stderr + merge.stdout).toMatch(/"TWO" changed on both sides: the merged file keeps our value for it/)
    expect(git(repo, ['status', '--porcelain'])).toMatch(/^UU \.env\.production$/m)
    expect(value(alice, '.env.production', 'TWO')).toBe('two-Ours')
    expect(value(alice, '.env.production', 'ONE')).toBe('one-Theirs')
    set(alice, '.env.production', 'TWO', 'two-Resolved')
    git(repo, ['add', '.env.production'])
    git(repo, ['commit', '-q', '--no-edit'])
    expect(ok(run(bob, repo, ['verify'])).status).toBe(0)
  })

  it('refuses sides with different data keys (one side rotated), with instructions', async () => {
    git(repo, ['checkout', '-q', '-b', 'rotated'])
    const clear = ok(run(alice, repo, ['decrypt', '.env.production'])).stdout
    writeFileSync(join(repo, '.env.production'), clear)
    ok(run(alice, repo, ['encrypt', '.env.production']))
    commitAll(repo, 'rotated: re-created with a new DEK')
    git(repo, ['checkout', '-q', 'main'])
    set(alice, '.env.production', 'ONE', 'one-After')
    commitAll(repo, 'main: ONE')
    const ours = read('.env.production')
    const merge = gitAs(alice, ['merge', '--no-edit', 'rotated'])
    expect(merge.status).not.toBe(0)
    expect(merge.stderr + merge.stdout).toMatch(/cannot merge: the two sides are different files \(different file ids\)[^\n]*git checkout --ours \.env\.production/)
    expect(read('.env.production')).toBe(ours)
    git(repo, ['merge', '--abort'])
  })

  it('takes the manifest of the other side: a grant made there is kept in the merge', async () => {
    git(repo, ['checkout', '-q', '-b', 'grant'])
    const carol = person('carol')
    const state = chainFromText(read('.sentra/team.jsonl'), 'team').state
    const request = await createRequest(new LocalKey(carol.identity, 'env-file'), 'carol', state.root)
    await appendOperation({ repoRoot: repo, env: alice.env, signer: new LocalKey(alice.identity, 'env-file') }, () => ({ type: 'add-member', name: 'carol', role: 'member', paths: null, request }))
    ok(run(alice, repo, ['encrypt', '.env.production']))
    ok(run(alice, repo, ['encrypt', 'config/app.yaml']))
    commitAll(repo, 'grant: carol')
    git(repo, ['checkout', '-q', 'main'])
    set(bob, '.env.production', 'THREE', 'three-Bob')
    commitAll(repo, 'main: THREE')
    const merge = gitAs(bob, ['merge', '--no-edit', 'grant'])
    expect(merge.status, merge.stderr).toBe(0)
    expect(value(carol, '.env.production', 'THREE')).toBe('three-Bob')
    expect(ok(run(bob, repo, ['verify'])).status).toBe(0)
  })

  it('without the driver git merges as text: verify names the damage and the repair', () => {
    git(repo, ['checkout', '-q', '-b', 'nodriver'])
    set(bob, '.env.production', 'ONE', 'one-X')
    commitAll(repo, 'x')
    git(repo, ['checkout', '-q', 'main'])
    set(alice, '.env.production', 'ONE', 'one-Y')
    commitAll(repo, 'y')
    // A clone without the driver: git falls back to its text merge (here forced with info/attributes).
    writeFileSync(join(repo, '.git/info/attributes'), '/.env.production merge=text\n')
    const merge = gitAs(alice, ['merge', '--no-edit', 'nodriver'])
    expect(merge.status).not.toBe(0)
    expect(read('.env.production')).toMatch(/^<{7} /m)
    const verify = run(bob, repo, ['verify', '--json'])
    expect(verify.status).toBe(1)
    expect(verify.stdout).toMatch(/\.env\.production has git conflict markers: it was merged as text, without sentra's merge driver\. Run `sentra init`/)
    writeFileSync(join(repo, '.git/info/attributes'), '')
    git(repo, ['merge', '--abort'])
  })
})

describe('textconv', () => {
  it('shows members decrypted diffs and history', () => {
    const diff = gitAs(bob, ['log', '-p', '--format=%s', '--', '.env.production'])
    expect(diff.status, diff.stderr).toBe(0)
    expect(diff.stdout).toMatch(/^\+THREE=three-Bob$/m)
    expect(diff.stdout).not.toContain('ENC[sentra:v1')
    // Someone without a key sees the file as it is.
    const outsider = person('outsider')
    const raw = gitAs(outsider, ['log', '-p', '-1', '--format=%s', '--', '.env.production'])
    expect(raw.status).toBe(0)
    expect(raw.stdout).toContain('ENC[sentra:v1')
  })
})
