import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { git, writeFiles } from '../helpers/repo.js'
import { commitAll, ok, person, run, runAsync, teamRepo, type Person } from '../vault/support.js'

/**
 * Access changes on real repositories with three members, each decrypting with their own identity
 * through the real CLI: grant (re-wrap), remove (rotation), scope, devices, recovery, rotate, the
 * path-scoped admin who cannot finish, and runs killed midway.
 */

const ENV_FILE = 'DB_PASSWORD=alpha-one\nAPI_TOKEN=bravo-two\n# a comment stays\nREGION=eu-west-1\n'
const YAML_FILE = 'db:\n  password: charlie-three\n  port: 5432\nfeature: on\n'
const WHOLE = 'whole file payload\n'

interface Setup {
  repo: string
  alice: Person
  bob: Person
  carol: Person
}

async function setup(members: Array<'bob' | 'carol'> = ['bob', 'carol']): Promise<Setup> {
  const alice = person('alice')
  const bob = person('bob')
  const carol = person('carol')
  const people = { bob, carol }
  const { repo } = await teamRepo(
    alice,
    members.map((name) => ({ person: people[name] })),
  )
  // sentra --commit runs git commit as the user.
  git(repo, ['config', 'user.name', 'Test'])
  git(repo, ['config', 'user.email', 'test@example.invalid'])
  writeFiles(repo, { '.env.production': ENV_FILE, 'config/app.yaml': YAML_FILE, 'certs/x.p12': WHOLE, '.gitignore': 'certs/x.p12\n' })
  ok(run(alice, repo, ['encrypt', '.env.production']))
  ok(run(alice, repo, ['encrypt', 'config/app.yaml']))
  ok(run(alice, repo, ['encrypt', 'certs/x.p12']))
  commitAll(repo, 'secrets')
  return { repo, alice, bob, carol }
}

function decrypt(who: Person, repo: string, path: string) {
  return run(who, repo, ['decrypt', path])
}

/** Decrypts the three files side by side (separate processes): which ones this person can read. */
async function canRead(who: Person, repo: string): Promise<boolean[]> {
  const results = await Promise.all(['.env.production', 'config/app.yaml', 'certs/x.p12.age'].map((path) => runAsync(who, repo, ['decrypt', path])))
  return results.map((result) => result.status === 0)
}

function metadataCommit(repo: string, path: string): string {
  const match = /commit[":= ]+"?([A-Za-z0-9+/=]{40,})/.exec(readFileSync(join(repo, path), 'utf8'))
  if (!match) throw new Error(`no commitment in ${path}`)
  return match[1]!
}

function tokens(repo: string, path: string): string[] {
  return readFileSync(join(repo, path), 'utf8').match(/ENC\[sentra:v1,[^\]]+\]/g) ?? []
}

function treeHash(repo: string, paths: string[]): string {
  const hash = createHash('sha256')
  for (const path of paths) hash.update(readFileSync(join(repo, path)))
  return hash.digest('hex')
}

const TRACKED = ['.env.production', 'config/app.yaml', 'certs/x.p12.age', 'certs/x.p12.age.sig', '.sentra/team.jsonl']

function stagedPaths(repo: string): string[] {
  return git(repo, ['diff', '--cached', '--name-only']).split('\n').filter(Boolean).sort()
}

describe('grant', { timeout: 180_000 }, () => {
  it('team add re-wraps every file in the newcomer scope without re-encrypting a value', async () => {
    const { repo, alice, carol } = await setup(['bob'])
    expect(await canRead(carol, repo)).toEqual([false, false, false])
    ok(run(carol, repo, ['team', 'request-access', 'carol']))
    commitAll(repo, 'carol asks for access')
    const before = { env: tokens(repo, '.env.production'), yaml: tokens(repo, 'config/app.yaml'), commit: metadataCommit(repo, '.env.production') }
    const envBefore = readFileSync(join(repo, '.env.production'), 'utf8')
    const added = ok(run(alice, repo, ['team', 'add', 'carol', '--json']))
    const result = JSON.parse(added.stdout)
    expect(result.files.map((file: { path: string; action: string }) => [file.path, file.action])).toEqual([
      ['.env.production', 'rewrap'],
      ['certs/x.p12.age', 'rewrap'],
      ['config/app.yaml', 'rewrap'],
    ])
    expect(result.files[0].addedReaders).toEqual(['carol'])
    // Same DEK, same value ciphertexts: the diff is one more wrapped entry and the signature.
    expect(tokens(repo, '.env.production')).toEqual(before.env)
    expect(tokens(repo, 'config/app.yaml')).toEqual(before.yaml)
    expect(metadataCommit(repo, '.env.production')).toBe(before.commit)
    const after = readFileSync(join(repo, '.env.production'), 'utf8')
    const removedLines = envBefore.split('\n').filter((line) => !after.split('\n').includes(line))
    expect(removedLines.length).toBeLessThanOrEqual(1) // only the signature line changes (dotenv metadata is one line per field)
    expect(await canRead(carol, repo)).toEqual([true, true, true])
    expect(ok(decrypt(carol, repo, '.env.production')).stdout).toContain('API_TOKEN=bravo-two')
    // Staged in git: the files, the manifest and the approved request's removal.
    expect(stagedPaths(repo)).toEqual(['.env.production', '.sentra/requests/carol.json', '.sentra/team.jsonl', 'certs/x.p12.age', 'certs/x.p12.age.sig', 'config/app.yaml'])
    expect(ok(run(alice, repo, ['verify'])).status).toBe(0)
  })

  it('a second device of a member gets the files too, and can be removed on its own with rotation', async () => {
    const { repo, alice, bob } = await setup(['bob'])
    const laptop = person('bob', undefined)
    ok(run(laptop, repo, ['team', 'request-access', 'bob']))
    ok(run(alice, repo, ['team', 'add', 'bob', '--device', '--commit']))
    expect(await canRead(laptop, repo)).toEqual([true, true, true])
    expect(await canRead(bob, repo)).toEqual([true, true, true])
    const list = JSON.parse(ok(run(alice, repo, ['team', 'list', '--json'])).stdout)
    expect(list.members.find((member: { name: string }) => member.name === 'bob').devices).toHaveLength(2)
    const commitBefore = metadataCommit(repo, '.env.production')
    const removed = JSON.parse(ok(run(alice, repo, ['team', 'remove', 'bob', '--device', laptop.identity.recipient, '--json', '--commit'])).stdout)
    expect(removed.removed.recipients).toEqual([laptop.identity.recipient])
    expect(removed.files.every((file: { action: string }) => file.action === 'rotate')).toBe(true)
    expect(removed.committed).toMatch(/^[0-9a-f]{40}$/)
    expect(metadataCommit(repo, '.env.production')).not.toBe(commitBefore)
    expect(await canRead(laptop, repo)).toEqual([false, false, false])
    expect(await canRead(bob, repo)).toEqual([true, true, true])
    expect(git(repo, ['status', '--porcelain'])).toBe('')
  })
})

describe('remove', { timeout: 180_000 }, () => {
  it('rotates every file the member could read, re-signs, stages the change, and reports exposure', async () => {
    const { repo, alice, bob, carol } = await setup()
    // bob signs a file last: removing him must leave no file signed by a removed key.
    ok(run(bob, repo, ['set', 'config/app.yaml', 'db.password'], 'delta-four'))
    commitAll(repo, 'bob rotates the db password')
    const before = { env: tokens(repo, '.env.production'), commit: metadataCommit(repo, '.env.production'), age: readFileSync(join(repo, 'certs/x.p12.age'), 'utf8') }
    const result = ok(run(alice, repo, ['team', 'revoke', 'bob']))
    expect(result.stdout).toContain('Removed bob from the team.')
    expect(result.stdout).toContain('3 file(s) rotated (fresh data key)')
    expect(result.stdout).toContain('git commit -m')
    expect(result.stdout).toMatch(/history/i)
    // Fresh DEK and fresh value ciphertexts; the values themselves are unchanged.
    expect(metadataCommit(repo, '.env.production')).not.toBe(before.commit)
    expect(tokens(repo, '.env.production').some((token) => before.env.includes(token))).toBe(false)
    expect(readFileSync(join(repo, 'certs/x.p12.age'), 'utf8')).not.toBe(before.age)
    expect(await canRead(bob, repo)).toEqual([false, false, false])
    expect(decrypt(bob, repo, '.env.production').stderr).toMatch(/not a recipient/)
    expect(await canRead(alice, repo)).toEqual([true, true, true])
    expect(await canRead(carol, repo)).toEqual([true, true, true])
    expect(ok(decrypt(carol, repo, 'config/app.yaml')).stdout).toContain('password: delta-four')
    expect(ok(decrypt(carol, repo, 'certs/x.p12.age')).stdout).toBe(WHOLE)
    expect(stagedPaths(repo)).toEqual(['.env.production', '.sentra/team.jsonl', 'certs/x.p12.age', 'certs/x.p12.age.sig', 'config/app.yaml'])
    const verify = ok(run(carol, repo, ['verify', '--json']))
    expect(JSON.parse(verify.stdout).problems).toEqual([])
    // No value in the output.
    for (const secret of ['alpha-one', 'bravo-two', 'delta-four']) expect(result.stdout + result.stderr).not.toContain(secret)
    // Removing again is a clear error.
    const again = run(alice, repo, ['team', 'remove', 'bob'])
    expect(again.status).toBe(2)
    expect(again.stderr).toMatch(/^sentra: error: .*bob was removed/m)
  })

  it('fails before changing anything when the admin cannot decrypt every affected file, and names who can', async () => {
    const { repo, alice, bob } = await setup()
    const dave = person('dave')
    ok(run(dave, repo, ['team', 'request-access', 'dave']))
    ok(run(alice, repo, ['team', 'add', 'dave', '--role', 'admin', '--paths', 'config/**', '--commit']))
    const hash = treeHash(repo, TRACKED)
    const refused = run(dave, repo, ['team', 'remove', 'bob'])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/nothing was changed/)
    expect(refused.stderr).toMatch(/\.env\.production/)
    expect(refused.stderr).toMatch(/alice \(admin\) can do it/)
    expect(treeHash(repo, TRACKED)).toBe(hash)
    expect(git(repo, ['status', '--porcelain'])).toBe('')
    expect(await canRead(bob, repo)).toEqual([true, true, true])
  })

  it('narrowing a scope rotates the files that leave it; widening re-wraps', async () => {
    const { repo, alice, carol } = await setup()
    const commitYaml = metadataCommit(repo, 'config/app.yaml')
    const narrowed = JSON.parse(ok(run(alice, repo, ['team', 'scope', 'carol', '--paths', 'config/**', '--json'])).stdout)
    expect(narrowed.files.map((file: { path: string; action: string }) => [file.path, file.action])).toEqual([
      ['.env.production', 'rotate'],
      ['certs/x.p12.age', 'rotate'],
    ])
    expect(metadataCommit(repo, 'config/app.yaml')).toBe(commitYaml)
    // What carol read in the files that left her scope is reported, and only those files.
    expect(narrowed.exposure.files.map((file: { path: string }) => file.path)).toEqual(['.env.production', 'certs/x.p12.age'])
    expect(narrowed.exposure.summary.mustChange).toBe(4)
    expect(await canRead(carol, repo)).toEqual([false, true, false])
    const widened = JSON.parse(ok(run(alice, repo, ['team', 'scope', 'carol', '--all', '--json'])).stdout)
    expect(widened.files.map((file: { action: string }) => file.action)).toEqual(['rewrap', 'rewrap'])
    expect(widened.exposure).toBeUndefined()
    expect(await canRead(carol, repo)).toEqual([true, true, true])
  })
})

describe('rotate, recovery, service members', { timeout: 180_000 }, () => {
  it('sentra rotate gives fresh data keys to the files named, keeping values', async () => {
    const { repo, bob } = await setup()
    const envCommit = metadataCommit(repo, '.env.production')
    const yamlCommit = metadataCommit(repo, 'config/app.yaml')
    const out = ok(run(bob, repo, ['rotate', '.env.production']))
    expect(out.stdout).toContain('1 file(s) rotated')
    expect(metadataCommit(repo, '.env.production')).not.toBe(envCommit)
    expect(metadataCommit(repo, 'config/app.yaml')).toBe(yamlCommit)
    expect(ok(decrypt(bob, repo, '.env.production')).stdout).toContain('DB_PASSWORD=alpha-one')
    const all = JSON.parse(ok(run(bob, repo, ['rotate', '--json', '--commit'])).stdout)
    expect(all.files).toHaveLength(3)
    expect(git(repo, ['status', '--porcelain'])).toBe('')
    expect(ok(run(bob, repo, ['verify'])).status).toBe(0)
  })

  it('a recovery recipient is added to every file and reads it with the real age CLI; replacing it rotates', async () => {
    const { repo, alice } = await setup(['bob'])
    const recovery = person('recovery')
    const set = JSON.parse(ok(run(alice, repo, ['team', 'recovery', recovery.identity.recipient, '--json'])).stdout)
    expect(set.files.map((file: { action: string }) => file.action)).toEqual(['rewrap', 'rewrap', 'rewrap'])
    const { execFileSync } = await import('node:child_process')
    expect(execFileSync('age', ['-d', '-i', recovery.file, join(repo, 'certs/x.p12.age')]).toString()).toBe(WHOLE)
    const status = JSON.parse(ok(run(alice, repo, ['team', 'list', '--json'])).stdout)
    expect(status.recovery).toBe(recovery.identity.recipient)
    const replaced = JSON.parse(ok(run(alice, repo, ['team', 'recovery', person('recovery2').identity.recipient, '--json'])).stdout)
    expect(replaced.files.map((file: { action: string }) => file.action)).toEqual(['rotate', 'rotate', 'rotate'])
    expect(() => execFileSync('age', ['-d', '-i', recovery.file, join(repo, 'certs/x.p12.age')], { stdio: 'pipe' })).toThrow()
  })

  it('a service member reads through SENTRA_IDENTITY but can neither rotate nor change the team', async () => {
    const { repo, alice } = await setup(['bob'])
    const ci = person('ci')
    ok(run(ci, repo, ['team', 'request-access', 'ci']))
    ok(run(alice, repo, ['team', 'add', 'ci', '--role', 'service', '--paths', 'config/**', '--commit']))
    const inline = { name: 'ci', identity: ci.identity, file: ci.file, env: { ...ci.env, SENTRA_IDENTITY_FILE: '', SENTRA_IDENTITY: ci.identity.revealSecret() } }
    expect(ok(decrypt(inline, repo, 'config/app.yaml')).stdout).toContain('charlie-three')
    expect(decrypt(inline, repo, '.env.production').status).not.toBe(0)
    const rotate = run(inline, repo, ['rotate', 'config/app.yaml'])
    expect(rotate.status).toBe(2)
    expect(rotate.stderr).toMatch(/read-only service member/)
    const add = run(inline, repo, ['team', 'remove', 'bob'])
    expect(add.status).toBe(2)
    expect(add.stderr).toMatch(/only admins change the team/)
  })

  it('encrypting to a removed key is refused', async () => {
    const { repo, alice, bob } = await setup()
    ok(run(alice, repo, ['team', 'remove', 'bob', '--commit']))
    writeFileSync(join(repo, 'notes.txt'), 'handover\n')
    const refused = run(alice, repo, ['encrypt', 'notes.txt', '--recipient', bob.identity.recipient])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/removed from the team/)
  })
})

describe('interrupted changes', { timeout: 180_000 }, () => {
  it('a run killed while staging changes nothing; re-running rolls back and completes', async () => {
    const { repo, alice, bob } = await setup()
    const hash = treeHash(repo, TRACKED)
    const killed = run({ ...alice, env: { ...alice.env, SENTRA_TEST_KILL_AT: 'staged:2' } }, repo, ['team', 'remove', 'bob'])
    expect(killed.status).toBeNull()
    expect(treeHash(repo, TRACKED)).toBe(hash)
    expect(await canRead(bob, repo)).toEqual([true, true, true])
    const again = ok(run(alice, repo, ['team', 'remove', 'bob']))
    expect(again.stderr).toMatch(/rolled back an interrupted `sentra team remove bob`/)
    expect(await canRead(bob, repo)).toEqual([false, false, false])
    expect(ok(run(alice, repo, ['verify'])).status).toBe(0)
  })

  it('a run killed midway through the renames is completed by re-running it, never left half-rotated', async () => {
    const { repo, alice, bob, carol } = await setup()
    const killed = run({ ...alice, env: { ...alice.env, SENTRA_TEST_KILL_AT: 'applied:1' } }, repo, ['team', 'remove', 'bob'])
    expect(killed.status).toBeNull()
    // Half-applied on disk: one file rotated, the manifest not yet written.
    expect(git(repo, ['status', '--porcelain', '--', '.sentra/team.jsonl'])).toBe('')
    expect(git(repo, ['status', '--porcelain', '--', '.env.production'])).not.toBe('')
    const again = ok(run(alice, repo, ['team', 'remove', 'bob']))
    expect(again.stderr).toMatch(/completed the interrupted `sentra team remove bob`/)
    expect(again.stdout).toContain('now complete')
    expect(await canRead(bob, repo)).toEqual([false, false, false])
    expect(await canRead(carol, repo)).toEqual([true, true, true])
    expect(JSON.parse(ok(run(carol, repo, ['verify', '--json'])).stdout).problems).toEqual([])
    expect(stagedPaths(repo)).toEqual(['.env.production', '.sentra/team.jsonl', 'certs/x.p12.age', 'certs/x.p12.age.sig', 'config/app.yaml'])
  })

  it('another access command completes a pending change first', async () => {
    const { repo, alice, bob } = await setup()
    run({ ...alice, env: { ...alice.env, SENTRA_TEST_KILL_AT: 'applied:2' } }, repo, ['team', 'remove', 'bob'])
    const rotate = ok(run(alice, repo, ['rotate', '.env.production']))
    expect(rotate.stderr).toMatch(/completed the interrupted `sentra team remove bob`/)
    expect(await canRead(bob, repo)).toEqual([false, false, false])
    expect(ok(run(alice, repo, ['verify'])).status).toBe(0)
  })
})

describe('standard input', () => {
  it('is never taken as a missing argument: it may carry a passphrase or a value', async () => {
    const alice = person('alice')
    const { repo } = await teamRepo(alice)
    const piped = 'piped-passphrase-never-an-argument'
    for (const args of [['team', 'remove'], ['set', '.env'], ['rotate'], ['team', 'scope']]) {
      const result = run(alice, repo, args, `${piped}\n`)
      expect(result.status, args.join(' ')).not.toBe(0)
      expect(result.stdout + result.stderr, args.join(' ')).not.toContain(piped)
    }
  })
})
