import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, git, tempDir, tempRepo } from '../helpers/repo.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { appendOperation } from '../../src/vault/team.js'
import { commitAll, ok, person, run, runAsync, teamRepo, type Person } from './support.js'

/**
 * The manifest's trust anchor and rollback protection, through the real CLI on real clones of a
 * shared origin: a replaced team, CI without a pinned root, an old checkout or a rewound upstream
 * hiding a removal, a pull request dropping an entry, two branches that both appended.
 */
afterAll(cleanupTemp)

let alice: Person
let bob: Person
let carol: Person
let origin: string
let root: string
let fullMain: string
let aliceRepo: string

function clone(name = 'clone'): string {
  const dir = join(tempDir(`sentra-${name}-`), 'work')
  git(tempDir(), ['clone', '-q', origin, dir])
  return dir
}

function manifest(repo: string): string {
  return readFileSync(join(repo, '.sentra/team.jsonl'), 'utf8')
}

beforeAll(async () => {
  alice = person('alice')
  bob = person('bob')
  carol = person('carol')
  const team = await teamRepo(alice, [{ person: bob }, { person: carol }])
  root = team.root
  origin = join(tempDir('sentra-origin-'), 'origin.git')
  git(tempDir(), ['init', '-q', '--bare', '-b', 'main', origin])
  git(team.repo, ['remote', 'add', 'origin', origin])
  git(team.repo, ['tag', 'v1'])
  git(team.repo, ['push', '-q', 'origin', 'main', 'v1'])
  // carol is removed (the command that also rotates comes later; the manifest operation is this one).
  await appendOperation({ repoRoot: team.repo, env: alice.env, signer: new LocalKey(alice.identity, 'env-file') }, () => ({ type: 'remove-member', name: 'carol' }))
  commitAll(team.repo, 'remove carol')
  git(team.repo, ['push', '-q', 'origin', 'main'])
  fullMain = git(team.repo, ['rev-parse', 'HEAD']).trim()
  aliceRepo = team.repo
})

describe.concurrent('trust anchor', () => {
  it('refuses a .sentra/ replaced by another self-signed team', async () => {
    const repo = clone()
    ok(await runAsync(bob, repo, ['team', 'list']))
    const mallory = person('mallory')
    const elsewhere = tempRepo()
    ok(await runAsync(mallory, elsewhere, ['team', 'init', '--name', 'mallory']))
    writeFileSync(join(repo, '.sentra/team.jsonl'), manifest(elsewhere))
    writeFileSync(join(repo, 'notes.txt'), 'confidential\n')
    const commands = [['team', 'list'], ['verify'], ['encrypt', 'notes.txt']]
    const results = await Promise.all(commands.map((args) => runAsync(bob, repo, args)))
    results.forEach((result, i) => {
      expect(result.status, commands[i]!.join(' ')).toBe(commands[i]![0] === 'verify' ? 1 : 2)
      expect(result.stderr + result.stdout).toMatch(/but the root pinned for this clone is .*: this is a different team's manifest \(was \.sentra\/ replaced\?\)/)
    })
  })

  it('with CI=true, fails without a pinned root instead of trusting on first use', async () => {
    const repo = clone()
    const ci = { ...bob, env: { ...bob.env, CI: 'true' } }
    const unpinned = await runAsync(ci, repo, ['verify'])
    expect(unpinned.status).toBe(1)
    expect(unpinned.stdout).toMatch(/CI=true and no team root is pinned: set SENTRA_TEAM_ROOT/)
    ok(await runAsync({ ...ci, env: { ...ci.env, SENTRA_TEAM_ROOT: root } }, repo, ['verify']))
    ok(await runAsync(ci, repo, ['verify', '--root', root]))
    const wrong = await runAsync(ci, repo, ['verify', '--root', 'a'.repeat(64)])
    expect(wrong.status).toBe(1)
    expect(wrong.stdout).toMatch(/different team's manifest/)
  })

  it('pins on first use outside CI and says so', async () => {
    const repo = clone()
    const first = ok(await runAsync(bob, repo, ['team', 'list']))
    expect(first.stderr).toContain(`pinned this team's root ${root} on first use`)
    const second = ok(await runAsync(bob, repo, ['team', 'list']))
    expect(second.stderr).not.toContain('pinned')
    expect(readFileSync(join(repo, '.git/sentra/team-root'), 'utf8').trim()).toBe(root)
  })
})

describe('rollback', () => {
  it('an old checkout reads fine but applies the newest removals; appending on it is refused', () => {
    const repo = clone()
    ok(run(alice, repo, ['team', 'list']))
    git(repo, ['checkout', '-q', 'v1'])
    const list = ok(run(alice, repo, ['team', 'list', '--json']))
    expect(list.stderr).toMatch(/this checkout's team manifest is older than origin\/main's \(entry #2 vs #3\): applying the newest/)
    const members = (JSON.parse(list.stdout) as { members: Array<{ name: string; removed: boolean }> }).members
    expect(members.find((member) => member.name === 'carol')!.removed).toBe(true)
    writeFileSync(join(repo, 'notes.txt'), 'confidential\n')
    const encrypted = JSON.parse(ok(run(alice, repo, ['encrypt', 'notes.txt', '--json'])).stdout) as { recipients: string[] }
    expect(encrypted.recipients).toEqual([alice.identity.recipient, bob.identity.recipient].sort())
    expect(encrypted.recipients).not.toContain(carol.identity.recipient)
    const append = run(alice, repo, ['team', 'role', 'bob', 'admin'])
    expect(append.status).toBe(2)
    expect(append.stderr).toMatch(/this checkout's team manifest ends at entry #2, but origin\/main has entries up to #3 \[#3 remove carol\]: update it first/)
  })

  it('a rewound upstream cannot hide a removal this clone has seen', () => {
    const repo = clone()
    ok(run(bob, repo, ['team', 'list']))
    // Someone force-pushes main back to before the removal.
    const rewound = join(tempDir(), 'rewound')
    git(tempDir(), ['clone', '-q', origin, rewound])
    git(rewound, ['reset', '-q', '--hard', 'v1'])
    git(rewound, ['push', '-q', '--force', 'origin', 'main'])
    git(repo, ['fetch', '-q', 'origin'])
    git(repo, ['reset', '-q', '--hard', 'origin/main'])
    const list = ok(run(bob, repo, ['team', 'list', '--json']))
    expect(list.stderr).toMatch(/origin\/main's team manifest ends at entry #2, older than the newest this clone verified \(#3\): using the newest/)
    expect((JSON.parse(list.stdout) as { members: Array<{ name: string; removed: boolean }> }).members.find((member) => member.name === 'carol')!.removed).toBe(true)
    // Restore origin for the other tests.
    git(aliceRepo, ['push', '-q', '--force', 'origin', `${fullMain}:refs/heads/main`])
  })
})

describe('verify --base', () => {
  it('fails when the change drops entries of the base, passes when it only appends', () => {
    const repo = clone()
    git(repo, ['checkout', '-q', '-b', 'drop'])
    const text = manifest(repo).split('\n').filter(Boolean)
    writeFileSync(join(repo, '.sentra/team.jsonl'), `${text.slice(0, -1).join('\n')}\n`)
    commitAll(repo, 'drop the removal')
    // A CI run: fresh state, root from the environment.
    const ci = { ...bob, env: { ...bob.env, CI: 'true', SENTRA_TEAM_ROOT: root } }
    const result = run(ci, repo, ['verify', '--base', 'origin/main', '--json'])
    expect(result.status).toBe(1)
    const report = JSON.parse(result.stdout) as { problems: Array<{ kind: string; message: string }> }
    expect(report.problems[0]!.kind).toBe('manifest:not-extending-base')
    expect(report.problems[0]!.message).toMatch(/does not extend origin\/main's: it drops entries #3–#3 \[#3 remove carol\]/)

    git(repo, ['checkout', '-q', '-B', 'append', 'origin/main'])
    ok(run(alice, repo, ['team', 'manage', 'certs/**', '--format', 'binary']))
    commitAll(repo, 'manage certs')
    ok(run(ci, repo, ['verify', '--base', 'origin/main']))
  })

  it('explains two branches that both appended', () => {
    const ours = clone('ours')
    git(ours, ['checkout', '-q', '-b', 'feature'])
    ok(run(alice, ours, ['team', 'manage', 'certs/**', '--format', 'binary']))
    commitAll(ours, 'manage certs')
    const theirs = clone('theirs')
    ok(run(alice, theirs, ['team', 'role', 'bob', 'admin']))
    commitAll(theirs, 'bob admin')
    git(theirs, ['push', '-q', 'origin', 'main'])
    git(ours, ['fetch', '-q', 'origin'])
    const ci = { ...bob, env: { ...bob.env, CI: 'true', SENTRA_TEAM_ROOT: root } }
    const result = run(ci, ours, ['verify', '--base', 'origin/main'])
    expect(result.status).toBe(1)
    expect(result.stdout).toMatch(
      /forked from origin\/main after entry #3: this side appended \[#4 manage certs\/\*\* as binary\], origin\/main appended \[#4 make bob admin\]\. Two branches both changed the team; re-append this side's changes on top/,
    )
    // The same fork is caught without --base once the clone has seen the new upstream.
    const local = run(alice, ours, ['team', 'list'])
    expect(local.status).toBe(2)
    expect(local.stderr).toMatch(/forked from origin\/main after entry #3/)
  })
})
