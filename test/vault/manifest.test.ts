import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { cleanupTemp, tempRepo } from '../helpers/repo.js'
import { canonicalJson } from '../../src/vault/encoding.js'
import { ManifestError } from '../../src/vault/errors.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { chainFromText } from '../../src/vault/manifest/chain.js'
import { MANIFEST_PATH, entryLine, lineHash, signEntry, type Entry, type Operation } from '../../src/vault/manifest/entry.js'
import { canWritePath, policyForPath, recipientsForPath } from '../../src/vault/manifest/state.js'
import { createRequest } from '../../src/vault/requests.js'
import { appendOperation, initTeam } from '../../src/vault/team.js'

afterAll(cleanupTemp)

const env: NodeJS.ProcessEnv = { CI: '', SENTRA_TEAM_ROOT: '' }
const key = (identity = AgeIdentity.generate()) => new LocalKey(identity, 'env')

let repo: string
let alice: LocalKey
let bob: LocalKey
let carol: LocalKey
let root: string

function manifestText(): string {
  return readFileSync(join(repo, MANIFEST_PATH), 'utf8')
}

function lines(): string[] {
  return manifestText().split('\n').filter(Boolean)
}

function writeLines(list: string[]): void {
  writeFileSync(join(repo, MANIFEST_PATH), `${list.join('\n')}\n`)
}

/** Appends an entry signed by anyone, bypassing the checks `appendOperation` makes before writing. */
async function appendRaw(signer: LocalKey, op: Operation): Promise<void> {
  const existing = lines()
  const last = existing.at(-1)!
  const entry = await signEntry({ v: 1, seq: existing.length, prev: lineHash(last), time: new Date().toISOString(), by: signer.signingKey, op }, signer)
  writeLines([...existing, entryLine(entry)])
}

function replayError(text = manifestText()): ManifestError {
  try {
    chainFromText(text, MANIFEST_PATH)
  } catch (error) {
    if (error instanceof ManifestError) return error
    throw error
  }
  throw new Error('the manifest was accepted')
}

async function addMember(signer: LocalKey, who: LocalKey, name: string, role: 'admin' | 'member' | 'service' = 'member', paths: string[] | null = null) {
  const request = await createRequest(who, name, root)
  return appendOperation({ repoRoot: repo, env, signer }, () => ({ type: 'add-member', name, role, paths, request }))
}

beforeEach(async () => {
  repo = tempRepo()
  alice = key()
  bob = key()
  carol = key()
  root = (await initTeam({ repoRoot: repo, signer: alice, name: 'alice', team: 'test' })).state.root
  await addMember(alice, bob, 'bob')
  await addMember(alice, carol, 'carol', 'member', ['staging/**'])
})

describe('team manifest replay', () => {
  it('replays members, roles, scopes and the vault policy', async () => {
    await appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'manage', glob: 'certs/**', format: 'binary', plainKeys: [] }))
    const state = chainFromText(manifestText(), MANIFEST_PATH).state
    expect(state.root).toBe(root)
    expect(state.entries).toHaveLength(4)
    expect([...state.members.keys()]).toEqual(['alice', 'bob', 'carol'])
    expect(recipientsForPath(state, 'staging/db.age').all).toEqual([alice.recipient, bob.recipient, carol.recipient].sort())
    expect(recipientsForPath(state, 'prod/db.age').all).toEqual([alice.recipient, bob.recipient].sort())
    expect(canWritePath(state, carol.signingKey, 'prod/db.age')).toMatchObject({ ok: false, reason: expect.stringContaining('may not write prod/db.age') })
    expect(policyForPath(state, 'certs/a/b.p12')).toEqual({ glob: 'certs/**', format: 'binary', plainKeys: [] })
  })

  it('refuses a tampered entry: its signature no longer verifies', () => {
    const list = lines()
    const entry = JSON.parse(list[1]!) as Entry
    ;(entry.op as { role: string }).role = 'admin'
    list[1] = canonicalJson(entry)
    writeLines(list)
    const error = replayError()
    expect(error.reason).toBe('signature')
    expect(error.message).toMatch(/line 2: the signature of entry #1 does not verify: the entry was modified after it was signed/)
  })

  it('refuses an entry re-signed by an admin in place of the original: the next entry no longer links to it', async () => {
    const list = lines()
    const entry = JSON.parse(list[1]!) as Entry
    ;(entry.op as { role: string }).role = 'admin'
    const { sig: _sig, ...unsigned } = entry
    list[1] = entryLine(await signEntry(unsigned, alice))
    writeLines(list)
    const error = replayError()
    expect(error.reason).toBe('prev-hash')
    expect(error.message).toMatch(/line 3: entry #2 does not link to entry #1 \(prev hash differs\)/)
  })

  it('refuses reordered entries', () => {
    const list = lines()
    writeLines([list[0]!, list[2]!, list[1]!])
    const error = replayError()
    expect(error.reason).toBe('reordered')
    expect(error.message).toMatch(/line 2: entry #2 comes before entry #1 \(line 3\): the entries were reordered/)
  })

  it('refuses a manifest with an entry cut out of the middle', () => {
    const list = lines()
    writeLines([list[0]!, list[2]!])
    const error = replayError()
    expect(error.reason).toBe('missing-entry')
    expect(error.message).toMatch(/line 2: entry #1 is missing \(found #2\): entries were cut out of the middle/)
  })

  it('refuses a file cut off in the middle of an entry', () => {
    const text = manifestText()
    const error = replayError(text.slice(0, text.length - 40))
    expect(error.reason).toBe('truncated')
    expect(error.message).toMatch(/line 3 is cut off mid-entry: the file was truncated/)
    expect(replayError(text.slice(0, -1)).reason).toBe('truncated')
  })

  it('refuses an entry signed by a member who is not an admin', async () => {
    await appendRaw(bob, { type: 'set-role', name: 'bob', role: 'admin' })
    const error = replayError()
    expect(error.reason).toBe('not-admin')
    expect(error.message).toMatch(/line 4: entry #3 is signed by bob, a member, not an admin at that point/)
  })

  it('refuses an entry signed by a stranger, and one signed by an admin after their removal', async () => {
    await appendRaw(key(), { type: 'set-role', name: 'bob', role: 'admin' })
    expect(replayError()).toMatchObject({ reason: 'unknown-signer', message: expect.stringMatching(/line 4: entry #3 is signed by a key that belongs to no team member/) })
    writeLines(lines().slice(0, 3))
    await appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'set-role', name: 'bob', role: 'admin' }))
    await appendOperation({ repoRoot: repo, env, signer: bob }, () => ({ type: 'remove-member', name: 'alice' }))
    await appendRaw(alice, { type: 'set-role', name: 'carol', role: 'admin' })
    expect(replayError()).toMatchObject({ reason: 'unknown-signer', message: expect.stringMatching(/line 6: entry #5 is signed by alice, whose key was removed before it/) })
  })

  it('explains two branches that both appended, merged as text or left with conflict markers', async () => {
    const base = lines()
    await appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'set-role', name: 'bob', role: 'admin' }))
    const ours = lines().at(-1)!
    writeLines(base)
    await appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'remove-member', name: 'carol' }))
    const theirs = lines().at(-1)!
    writeLines([...base, ours, theirs])
    const duplicate = replayError()
    expect(duplicate.reason).toBe('duplicate')
    expect(duplicate.message).toMatch(/line 5: a second entry #3 \(the first is on line 4\): two branches both appended to the team manifest \(make bob admin \/ remove carol\)/)
    expect(duplicate.message).toMatch(/re-run the other side's team commands on top/)
    writeFileSync(join(repo, MANIFEST_PATH), `${base.join('\n')}\n<<<<<<< HEAD\n${ours}\n=======\n${theirs}\n>>>>>>> other\n`)
    expect(replayError().reason).toBe('conflict-markers')
  })

  it('refuses a re-formatted entry (entries are kept byte for byte)', () => {
    const list = lines()
    list[1] = JSON.stringify(JSON.parse(list[1]!), null, 1).replace(/\n/g, '')
    writeLines(list)
    expect(replayError()).toMatchObject({ reason: 'not-canonical', message: expect.stringMatching(/line 2 is not in canonical form/) })
  })

  it('refuses invalid operations before writing anything', async () => {
    const before = manifestText()
    await expect(addMember(alice, bob, 'bob2')).rejects.toThrow(/already belongs to bob/)
    await expect(appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'remove-member', name: 'alice' }))).rejects.toThrow(/last admin/)
    await expect(appendOperation({ repoRoot: repo, env, signer: bob }, () => ({ type: 'set-role', name: 'bob', role: 'admin' }))).rejects.toThrow(/bob is a member: only admins change the team/)
    await expect(appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'set-paths', name: 'dave', paths: null }))).rejects.toThrow(/no member named dave/)
    await expect(appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'set-recovery', recipient: bob.recipient }))).rejects.toThrow(/bob's device key/)
    expect(manifestText()).toBe(before)
  })

  it('refuses an access request made for another team, or signed by another key', async () => {
    const dave = key()
    const elsewhere = await createRequest(dave, 'dave', 'f'.repeat(64))
    await expect(appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'add-member', name: 'dave', role: 'member', paths: null, request: elsewhere }))).rejects.toThrow(/made for another team/)
    const forged = { ...(await createRequest(dave, 'dave', root)), signingKey: carol.signingKey }
    await expect(appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'add-member', name: 'dave', role: 'member', paths: null, request: forged }))).rejects.toThrow(/self-signature does not verify/)
  })

  it('never lets a removed key come back', async () => {
    await appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'remove-member', name: 'bob' }))
    const request = await createRequest(bob, 'bobby', root)
    await expect(appendOperation({ repoRoot: repo, env, signer: alice }, () => ({ type: 'add-member', name: 'bobby', role: 'member', paths: null, request }))).rejects.toThrow(/already belongs to bob \(removed\)/)
  })
})
