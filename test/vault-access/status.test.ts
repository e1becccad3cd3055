import { execFileSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, git, tempDir, tempRepo, writeFiles } from '../helpers/repo.js'
import { canonicalJson, utf8 } from '../../src/vault/encoding.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { loadTrustedTeam } from '../../src/vault/manifest/trust.js'
import { recipientsForPath } from '../../src/vault/manifest/state.js'
import { createRequest, writeRequestFile } from '../../src/vault/requests.js'
import { SIGNATURE_LABELS, signatureToText } from '../../src/vault/signing.js'
import type { StatusReport } from '../../src/vault/status.js'
import { appendOperation } from '../../src/vault/team.js'
import { readValuesFile, rewrapValues, unwrapDek } from '../../src/vault/values/values-file.js'
import type { FileSignature } from '../../src/vault/whole-file.js'
import { commitAll, ok, person, run, runAsync, sandbox, teamRepo, type Person, type Sandbox } from '../vault/support.js'

/**
 * `sentra status` on real repositories: files encrypted with the real CLI, team changes made through
 * the manifest library where a test needs a state the commands would never leave (a member removed
 * without rotation, a file re-wrapped without a fresh data key).
 */
afterAll(cleanupTemp)

let alice: Person
let bob: Person
let carol: Person
/** Someone with no identity at all: status needs only public data. */
let nobody: Sandbox

const ENV = 'DB_PASSWORD=status-Test-pass-1\nAPI_KEY=status-Test-key-2\n'

beforeAll(() => {
  alice = person('alice')
  bob = person('bob')
  carol = person('carol')
  nobody = sandbox()
})

const aliceKey = () => new LocalKey(alice.identity, 'env-file')

async function op(repo: string, build: Parameters<typeof appendOperation>[1]): Promise<void> {
  await appendOperation({ repoRoot: repo, env: alice.env, signer: aliceKey() }, build)
}

/** alice (admin) and bob; `.env.*` managed as dotenv; .env.production and certs/x.p12.age encrypted by alice and committed. */
async function setup(): Promise<{ repo: string; root: string }> {
  const { repo, root } = await teamRepo(alice, [{ person: bob }])
  await op(repo, () => ({ type: 'manage', glob: '.env.*', format: 'dotenv', plainKeys: [] }))
  writeFiles(repo, { '.env.production': ENV, 'certs/x.p12': Buffer.from([0, 1, 2, 3, 250, 251]), '.gitignore': 'certs/*.p12\n' })
  const results = await Promise.all([runAsync(alice, repo, ['encrypt', '.env.production']), runAsync(alice, repo, ['encrypt', 'certs/x.p12'])])
  results.forEach(ok)
  commitAll(repo, 'encrypted')
  return { repo, root }
}

function status(who: Person | Sandbox, repo: string, args: string[] = []): { report: StatusReport; exit: number | null } {
  const result = run(who, repo, ['status', '--json', '--exit-code', ...args])
  if ((result.status !== 0 && result.status !== 1) || !result.stdout.startsWith('{')) throw new Error(`status exited ${result.status}: ${result.stderr}`)
  return { report: JSON.parse(result.stdout) as StatusReport, exit: result.status }
}

const names = (keys: Array<{ name: string | null }>) => keys.map((key) => key.name)
const head = (repo: string) => git(repo, ['rev-parse', 'HEAD']).trim()

describe('status', () => {
  it('shows a clean team as nothing to do, for someone with no identity at all', async () => {
    const { repo, root } = await setup()
    const { report, exit } = status(nobody, repo)
    expect(exit).toBe(0)
    expect(report).toMatchObject({ version: 1, team: { name: 'test', root, members: 2, recovery: null }, clear: [], drift: [], notRotated: [], removedKeys: [], requests: [], pendingChange: null, attention: 0 })
    expect(report.team.head).toMatch(/^[0-9a-f]{64}$/)
    expect(report.files.map((file) => [file.path, file.kind, file.format, names(file.recipients).sort(), file.signer?.name, file.tracked, file.problems])).toEqual([
      ['.env.production', 'values', 'dotenv', ['alice', 'bob'], 'alice', true, []],
      ['certs/x.p12.age', 'whole', 'binary', ['alice', 'bob'], 'alice', true, []],
    ])
    expect(report.files[0]!.recipients.find((key) => key.name === 'bob')).toEqual({ key: bob.identity.recipient, name: 'bob', removed: false })
    // No key was ever removed: there is no history to look at.
    expect(report.history).toEqual({ commits: 0, versions: 0, shallow: false, missingBlobs: 0 })
    const text = ok(run(nobody, repo, ['status']))
    expect(text.stdout).toMatch(/^Team "test" {2}root [0-9a-f]{16}… {2}head [0-9a-f]{16}… \(\d+ manifest entries\)\n {2}2 member\(s\); recovery recipient: none\n/)
    expect(text.stdout).toMatch(/\.env\.production {2}dotenv {2}to: alice, bob {2}signed by: alice/)
    expect(text.stdout).toMatch(/certs\/x\.p12\.age {2}whole file {2}to: alice, bob {2}signed by: alice/)
    expect(text.stdout).toMatch(/Nothing to do/)
    // No value and no wrapped key material in either output.
    for (const output of [text.stdout, JSON.stringify(report)]) {
      expect(output).not.toContain('status-Test-pass-1')
      expect(output).not.toContain('AGE ENCRYPTED')
    }
  })

  it('reports drift after a member is added without re-encrypting, and the recovery recipient', async () => {
    const { repo } = await setup()
    const recovery = AgeIdentity.generate().recipient
    const request = await createRequest(new LocalKey(carol.identity, 'env-file'), 'carol', loadTrustedTeam({ repoRoot: repo, purpose: 'read' }).state.root)
    await op(repo, () => ({ type: 'add-member', name: 'carol', role: 'member', paths: null, request }))
    await op(repo, () => ({ type: 'set-recovery', recipient: recovery }))
    const { report, exit } = status(nobody, repo)
    expect(exit).toBe(1)
    expect(report.team).toMatchObject({ members: 3, recovery })
    // Per-value files get the data key re-wrapped for the newcomers; age has no re-wrap, so a whole file is re-encrypted.
    expect(report.drift.map((item) => [item.path, names(item.missing).sort(), item.extra, item.fix])).toEqual([
      ['.env.production', ['carol', 'recovery'], [], 'sentra encrypt .env.production'],
      ['certs/x.p12.age', ['carol', 'recovery'], [], 'sentra rotate certs/x.p12.age'],
    ])
    expect(report.drift[0]!.missing).toContainEqual({ key: carol.identity.recipient, name: 'carol', removed: false })
    expect(report.attention).toBe(2)
    const text = run(nobody, repo, ['status', '--exit-code'])
    expect(text.status).toBe(1)
    expect(text.stdout).toContain(`recovery recipient: ${recovery}`)
    expect(text.stdout).toMatch(/Recipients out of date \(drift against the manifest\):\n {2}\.env\.production: not encrypted to (carol, recovery|recovery, carol) {2}-> sentra encrypt \.env\.production\n/)
    expect(text.stdout).toMatch(/2 item\(s\) need attention/)
    // The fix it names works: re-encrypting re-wraps the data key for carol and the recovery key.
    ok(run(alice, repo, ['encrypt', '.env.production']))
    expect(status(nobody, repo).report.drift.map((item) => item.path)).toEqual(['certs/x.p12.age'])
  })

  it('lists a removed member whose key is still listed as not rotated and present, and a file they signed', async () => {
    const { repo } = await setup()
    ok(run(bob, repo, ['set', '.env.production', 'API_KEY'], 'status-Test-key-3\n'))
    commitAll(repo, 'bob changes a value')
    await op(repo, () => ({ type: 'remove-member', name: 'bob' }))
    const { report, exit } = status(nobody, repo)
    expect(exit).toBe(1)
    const bobKey = { key: bob.identity.recipient, name: 'bob', removed: true }
    expect(report.notRotated).toEqual([
      { path: '.env.production', kind: 'values', reason: 'still-listed', removedKeys: [bobKey], commit: null, fix: 'sentra rotate .env.production' },
      { path: 'certs/x.p12.age', kind: 'whole', reason: 'still-listed', removedKeys: [bobKey], commit: null, fix: 'sentra rotate certs/x.p12.age' },
    ])
    expect(report.removedKeys).toEqual([{ ...bobKey, files: ['.env.production', 'certs/x.p12.age'], requests: [] }])
    // A removed key is not drift too: it is reported once, where its fix is.
    expect(report.drift).toEqual([])
    const env = report.files.find((file) => file.path === '.env.production')!
    expect(env.signer).toEqual({ key: bob.identity.signingPublicKey, name: 'bob' })
    expect(env.problems).toEqual([expect.stringMatching(/signed by a key that may not write it: bob's key was removed/)])
    // Access changes never re-sign what nobody vouches for: a member checks the content and signs it.
    expect(env.fix).toBe('sentra decrypt .env.production --allow-unsigned to check its content, then sentra encrypt .env.production --allow-unsigned')
    const text = run(nobody, repo, ['status']).stdout
    expect(text).toMatch(/Not rotated since a key was removed:\n {2}\.env\.production: still encrypted to bob's removed key age1[0-9a-z]{8}… {2}-> sentra rotate \.env\.production\n/)
    expect(text).toMatch(/Removed keys still present:\n {2}bob's removed key age1[0-9a-z]{8}…: in \.env\.production, certs\/x\.p12\.age\n/)
    // The fixes it names leave nothing to do.
    ok(run(alice, repo, ['encrypt', '.env.production', '--allow-unsigned']))
    ok(run(alice, repo, ['rotate', 'certs/x.p12.age']))
    const after = status(nobody, repo)
    expect(after.report).toMatchObject({ notRotated: [], removedKeys: [], drift: [], attention: 0 })
    expect(after.exit).toBe(0)
  })

  it('finds a file re-wrapped without a fresh data key through the history, per-value and whole', async () => {
    const { repo } = await setup()
    const exposed = head(repo)
    await op(repo, () => ({ type: 'remove-member', name: 'bob' }))
    commitAll(repo, 'remove bob')
    const state = loadTrustedTeam({ repoRoot: repo, purpose: 'read' }).state
    // Per-value: the same DEK wrapped for alice only (bob's entry dropped), re-signed.
    const envPath = join(repo, '.env.production')
    const file = readValuesFile(readFileSync(envPath, 'utf8'), 'dotenv')
    const dek = await unwrapDek(file.meta!, aliceKey(), '.env.production')
    writeFileSync(envPath, await rewrapValues(file, dek, { path: '.env.production', signer: aliceKey(), recipients: recipientsForPath(state, '.env.production').all }))
    // Whole file: the same ciphertext (so the same file key), its signature re-made without bob.
    const sigPath = join(repo, 'certs/x.p12.age.sig')
    const { sig: _sig, ...body } = JSON.parse(readFileSync(sigPath, 'utf8')) as FileSignature
    const unsigned = { ...body, recipients: [alice.identity.recipient] }
    const sig = signatureToText(await aliceKey().sign(SIGNATURE_LABELS.file, utf8(canonicalJson(unsigned))))
    writeFileSync(sigPath, `${JSON.stringify({ ...unsigned, sig }, null, 2)}\n`)
    commitAll(repo, 're-wrapped without rotation')
    // Both pass the public checks: only the history shows what bob could read.
    ok(run(nobody, repo, ['verify']))
    const { report, exit } = status(nobody, repo)
    expect(exit).toBe(1)
    const bobKey = { key: bob.identity.recipient, name: 'bob', removed: true }
    expect(report.notRotated).toEqual([
      { path: '.env.production', kind: 'values', reason: 'same-data-key', removedKeys: [bobKey], commit: exposed, fix: 'sentra rotate .env.production' },
      { path: 'certs/x.p12.age', kind: 'whole', reason: 'same-data-key', removedKeys: [bobKey], commit: exposed, fix: 'sentra rotate certs/x.p12.age' },
    ])
    expect(report.removedKeys).toEqual([])
    expect(report.drift).toEqual([])
    expect(report.history).toMatchObject({ commits: 2, versions: 4 })
    expect(run(nobody, repo, ['status']).stdout).toContain(
      `.env.production: re-wrapped without a fresh data key: bob's removed key ${bob.identity.recipient.slice(0, 12)}… could unwrap this very key at commit ${exposed.slice(0, 12)}  -> sentra rotate .env.production`,
    )
    // Rotated: fresh keys, so the old versions no longer match.
    ok(run(alice, repo, ['rotate']))
    commitAll(repo, 'rotate')
    expect(status(nobody, repo)).toMatchObject({ exit: 0, report: { notRotated: [], attention: 0, history: { commits: 3, versions: 6 } } })
  })

  it('walks the history with one git log and one git cat-file process', async () => {
    const { repo } = await setup()
    for (let i = 0; i < 3; i++) {
      ok(run(alice, repo, ['set', '.env.production', 'API_KEY'], `status-Test-key-${i}\n`))
      commitAll(repo, `change ${i}`)
    }
    // A removed key (carol's, never in a file) makes the history worth reading; nothing matches.
    const request = await createRequest(new LocalKey(carol.identity, 'env-file'), 'carol', loadTrustedTeam({ repoRoot: repo, purpose: 'read' }).state.root)
    await op(repo, () => ({ type: 'add-member', name: 'carol', role: 'member', paths: null, request }))
    await op(repo, () => ({ type: 'remove-member', name: 'carol' }))
    const bin = tempDir('sentra-git-wrap-')
    const calls = join(bin, 'calls')
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$*" >> ${JSON.stringify(calls)}\nexec ${JSON.stringify(realGit)} "$@"\n`)
    chmodSync(join(bin, 'git'), 0o755)
    const wrapped = { ...nobody, env: { ...nobody.env, PATH: `${bin}:${process.env.PATH}` } }
    const { report } = status(wrapped, repo)
    expect(report).toMatchObject({ notRotated: [], removedKeys: [], attention: 0 })
    expect(report.history).toMatchObject({ commits: 4, versions: 5 })
    const log = readFileSync(calls, 'utf8').split('\n').filter(Boolean)
    expect(log.filter((line) => / log HEAD /.test(line))).toHaveLength(1)
    expect(log.filter((line) => / cat-file --batch$/.test(line))).toHaveLength(1)
  })

  it('shows access requests, valid and invalid, and a removed key in a request', async () => {
    const { repo, root } = await setup()
    const dave = person('dave')
    ok(run(dave, repo, ['team', 'request-access', 'dave']))
    let { report, exit } = status(nobody, repo)
    // A valid request waits for an admin: shown, but nothing is wrong.
    expect(exit).toBe(0)
    expect(report.requests).toEqual([{ file: '.sentra/requests/dave.json', name: 'dave', key: dave.identity.recipient, valid: true, device: false, problem: null, fix: 'sentra team add dave' }])
    expect(run(nobody, repo, ['status']).stdout).toContain('Access requests:\n  dave (.sentra/requests/dave.json)  -> sentra team add dave\n')
    // An edited request, a second device for alice, and bob's key back after his removal.
    const eve = person('eve')
    ok(run(eve, repo, ['team', 'request-access', 'eve']))
    const evePath = join(repo, '.sentra/requests/eve.json')
    writeFileSync(evePath, readFileSync(evePath, 'utf8').replace(eve.identity.recipient, AgeIdentity.generate().recipient))
    writeRequestFile(repo, await createRequest(new LocalKey(AgeIdentity.generate(), 'env-file'), 'alice', root))
    await op(repo, () => ({ type: 'remove-member', name: 'bob' }))
    writeRequestFile(repo, await createRequest(new LocalKey(bob.identity, 'env-file'), 'bobby', root))
    ;({ report, exit } = status(nobody, repo))
    expect(exit).toBe(1)
    expect(report.requests.map((request) => [request.file, request.valid, request.device, request.problem, request.fix])).toEqual([
      ['.sentra/requests/alice.json', true, true, null, 'sentra team add alice --device'],
      ['.sentra/requests/bobby.json', false, false, "its key is bob's removed key: a removed key cannot rejoin", 'delete it (git rm .sentra/requests/bobby.json) and ask bobby to run `sentra team request-access bobby` again'],
      ['.sentra/requests/dave.json', true, false, null, 'sentra team add dave'],
      ['.sentra/requests/eve.json', false, false, expect.stringMatching(/the self-signature does not verify/), 'delete it (git rm .sentra/requests/eve.json)'],
    ])
    expect(report.removedKeys).toEqual([
      { key: bob.identity.recipient, name: 'bob', removed: true, files: ['.env.production', 'certs/x.p12.age'], requests: ['.sentra/requests/bobby.json'] },
    ])
    expect(run(nobody, repo, ['status']).stdout).toMatch(/ {2}\.sentra\/requests\/eve\.json: invalid: .*the self-signature does not verify.* {2}-> delete it \(git rm \.sentra\/requests\/eve\.json\)\n/)
  })

  it('shows a managed path committed in clear', async () => {
    const { repo } = await setup()
    writeFiles(repo, { '.env.staging': 'TOKEN=status-Test-clear-4\n', 'notes.env.txt': 'not managed\n' })
    commitAll(repo, 'oops')
    const { report, exit } = status(nobody, repo)
    expect(exit).toBe(1)
    expect(report.clear).toEqual([{ path: '.env.staging', format: 'dotenv', fix: 'sentra encrypt .env.staging' }])
    expect(run(nobody, repo, ['status']).stdout).toContain('Managed paths committed in clear:\n  .env.staging  -> sentra encrypt .env.staging\n')
  })

  it('reports an interrupted access change', async () => {
    const { repo } = await setup()
    const killed = run({ ...alice, env: { ...alice.env, SENTRA_TEST_KILL_AT: 'staged:1' } }, repo, ['rotate'])
    expect(killed.status).not.toBe(0)
    const { report, exit } = status(nobody, repo)
    expect(exit).toBe(1)
    expect(report.pendingChange).toMatchObject({ command: 'sentra rotate', phase: 'staging', fix: 're-run `sentra rotate`' })
    expect(run(nobody, repo, ['status']).stdout).toContain('Interrupted access change:\n  an interrupted `sentra rotate` is pending: re-run it\n')
    ok(run(alice, repo, ['rotate']))
    expect(status(nobody, repo).report.pendingChange).toBeNull()
  })

  it('takes the team root from --root in CI, and fails with exit 2 on errors', async () => {
    const { repo, root } = await setup()
    const ci = sandbox({ CI: 'true' })
    // A fresh clone in CI trusts no manifest on first use.
    const clone = tempDir('sentra-clone-')
    git(clone, ['clone', '-q', repo, 'c'])
    const cloned = join(clone, 'c')
    const refused = run(ci, cloned, ['status'])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/sentra: error: CI=true and no team root is pinned/)
    expect(status(ci, cloned, ['--root', root]).exit).toBe(0)
    const wrong = run(ci, cloned, ['status', '--root', 'f'.repeat(64)])
    expect(wrong.status).toBe(2)
    expect(wrong.stderr).toMatch(/different team's manifest/)
    const noTeam = run(nobody, tempRepo(), ['status'])
    expect(noTeam.status).toBe(2)
    expect(noTeam.stderr).toMatch(/no team manifest .* an admin runs `sentra team init`/)
    expect(run(nobody, tempDir(), ['status']).status).toBe(2)
  })

  it('teaches in --help', () => {
    const help = ok(run(nobody, tempDir(), ['status', '--help'])).stdout
    expect(help).toMatch(/EXAMPLES/)
    expect(help).toMatch(/--exit-code/)
    expect(help).toMatch(/version 1/)
  })
})
