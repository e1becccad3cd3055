import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, git, tempDir } from '../helpers/repo.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { loadTrustedTeam } from '../../src/vault/manifest/trust.js'
import { appendOperation } from '../../src/vault/team.js'
import { encryptValuesFile } from '../../src/vault/values/ops.js'
import { exposureReport, keyName, renderExposureText, type ExposedFile, type ExposureReport } from '../../src/vault/access/exposure.js'
import { commitAll, ok, person, run, runAsync, teamRepo, type Person } from '../vault/support.js'

/**
 * The exposure report against a scripted history made with the real CLI (encrypt, set, edit, team
 * scope, commits): three people, alice (admin, the remover), bob (the member removed) and carol.
 */
afterAll(cleanupTemp)

let alice: Person
let bob: Person
let carol: Person
let repo: string
/** Commits of the scripted history, by step. */
const c: Record<string, string> = {}
let report: ExposureReport

/** Every plaintext the history ever held: none may appear in any output. */
const PLAINTEXTS = {
  A: 'alpha-Value-001',
  B1: 'bravo-Value-001',
  B2: 'bravo-Value-002',
  C1: 'charlie-Value-001',
  C2: 'charlie-Value-002',
  D: 'delta-Value-001',
  E: 'echo-Value-001',
  LATER: 'later-Value-001',
  YPASS1: 'yaml-Pass-001',
  YPASS2: 'yaml-Pass-002',
  YUSER1: 'yaml-User-001',
  YUSER2: 'yaml-User-002',
  YLEGACY: 'yaml-Legacy-001',
  ITEM0: 'yaml-Item-000',
  ITEM1: 'yaml-Item-001',
  X: 'x-p12-Content-001',
  Y1: 'y-p12-Content-001',
  Y2: 'y-p12-Content-002',
  Z: 'z-p12-Content-001',
  OPS_TOKEN1: 'ops-Token-001',
  OPS_TOKEN2: 'ops-Token-002',
  OPS_USER: 'ops-User-001',
}

const rev = (ref: string) => git(repo, ['rev-parse', ref]).trim()
const dateOf = (commit: string) => git(repo, ['show', '-s', '--format=%cI', commit]).trim()

function editor(script: string): string {
  const file = join(tempDir('sentra-editor-'), 'editor.sh')
  writeFileSync(file, `#!/bin/sh\nset -e\nfor f; do :; done\n${script}\n`)
  chmodSync(file, 0o755)
  return file
}

function commit(step: string): void {
  commitAll(repo, step)
  c[step] = rev('HEAD')
}

async function setPaths(name: string, paths: string[]): Promise<void> {
  await appendOperation({ repoRoot: repo, env: alice.env, signer: new LocalKey(alice.identity, 'env-file') }, () => ({ type: 'set-paths', name, paths }))
}

const readerOf = (who: Person) => new LocalKey(who.identity, 'env-file')
const stateOf = (who: Person) => loadTrustedTeam({ repoRoot: repo, env: who.env, purpose: 'read' }).state

beforeAll(async () => {
  alice = person('alice')
  bob = person('bob')
  carol = person('carol')
  ;({ repo } = await teamRepo(alice, [{ person: bob }, { person: carol }]))
  const P = PLAINTEXTS
  writeFileSync(join(repo, '.gitignore'), 'certs/*.p12\n')
  writeFileSync(join(repo, '.env.production'), `A=${P.A}\nB=${P.B1}\nC=${P.C1}\nE=${P.E}\n`)
  mkdirSync(join(repo, 'config'))
  writeFileSync(join(repo, 'config/app.yaml'), `db:\n  password: ${P.YPASS1}\n  user: ${P.YUSER1}\n  legacy: ${P.YLEGACY}\nitems:\n  - ${P.ITEM0}\n  - ${P.ITEM1}\n`)
  mkdirSync(join(repo, 'certs'))
  writeFileSync(join(repo, 'certs/x.p12'), P.X)
  writeFileSync(join(repo, 'certs/y.p12'), P.Y1)
  writeFileSync(join(repo, 'certs/z.p12'), P.Z)
  mkdirSync(join(repo, 'other'))
  writeFileSync(join(repo, 'other/.env.ops'), `OPS_TOKEN=${P.OPS_TOKEN1}\nOPS_USER=${P.OPS_USER}\n`)
  const files = ['.env.production', 'config/app.yaml', 'certs/x.p12', 'certs/y.p12', 'certs/z.p12']
  // carol writes other/.env.ops: she still may after alice leaves other/**.
  const encrypted = await Promise.all([...files.map((file) => runAsync(alice, repo, ['encrypt', file])), runAsync(carol, repo, ['encrypt', 'other/.env.ops'])])
  for (const result of encrypted) ok(result)
  // 1. Everything encrypted for alice, bob and carol.
  commit('c1')

  // 2. Changes bob can still read: B, db.user; db.legacy deleted.
  ok(run(alice, repo, ['set', '.env.production', 'B'], P.B2))
  ok(run(alice, repo, ['set', 'config/app.yaml', 'db.user'], P.YUSER2))
  ok(run({ ...alice, env: { ...alice.env, EDITOR: editor(`sed -i '/^  legacy:/d' "$f"`), VISUAL: '' } }, repo, ['edit', 'config/app.yaml']))
  commit('c2')

  // 3. bob's scope narrowed to other/** and config/**: .env.production re-encrypted without him
  // (rotated). The manifest entry is appended by the library, as teamRepo() does: this history must
  // not depend on what the team commands rotate by themselves.
  await setPaths('bob', ['other/**', 'config/**'])
  ok(run(alice, repo, ['encrypt', '.env.production']))
  commit('c3')

  // 4. C changed; y.p12 re-encrypted with new content, x.p12 with the same: bob reads none of them any more.
  ok(run(alice, repo, ['set', '.env.production', 'C'], P.C2))
  writeFileSync(join(repo, 'certs/y.p12'), P.Y2)
  for (const result of await Promise.all(['certs/x.p12', 'certs/y.p12'].map((file) => runAsync(alice, repo, ['encrypt', file])))) ok(result)
  commit('c4')

  // 5. D added after bob lost access; z.p12.age deleted; a new file bob never could read.
  ok(run(alice, repo, ['set', '.env.production', 'D'], P.D))
  git(repo, ['rm', '-q', 'certs/z.p12.age', 'certs/z.p12.age.sig'])
  writeFileSync(join(repo, '.env.later'), `LATER=${P.LATER}\n`)
  ok(run(alice, repo, ['encrypt', '.env.later']))
  commit('c5')

  // 6. E deleted.
  ok(run({ ...alice, env: { ...alice.env, EDITOR: editor(`sed -i '/^E=/d' "$f"`), VISUAL: '' } }, repo, ['edit', '.env.production']))
  commit('c6')

  // 7. alice leaves other/**; carol changes OPS_TOKEN: a version bob reads and alice cannot decrypt.
  await setPaths('alice', ['.env.*', 'config/**', 'certs/**'])
  commitAll(repo, 'alice scope')
  ok(run(carol, repo, ['set', 'other/.env.ops', 'OPS_TOKEN'], P.OPS_TOKEN2))
  commit('c7')

  // Uncommitted: db.password changed in the work tree (bob still reads config/**).
  ok(run(alice, repo, ['set', 'config/app.yaml', 'db.password'], P.YPASS2))

  report = await exposureReport({ repoRoot: repo, state: stateOf(alice), reader: readerOf(alice), member: 'bob', removed: [bob.identity.recipient] })
}, 180_000)

const fileOf = (path: string): ExposedFile | undefined => report.files.find((file) => file.path === path)
const at = (step: string) => ({ commit: c[step]!, date: dateOf(c[step]!) })
const WORK_TREE = { commit: null, date: null }

describe('exposure report', () => {
  it('lists exactly the files bob could read, with the member and keys named', () => {
    expect(report.version).toBe(1)
    expect(report.member).toBe('bob')
    expect(report.removedRecipients).toEqual([bob.identity.recipient])
    expect(report.files.map((file) => [file.path, file.kind])).toEqual([
      ['.env.production', 'values'],
      ['certs/x.p12.age', 'whole'],
      ['certs/y.p12.age', 'whole'],
      ['certs/z.p12.age', 'whole'],
      ['config/app.yaml', 'values'],
      ['other/.env.ops', 'values'],
    ])
  })

  it('dotenv: the last value bob saw, compared with the current one', () => {
    expect(fileOf('.env.production')).toEqual({
      path: '.env.production',
      kind: 'values',
      keys: [
        // A never changed; B changed while bob could read it, and the value he saw last is current.
        { key: 'A', lastReadable: at('c2'), status: 'still-current' },
        { key: 'B', lastReadable: at('c2'), status: 'still-current' },
        // C changed after bob lost access; E deleted later; D was added after: never readable, absent.
        { key: 'C', lastReadable: at('c2'), status: 'changed-since' },
        { key: 'E', lastReadable: at('c2'), status: 'deleted' },
      ],
      unreadable: [],
    })
  })

  it('whole files: re-encrypted with the same content, with new content, deleted', () => {
    // x.p12.age's bytes changed at c4 (new recipients) but not its content: decrypted and compared.
    expect(rev(`${c.c1}:certs/x.p12.age`)).not.toBe(rev('HEAD:certs/x.p12.age'))
    expect(fileOf('certs/x.p12.age')!.keys).toEqual([{ key: '(whole file)', lastReadable: at('c1'), status: 'still-current' }])
    expect(fileOf('certs/y.p12.age')!.keys).toEqual([{ key: '(whole file)', lastReadable: at('c1'), status: 'changed-since' }])
    expect(fileOf('certs/z.p12.age')!.keys).toEqual([{ key: '(whole file)', lastReadable: at('c1'), status: 'deleted' }])
    for (const path of ['certs/x.p12.age', 'certs/y.p12.age', 'certs/z.p12.age']) expect(fileOf(path)!.unreadable).toEqual([])
  })

  it('YAML: nested key names, the uncommitted work-tree version as the newest, a deleted key', () => {
    expect(fileOf('config/app.yaml')).toEqual({
      path: 'config/app.yaml',
      kind: 'values',
      keys: [
        { key: 'db.password', lastReadable: WORK_TREE, status: 'still-current' },
        { key: 'db.user', lastReadable: WORK_TREE, status: 'still-current' },
        { key: 'items[0]', lastReadable: WORK_TREE, status: 'still-current' },
        { key: 'items[1]', lastReadable: WORK_TREE, status: 'still-current' },
        { key: 'db.legacy', lastReadable: at('c1'), status: 'deleted' },
      ],
      unreadable: [],
    })
  })

  it('names the version bob could read that alice cannot decrypt, and errs on the side of changing', () => {
    expect(fileOf('other/.env.ops')).toEqual({
      path: 'other/.env.ops',
      kind: 'values',
      keys: [
        // The work tree holds the very ciphertext bob could read: still current, no decryption needed.
        { key: 'OPS_TOKEN', lastReadable: at('c7'), status: 'still-current' },
        { key: 'OPS_USER', lastReadable: at('c7'), status: 'still-current' },
      ],
      unreadable: [{ commit: c.c7!, reason: 'your key is not a recipient of this version' }],
    })
  })

  it('sums up, and states that old history stays readable', () => {
    expect(report.summary).toEqual({ mustChange: 9, alreadyChanged: 2, deleted: 3, unreadableVersions: 1 })
    expect(report.historyNote).toMatch(/^Old git history stays decryptable with the removed key: .*bob.*Only changing a secret at its provider .* protects it\.$/)
  })

  it('renders text: per file, what must change first, then what changed, what was deleted, what could not be checked', () => {
    const text = renderExposureText(report)
    expect(text).toContain(`Exposure report: what bob could read (key ${bob.identity.recipient})`)
    expect(text).toContain('9 secrets MUST be changed at their provider (bob saw the current value); 2 already changed since; 3 deleted from their files; 1 version could not be checked with your key.')
    const env = text.slice(text.indexOf('\n.env.production\n'), text.indexOf('\ncerts/x.p12.age'))
    expect(env).toMatch(/MUST change at the provider[^\n]*\n {4}A {2}last readable at [0-9a-f]{12} \(\d{4}-[^)]+\)\n {4}B {2}last readable/)
    expect(env.indexOf('MUST change')).toBeLessThan(env.indexOf('already changed'))
    expect(env.indexOf('already changed')).toBeLessThan(env.indexOf('deleted since'))
    expect(env).toContain(`    C  last readable at ${c.c2!.slice(0, 12)}`)
    expect(text).toContain('    db.password  last readable in the work tree (not committed)')
    expect(text).toContain(`    at ${c.c7!.slice(0, 12)}: your key is not a recipient of this version`)
    expect(text.trimEnd().split('\n').at(-1)).toBe(`Note: ${report.historyNote}`)
  })

  it('never holds a value: neither the JSON nor the text contains any plaintext', () => {
    const outputs = [JSON.stringify(report), renderExposureText(report)]
    for (const output of outputs) for (const [name, value] of Object.entries(PLAINTEXTS)) expect(output.includes(value), `${name} leaked`).toBe(false)
    // And the test data would have been found: the work tree holds them in decryptable form.
    expect(ok(run(alice, repo, ['get', '.env.production', 'A'])).stdout).toBe(`${PLAINTEXTS.A}\n`)
  })

  it('is empty for a member who could read nothing, and limited to the paths given', async () => {
    const stranger = person('stranger')
    const none = await exposureReport({ repoRoot: repo, state: stateOf(alice), reader: readerOf(alice), member: 'stranger', removed: [stranger.identity.recipient] })
    expect(none.files).toEqual([])
    expect(none.summary).toEqual({ mustChange: 0, alreadyChanged: 0, deleted: 0, unreadableVersions: 0 })
    expect(renderExposureText(none)).toContain('stranger could not read any encrypted file')
    const limited = await exposureReport({ repoRoot: repo, state: stateOf(alice), reader: readerOf(alice), member: 'bob', removed: [bob.identity.recipient], paths: ['certs/y.p12.age', '.env.later', 'README.md'] })
    expect(limited.files.map((file) => file.path)).toEqual(['certs/y.p12.age'])
    // carol, the remover, reads other/.env.ops everywhere: no unreadable version, and OPS_TOKEN's
    // last value bob saw (c7) is the current one.
    const byCarol = await exposureReport({ repoRoot: repo, state: stateOf(carol), reader: readerOf(carol), member: 'bob', removed: [bob.identity.recipient], paths: ['other/.env.ops'] })
    expect(byCarol.files[0]).toMatchObject({ unreadable: [], keys: [{ key: 'OPS_TOKEN', status: 'still-current' }, { key: 'OPS_USER', status: 'still-current' }] })
  })
})

describe('damaged versions', () => {
  it('names a version with a damaged value or damaged metadata, and counts what it hid as still current', async () => {
    const dave = person('dave')
    const erin = person('erin')
    const { repo: damaged } = await teamRepo(dave, [{ person: erin }])
    const state = loadTrustedTeam({ repoRoot: damaged, env: dave.env, purpose: 'read' }).state
    const key = readerOf(dave)
    const first = (await encryptValuesFile({ state, key, path: '.env.app', text: 'K1=first-Value\nK2=second-Value\n', format: 'dotenv', warn: () => {} })).text
    writeFileSync(join(damaged, '.env.app'), first)
    commitAll(damaged, 'c1')
    // One character of K2's ciphertext changed: K2 no longer authenticates, K1 still does.
    const token = /^K2=ENC\[sentra:v1,str,(.)/m.exec(first)!
    const flipped = first.replace(token[0], token[0].slice(0, -1) + (token[1] === 'A' ? 'B' : 'A'))
    writeFileSync(join(damaged, '.env.app'), flipped)
    commitAll(damaged, 'c2')
    const c2 = git(damaged, ['rev-parse', 'HEAD']).trim()
    // The signature line cut off: the metadata no longer parses, but it still names erin's key.
    writeFileSync(join(damaged, '.env.app'), flipped.replace(/#sentra:v1 sig=.*\n$/, ''))
    commitAll(damaged, 'c3')
    const c3 = git(damaged, ['rev-parse', 'HEAD']).trim()
    const result = await exposureReport({ repoRoot: damaged, state, reader: key, member: 'erin', removed: [erin.identity.recipient] })
    const date = (commit: string) => git(damaged, ['show', '-s', '--format=%cI', commit]).trim()
    expect(result.files).toEqual([
      {
        path: '.env.app',
        kind: 'values',
        keys: [
          { key: 'K1', lastReadable: { commit: c2, date: date(c2) }, status: 'still-current' },
          { key: 'K2', lastReadable: { commit: c2, date: date(c2) }, status: 'still-current' },
        ],
        unreadable: [
          { commit: c3, reason: "this version is damaged: it cannot be read as a dotenv file of sentra's (it names a removed key, so it was meant for them)" },
          { commit: c2, reason: 'value(s) K2 failed authentication in this version (changed or damaged)' },
        ],
      },
    ])
    expect(result.summary.unreadableVersions).toBe(2)
  })

  it('names keys as users write them', () => {
    expect(keyName('dotenv', [{ key: 'DB.PASSWORD' }])).toBe('DB.PASSWORD')
    expect(keyName('yaml', [{ key: 'db' }, { key: 'password' }])).toBe('db.password')
    expect(keyName('json', [{ key: 'items' }, { index: 0 }, { key: 'name' }])).toBe('items[0].name')
    expect(keyName('json', [{ key: 'a.b' }, { index: 2 }])).toBe('["a.b"][2]')
    expect(keyName('yaml', [{ key: 'hosts' }, { key: 'my host' }])).toBe('hosts["my host"]')
  })
})

describe('exposure report on a long history', () => {
  it('reads 100 commits x 3 files with a fixed number of git processes, in well under a few seconds', async () => {
    const dave = person('dave')
    const erin = person('erin')
    const { repo: long } = await teamRepo(dave, [{ person: erin }])
    const state = loadTrustedTeam({ repoRoot: long, env: dave.env, purpose: 'read' }).state
    const key = readerOf(dave)
    const paths = ['.env.one', '.env.two', '.env.three']
    const texts = new Map<string, string>()
    const warn = () => {}
    for (let round = 0; round < 100; round++) {
      for (const path of paths) {
        const previous = texts.get(path)
        // Each round one value changes in clear (the rest keep their ciphertext), then the file is re-encrypted.
        const text = previous ? previous.replace(/^K1=.*$/m, `K1=round-${round}`) : `K1=round-${round}\nK2=fixed-Value\nK3=other-Value\n`
        const result = await encryptValuesFile({ state, key, path, text, format: 'dotenv', warn, ...(previous ? { committed: previous } : {}) })
        texts.set(path, result.text)
        writeFileSync(join(long, path), result.text)
      }
      commitAll(long, `round ${round}`)
    }
    // A git on PATH that logs each start: the count must not grow with the history.
    const shim = tempDir('sentra-git-shim-')
    const log = join(shim, 'calls')
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
    writeFileSync(join(shim, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realGit}' "$@"\n`)
    chmodSync(join(shim, 'git'), 0o755)
    const path = process.env.PATH
    process.env.PATH = `${shim}:${path}`
    let result: ExposureReport
    const started = performance.now()
    try {
      result = await exposureReport({ repoRoot: long, state, reader: key, member: 'erin', removed: [erin.identity.recipient] })
    } finally {
      process.env.PATH = path
    }
    const seconds = (performance.now() - started) / 1000
    const calls = readFileSync(log, 'utf8').trim().split('\n')
    console.log(`exposure report, 100 commits x 3 files: ${seconds.toFixed(2)} s, ${calls.length} git processes`)
    expect(calls.filter((call) => call.includes('cat-file'))).toHaveLength(1)
    expect(calls.length).toBeLessThanOrEqual(10)
    expect(seconds).toBeLessThan(5)
    const head = git(long, ['rev-parse', 'HEAD']).trim()
    for (const file of result.files) {
      expect(file.keys.map((k) => [k.key, k.lastReadable.commit, k.status])).toEqual([
        ['K1', head, 'still-current'],
        ['K2', head, 'still-current'],
        ['K3', head, 'still-current'],
      ])
    }
    expect(result.files.map((file) => file.path)).toEqual(['.env.one', '.env.three', '.env.two'])
  }, 120_000)
})
