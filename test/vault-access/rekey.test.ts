import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTemp, git, writeFiles } from '../helpers/repo.js'
import { startSecretService, type SecretService } from '../helpers/secret-service.js'
import { openSealedIdentity } from '../../src/vault/keystore/passphrase-file.js'
import { AgeIdentity, parseIdentityFile } from '../../src/vault/identity.js'
import { commitAll, ok, person, run, runAsync, teamRepo, type Person } from '../vault/support.js'

/**
 * `sentra team rekey` on real repositories through the real CLI: alice (admin), bob (member) and carol
 * (service), a per-value .env and a whole file. Bob replaces his own key from each kind of origin
 * (passphrase file unlocked in the agent, SENTRA_IDENTITY_FILE); runs that die midway or whose key store
 * fails are finished by running them again; carol, who never signs, is rekeyed by alice.
 */
const unlocked: Person[] = []
afterAll(async () => {
  // An agent a failed test left running (its sandbox is about to go): stop exactly those started here.
  await Promise.all(unlocked.map((who) => runAsync(who, who.env.HOME!, ['lock'])))
  cleanupTemp()
})

const ENV_FILE = 'DB_PASSWORD=alpha-one\nAPI_TOKEN=bravo-two\n'
const WHOLE = 'whole file payload\n'
const OLD_PASS = 'old-pass-phrase'
const NEW_PASS = 'new-pass-phrase'
const BACKUP_PASS = 'backup-pass-phrase'

interface Setup {
  repo: string
  alice: Person
  bob: Person
  carol: Person
}

async function setup(): Promise<Setup> {
  const alice = person('alice')
  const bob = person('bob')
  const carol = person('carol')
  const { repo } = await teamRepo(alice, [{ person: bob }, { person: carol, role: 'service' }])
  git(repo, ['config', 'user.name', 'Test'])
  git(repo, ['config', 'user.email', 'test@example.invalid'])
  writeFiles(repo, { '.env.production': ENV_FILE, 'certs/x.p12': WHOLE, '.gitignore': 'certs/x.p12\n' })
  ok(run(alice, repo, ['encrypt', '.env.production']))
  ok(run(alice, repo, ['encrypt', 'certs/x.p12']))
  commitAll(repo, 'secrets')
  return { repo, alice, bob, carol }
}

/** `who` with their key moved into sentra's passphrase-file store (no SENTRA_IDENTITY_FILE any more). */
function withStoredKey(who: Person, repo: string): Person {
  ok(run(who, repo, ['keygen', '--keystore', 'file', '--import', who.file], `${OLD_PASS}\n`))
  return { ...who, env: { ...who.env, SENTRA_IDENTITY_FILE: '' } }
}

function unlock(who: Person, repo: string): void {
  ok(run(who, repo, ['unlock', '--for', '10m'], `${OLD_PASS}\n`))
  unlocked.push(who)
}

/** Whether `who` decrypts both files (input: the passphrase of a passphrase-file key), both decrypts at once. */
async function reads(who: Person, repo: string, input?: string): Promise<boolean[]> {
  const results = await Promise.all(['.env.production', 'certs/x.p12.age'].map((path) => runAsync(who, repo, ['decrypt', path], input)))
  return results.map((result) => result.status === 0)
}

/** reads() for several people at once. */
function readsAll(repo: string, ...who: Array<[Person, string?]>): Promise<boolean[][]> {
  return Promise.all(who.map(([person, input]) => reads(person, repo, input)))
}

function metadataCommit(repo: string, path: string): string {
  const match = /commit[":= ]+"?([A-Za-z0-9+/=]{40,})/.exec(readFileSync(join(repo, path), 'utf8'))
  if (!match) throw new Error(`no commitment in ${path}`)
  return match[1]!
}

const wholeSigner = (repo: string) => (JSON.parse(readFileSync(join(repo, 'certs/x.p12.age.sig'), 'utf8')) as { signer: string }).signer
const pendingPath = (repo: string) => join(repo, '.git/sentra/rekey-pending.json')
const keystoreRecord = (who: Person) => JSON.parse(readFileSync(join(who.env.XDG_CONFIG_HOME!, 'sentra/keystore.json'), 'utf8')) as { store: string; recipient: string; signingKey: string }
const history = (who: Person, repo: string) =>
  (JSON.parse(ok(run(who, repo, ['team', 'list', '--json', '--history'])).stdout) as { history: Array<{ description: string }> }).history.map((entry) => entry.description)

function noPrivateKey(...texts: string[]): void {
  for (const text of texts) expect(text).not.toMatch(/AGE-SECRET-KEY-1/i)
}

describe('sentra team rekey (own key)', () => {
  it('bob replaces his key (passphrase file, unlocked in the agent): every file gets a fresh DEK signed by the new key, the old key is locked out', async () => {
    const { repo, alice, bob, carol } = await setup()
    const stored = withStoredKey(bob, repo)
    unlock(stored, repo)
    expect(await reads(stored, repo)).toEqual([true, true])
    const commitBefore = metadataCommit(repo, '.env.production')
    const backup = join(stored.env.HOME!, 'old-key.age')

    // The agent holds the old key but never hands it out: the backup needs the old passphrase, then its own, then the new key file's.
    const rekey = ok(run(stored, repo, ['team', 'rekey', '--backup-old', backup, '--json'], `${OLD_PASS}\n${BACKUP_PASS}\n${NEW_PASS}\n`))
    noPrivateKey(rekey.stdout, rekey.stderr)
    const result = JSON.parse(rekey.stdout)
    const newRecipient: string = result.rekeyed.recipient
    expect(result.rekeyed).toMatchObject({ member: 'bob', old: bob.identity.recipient, by: 'self' })
    expect(newRecipient).not.toBe(bob.identity.recipient)
    expect(result.stored).toMatchObject({ kind: 'store', store: 'file' })
    expect(result.agentStopped).toBe(true)
    expect(result.files.map((file: { path: string; action: string }) => [file.path, file.action])).toEqual([
      ['.env.production', 'rotate'],
      ['certs/x.p12.age', 'rotate'],
    ])
    expect(result.files[0]).toMatchObject({ removedReaders: ['bob'], addedReaders: ['bob'] })

    // This device now holds the new key only, in the same store, and nothing waits in the git dir.
    expect(keystoreRecord(stored)).toMatchObject({ store: 'file', recipient: newRecipient, signingKey: result.rekeyed.signingKey })
    expect(existsSync(pendingPath(repo))).toBe(false)
    const whoami = JSON.parse(ok(run(stored, repo, ['whoami', '--json'])).stdout)
    expect(whoami).toMatchObject({ recipient: newRecipient, source: 'file', member: { name: 'bob', active: true } })

    // Bob decrypts with the new key (new passphrase), not with the old one; alice and carol still do.
    const [clear, old] = await Promise.all([runAsync(stored, repo, ['decrypt', '.env.production'], `${NEW_PASS}\n`), runAsync(bob, repo, ['decrypt', '.env.production'])])
    expect(ok(clear).stdout).toContain('API_TOKEN=bravo-two')
    expect(old.status).toBe(2)
    expect(old.stderr).toMatch(/is not a recipient of \.env\.production/)
    expect(await readsAll(repo, [stored, `${NEW_PASS}\n`], [bob], [alice], [carol])).toEqual([
      [true, true],
      [false, false],
      [true, true],
      [true, true],
    ])

    // Fresh data keys, signed by bob's new key; the manifest says what happened; verify is clean.
    expect(metadataCommit(repo, '.env.production')).not.toBe(commitBefore)
    expect(readFileSync(join(repo, '.env.production'), 'utf8')).toContain(`signer="${result.rekeyed.signingKey}"`)
    expect(wholeSigner(repo)).toBe(result.rekeyed.signingKey)
    expect(history(alice, repo).at(-1)).toBe(`rekey bob's device ${bob.identity.recipient} -> ${newRecipient}`)
    expect(ok(run(alice, repo, ['verify'])).status).toBe(0)
    expect(git(repo, ['diff', '--cached', '--name-only']).split('\n').filter(Boolean).sort()).toEqual(['.env.production', '.sentra/team.jsonl', 'certs/x.p12.age', 'certs/x.p12.age.sig'])

    // The backup holds the OLD key, sealed with its own passphrase, readable by its owner only.
    expect(statSync(backup).mode & 0o777).toBe(0o600)
    expect((await openSealedIdentity(new Uint8Array(readFileSync(backup)), BACKUP_PASS, backup)).recipient).toBe(bob.identity.recipient)
    // The old key can sign nothing any more, a second rekey included.
    const again = run(bob, repo, ['team', 'rekey', '--new-identity-out', join(bob.env.HOME!, 'x.key')])
    expect(again.status).toBe(2)
    expect(again.stderr).toMatch(/your key \(age1\w+\) was removed from the team: it can no longer sign/)
  })

  it('a key from SENTRA_IDENTITY_FILE needs --new-identity-out; a run killed midway is finished by running it again', async () => {
    const { repo, alice, bob, carol } = await setup()
    const out = join(bob.env.HOME!, 'keys', 'bob-new.key')
    const refused = run(bob, repo, ['team', 'rekey'])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/your key comes from SENTRA_IDENTITY_FILE, which sentra cannot change: pass --new-identity-out FILE/)

    // A change that fails before touching anything leaves nothing behind: the new key was never used.
    const sigPath = join(repo, 'certs/x.p12.age.sig')
    const sig = readFileSync(sigPath, 'utf8')
    writeFileSync(sigPath, 'damaged')
    const damaged = run(bob, repo, ['team', 'rekey', '--new-identity-out', out])
    expect(damaged.status).toBe(2)
    expect(damaged.stderr).toMatch(/cannot change access while encrypted files are damaged \(nothing was changed\)/)
    expect(existsSync(out)).toBe(false)
    expect(existsSync(pendingPath(repo))).toBe(false)
    expect(git(repo, ['status', '--porcelain', '--', '.sentra'])).toBe('')
    writeFileSync(sigPath, sig)

    // Killed after the first file was renamed into place: the new key was already safe in FILE.
    const killed = run({ ...bob, env: { ...bob.env, SENTRA_TEST_KILL_AT: 'applied:1' } }, repo, ['team', 'rekey', '--new-identity-out', out])
    expect(killed.status).toBeNull()
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const newKey = parseIdentityFile(readFileSync(out, 'utf8'), out)
    expect(existsSync(pendingPath(repo))).toBe(true)
    expect(git(repo, ['status', '--porcelain', '--', '.sentra/team.jsonl'])).toBe('')

    const finished = ok(run(bob, repo, ['team', 'rekey', '--new-identity-out', out, '--json']))
    noPrivateKey(finished.stdout, finished.stderr)
    expect(finished.stderr).toMatch(/finishing the interrupted rekey/)
    expect(finished.stderr).toMatch(/completed the interrupted `sentra team rekey`/)
    const result = JSON.parse(finished.stdout)
    expect(result).toMatchObject({ rekeyed: { recipient: newKey.recipient }, stored: { kind: 'env', variable: 'SENTRA_IDENTITY_FILE', path: out }, resumed: true })
    expect(existsSync(pendingPath(repo))).toBe(false)

    const newBob: Person = { ...bob, identity: newKey, file: out, env: { ...bob.env, SENTRA_IDENTITY_FILE: out } }
    expect(await readsAll(repo, [newBob], [bob], [alice], [carol])).toEqual([
      [true, true],
      [false, false],
      [true, true],
      [true, true],
    ])
    expect(JSON.parse(ok(run(carol, repo, ['verify', '--json'])).stdout).problems).toEqual([])

    // FILE is never overwritten: a next rekey must name a new file, and nothing changes before that check.
    const manifest = readFileSync(join(repo, '.sentra/team.jsonl'), 'utf8')
    const overwrite = run(newBob, repo, ['team', 'rekey', '--new-identity-out', out])
    expect(overwrite.status).toBe(2)
    expect(overwrite.stderr).toMatch(/bob-new\.key already exists: sentra never overwrites a key file/)
    expect(readFileSync(out, 'utf8')).toContain(newKey.revealSecret())
    expect(readFileSync(join(repo, '.sentra/team.jsonl'), 'utf8')).toBe(manifest)
    expect(existsSync(pendingPath(repo))).toBe(false)

    // --new-identity: a given age key becomes the new key; a removed key never comes back.
    const out2 = join(bob.env.HOME!, 'keys', 'bob-third.key')
    const reused = run(newBob, repo, ['team', 'rekey', '--new-identity', bob.file, '--new-identity-out', out2])
    expect(reused.status).toBe(2)
    expect(reused.stderr).toMatch(/the new key age1\w+ already belongs to bob \(removed\): a key is never reused/)
    const given = person('bob')
    const third = JSON.parse(ok(run(newBob, repo, ['team', 'rekey', '--new-identity', given.file, '--new-identity-out', out2, '--json'])).stdout)
    expect(third.rekeyed).toMatchObject({ old: newKey.recipient, recipient: given.identity.recipient })
    expect(parseIdentityFile(readFileSync(out2, 'utf8'), out2).recipient).toBe(given.identity.recipient)
    expect(await reads(given, repo)).toEqual([true, true])
  })

  it('when storing the new key fails after the team changed, it waits in the git dir and the next run stores it', async () => {
    const { repo, alice, bob } = await setup()
    const stored = withStoredKey(bob, repo)
    unlock(stored, repo)
    // The key file's place is taken by a directory: writing the new key there fails (even as root).
    const keyFile = join(stored.env.XDG_CONFIG_HOME!, 'sentra/identity.age')
    renameSync(keyFile, `${keyFile}.saved`)
    mkdirSync(keyFile)
    const failed = run(stored, repo, ['team', 'rekey'], `${NEW_PASS}\n`)
    expect(failed.status).toBe(2)
    expect(failed.stderr).toMatch(/the team now uses your new key age1\w+, but storing it failed: .*It is kept in .*rekey-pending\.json, encrypted to your old key: fix the store and run `sentra team rekey` again to finish/)
    noPrivateKey(failed.stdout, failed.stderr)
    expect(existsSync(pendingPath(repo))).toBe(true)
    expect(keystoreRecord(stored).recipient).toBe(bob.identity.recipient)
    const pendingRecipient = (JSON.parse(readFileSync(pendingPath(repo), 'utf8')) as { recipient: string }).recipient
    expect(history(alice, repo).at(-1)).toBe(`rekey bob's device ${bob.identity.recipient} -> ${pendingRecipient}`)
    expect(readFileSync(pendingPath(repo), 'utf8')).not.toMatch(/AGE-SECRET-KEY/)

    rmSync(keyFile, { recursive: true })
    renameSync(`${keyFile}.saved`, keyFile)
    const finished = ok(run(stored, repo, ['team', 'rekey'], `${NEW_PASS}\n`))
    expect(finished.stderr).toMatch(/the team change of the interrupted rekey was already made; storing the new key/)
    expect(finished.stdout).toMatch(/Your new key is stored in .*identity\.age; the old one is no longer on this device/)
    expect(finished.stdout).toMatch(/Stopped the agent holding the old key/)
    expect(keystoreRecord(stored).recipient).toBe(pendingRecipient)
    expect(existsSync(pendingPath(repo))).toBe(false)
    expect(await reads(stored, repo, `${NEW_PASS}\n`)).toEqual([true, true])
    expect(ok(run(alice, repo, ['verify'])).status).toBe(0)
  })
})

describe('sentra team rekey in the OS credential store', () => {
  let service: SecretService | undefined
  afterAll(async () => service?.stop())

  it('replaces the key where it was: the Secret Service holds the new key only', async () => {
    const { repo, alice, bob } = await setup()
    service = await startSecretService(bob.env.HOME!)
    const inKeyring: Person = { ...bob, env: { ...bob.env, SENTRA_IDENTITY_FILE: '', DBUS_SESSION_BUS_ADDRESS: service.env.DBUS_SESSION_BUS_ADDRESS, XDG_DATA_HOME: service.env.XDG_DATA_HOME } }
    ok(run(inKeyring, repo, ['keygen', '--import', bob.file]))
    const lookup = () => spawnSync('secret-tool', ['lookup', 'service', 'sentra', 'username', 'identity'], { env: service!.env, encoding: 'utf8' }).stdout.trim()
    expect(AgeIdentity.parse(lookup()).recipient).toBe(bob.identity.recipient)

    const rekey = ok(run(inKeyring, repo, ['team', 'rekey', '--json']))
    noPrivateKey(rekey.stdout, rekey.stderr)
    const result = JSON.parse(rekey.stdout)
    expect(result.stored).toEqual({ kind: 'store', store: 'keyring', location: 'the OS credential store' })
    expect(AgeIdentity.parse(lookup()).recipient).toBe(result.rekeyed.recipient)
    expect(keystoreRecord(inKeyring)).toMatchObject({ store: 'keyring', recipient: result.rekeyed.recipient })
    expect(existsSync(join(inKeyring.env.XDG_CONFIG_HOME!, 'sentra/identity.age'))).toBe(false)
    expect(await readsAll(repo, [inKeyring], [bob], [alice])).toEqual([
      [true, true],
      [false, false],
      [true, true],
    ])
  })
})

describe('sentra team rekey NAME (admin)', () => {
  it('refuses a service member rekeying themselves; alice rekeys carol after carol lost her key', async () => {
    const { repo, alice, bob, carol } = await setup()
    const out = join(carol.env.HOME!, 'carol-new.key')
    const self = run(carol, repo, ['team', 'rekey', '--new-identity-out', out])
    expect(self.status).toBe(2)
    expect(self.stderr).toMatch(/carol is a service member, and service members never sign manifest entries: make a request with the new key .*sentra team rekey carol/)
    expect(existsSync(out)).toBe(false)
    expect(existsSync(pendingPath(repo))).toBe(false)

    // Carol's new key asks for access under her name; a member cannot approve it as a rekey, an admin can.
    const newCarol = person('carol')
    ok(run(newCarol, repo, ['team', 'request-access', 'carol']))
    const byMember = run(bob, repo, ['team', 'rekey', 'carol'])
    expect(byMember.status).toBe(2)
    expect(byMember.stderr).toMatch(/only an admin rekeys another member/)
    expect(run(alice, repo, ['team', 'rekey', 'carol', '--backup-old', 'x']).stderr).toMatch(/--backup-old is for rekeying your own key \(no NAME\)/)

    const commitBefore = metadataCommit(repo, '.env.production')
    const rekeyed = JSON.parse(ok(run(alice, repo, ['team', 'rekey', 'carol', '--json', '--commit'])).stdout)
    expect(rekeyed.rekeyed).toEqual({ member: 'carol', old: carol.identity.recipient, recipient: newCarol.identity.recipient, signingKey: newCarol.identity.signingPublicKey, by: 'admin' })
    expect(rekeyed.files.map((file: { action: string }) => file.action)).toEqual(['rotate', 'rotate'])
    expect(rekeyed.committed).toMatch(/^[0-9a-f]{40}$/)
    expect(git(repo, ['status', '--porcelain'])).toBe('')
    expect(git(repo, ['ls-files', '.sentra/requests'])).toBe('')

    expect(await readsAll(repo, [newCarol], [carol], [alice], [bob])).toEqual([
      [true, true],
      [false, false],
      [true, true],
      [true, true],
    ])
    expect(metadataCommit(repo, '.env.production')).not.toBe(commitBefore)
    expect(wholeSigner(repo)).toBe(alice.identity.signingPublicKey)
    const team = JSON.parse(ok(run(alice, repo, ['team', 'list', '--json'])).stdout) as { members: Array<{ name: string; role: string; devices: Array<{ recipient: string }> }> }
    expect(team.members.find((member) => member.name === 'carol')).toMatchObject({
      role: 'service',
      devices: [
        { recipient: carol.identity.recipient, removed: true },
        { recipient: newCarol.identity.recipient, removed: false },
      ],
    })
    expect(ok(run(newCarol, repo, ['verify'])).status).toBe(0)
  })

  it('asks which device when the member has several, and teaches in --help', async () => {
    const { repo, alice, bob } = await setup()
    const laptop = person('bob')
    ok(run(laptop, repo, ['team', 'request-access', 'bob']))
    ok(run(alice, repo, ['team', 'add', 'bob', '--device']))
    const replacement = person('bob')
    ok(run(replacement, repo, ['team', 'request-access', 'bob']))
    const which = run(alice, repo, ['team', 'rekey', 'bob'])
    expect(which.status).toBe(2)
    expect(which.stderr).toMatch(/bob has 2 devices \(age1\w+, age1\w+\): choose the one to replace with --device age1…/)
    ok(run(alice, repo, ['team', 'rekey', 'bob', '--device', laptop.identity.recipient]))
    expect(await readsAll(repo, [laptop], [bob], [replacement])).toEqual([
      [false, false],
      [true, true],
      [true, true],
    ])

    const help = ok(run(alice, repo, ['team', 'rekey', '--help'])).stdout
    expect(help).toMatch(/EXAMPLES/)
    expect(help).toMatch(/old git history stays\s+decryptable ONLY with the old key/)
    expect(help).toMatch(/--new-identity-out/)
  })
})
