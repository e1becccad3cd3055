import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { cleanupTemp, tempRepo } from '../helpers/repo.js'
import { ManifestError } from '../../src/vault/errors.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { chainFromText } from '../../src/vault/manifest/chain.js'
import { MANIFEST_PATH, describeOperation, entryLine, lineHash, signEntry, type Operation } from '../../src/vault/manifest/entry.js'
import { canWritePath, isRemovedRecipient, ownerOfRecipient, recipientsForPath, type TeamState } from '../../src/vault/manifest/state.js'
import { createRekeyEndorsement, verifyRekeyEndorsement } from '../../src/vault/rekey.js'
import { createRequest } from '../../src/vault/requests.js'
import { SIGNATURE_LABELS, signatureToText } from '../../src/vault/signing.js'
import { appendOperation, initTeam } from '../../src/vault/team.js'

/** The `rekey` manifest operation: who may sign it, the old key's endorsement, and its effect on the replayed state. */
afterAll(cleanupTemp)

const env: NodeJS.ProcessEnv = { CI: '', SENTRA_TEAM_ROOT: '' }
const key = (identity = AgeIdentity.generate()) => new LocalKey(identity, 'env')

let repo: string
let alice: LocalKey
let bob: LocalKey
let carol: LocalKey
let root: string

const manifestText = () => readFileSync(join(repo, MANIFEST_PATH), 'utf8')
const lines = () => manifestText().split('\n').filter(Boolean)
const replay = (): TeamState => chainFromText(manifestText(), MANIFEST_PATH).state

/** Appends an entry signed by anyone, bypassing every check `appendOperation` makes before writing. */
async function appendRaw(signer: LocalKey, op: Operation): Promise<void> {
  const existing = lines()
  const entry = await signEntry({ v: 1, seq: existing.length, prev: lineHash(existing.at(-1)!), time: new Date().toISOString(), by: signer.signingKey, op }, signer)
  writeFileSync(join(repo, MANIFEST_PATH), `${[...existing, entryLine(entry)].join('\n')}\n`)
}

function replayError(): ManifestError {
  try {
    replay()
  } catch (error) {
    if (error instanceof ManifestError) return error
    throw error
  }
  throw new Error('the manifest was accepted')
}

/** A rekey op replacing `old` of `name` by `next`, endorsed by `endorser` (default: the old key itself). */
async function rekeyOp(name: string, old: LocalKey, next: LocalKey, endorser: LocalKey | null = old): Promise<Extract<Operation, { type: 'rekey' }>> {
  const request = await createRequest(next, name, root)
  const endorsement = endorser ? await createRekeyEndorsement(endorser, root, name, { recipient: next.recipient, signingKey: next.signingKey }) : null
  return { type: 'rekey', name, old: old.recipient, request, endorsement }
}

const append = (signer: LocalKey, op: Operation) => appendOperation({ repoRoot: repo, env, signer }, () => op)

beforeEach(async () => {
  repo = tempRepo()
  alice = key()
  bob = key()
  carol = key()
  root = (await initTeam({ repoRoot: repo, signer: alice, name: 'alice', team: 'test' })).state.root
  for (const [who, name, role] of [
    [bob, 'bob', 'member'],
    [carol, 'carol', 'service'],
  ] as const) {
    const request = await createRequest(who, name, root)
    await append(alice, { type: 'add-member', name, role, paths: null, request })
  }
})

describe('rekey endorsement', () => {
  it('binds the team, the member, the old keys and the new keys', async () => {
    const next = key()
    const newKeys = { recipient: next.recipient, signingKey: next.signingKey }
    const oldKeys = { recipient: bob.recipient, signingKey: bob.signingKey }
    const endorsement = await createRekeyEndorsement(bob, root, 'bob', newKeys)
    expect(verifyRekeyEndorsement(endorsement, root, 'bob', oldKeys, newKeys)).toBe(true)
    expect(verifyRekeyEndorsement(endorsement, 'f'.repeat(64), 'bob', oldKeys, newKeys)).toBe(false)
    expect(verifyRekeyEndorsement(endorsement, root, 'carol', oldKeys, newKeys)).toBe(false)
    expect(verifyRekeyEndorsement(endorsement, root, 'bob', oldKeys, { ...newKeys, recipient: key().recipient })).toBe(false)
    expect(verifyRekeyEndorsement(endorsement, root, 'bob', { recipient: carol.recipient, signingKey: carol.signingKey }, newKeys)).toBe(false)
    expect(verifyRekeyEndorsement('not base64 at all', root, 'bob', oldKeys, newKeys)).toBe(false)
  })
})

describe('rekey in the manifest replay', () => {
  it('accepts a member rekeying their own device with the old key signing entry and endorsement', async () => {
    const next = key()
    const op = await rekeyOp('bob', bob, next)
    const { chain } = await append(bob, op)
    const state = chain.state
    const seq = state.entries.length - 1
    expect(state.entries.at(-1)!.by).toBe(bob.signingKey)
    const devices = state.members.get('bob')!.devices
    expect(devices).toEqual([
      { recipient: bob.recipient, signingKey: bob.signingKey, addedAt: 1, removedAt: seq },
      { recipient: next.recipient, signingKey: next.signingKey, addedAt: seq },
    ])
    expect(isRemovedRecipient(state, bob.recipient)).toBe(true)
    expect(ownerOfRecipient(state, next.recipient)).toMatchObject({ active: true, member: { name: 'bob' } })
    const readers = recipientsForPath(state, 'config/.env').all
    expect(readers).toContain(next.recipient)
    expect(readers).not.toContain(bob.recipient)
    expect(canWritePath(state, next.signingKey, 'config/.env').ok).toBe(true)
    expect(canWritePath(state, bob.signingKey, 'config/.env')).toMatchObject({ ok: false, reason: "bob's key was removed from the team" })
    expect(describeOperation(op)).toBe(`rekey bob's device ${bob.recipient} -> ${next.recipient}`)
    // The replay from the file gives the same state.
    expect(replay().members.get('bob')!.devices).toEqual(devices)
  })

  it('refuses a member\'s own rekey without an endorsement, or with one that does not verify', async () => {
    const before = manifestText()
    const next = key()
    await expect(append(bob, await rekeyOp('bob', bob, next, null))).rejects.toThrow(/bob's own rekey carries no endorsement: the old key must sign the new one \(label sentra\/v1\/rekey\)/)
    // Endorsed by the new key instead of the old one.
    await expect(append(bob, await rekeyOp('bob', bob, next, next))).rejects.toThrow(/the rekey endorsement does not verify: it was not made by bob's old key age1\w+ for this change/)
    // Endorsing another new key than the one in the request.
    const other = await rekeyOp('bob', bob, key())
    await expect(append(bob, { ...(await rekeyOp('bob', bob, next)), endorsement: other.endorsement })).rejects.toThrow(/the rekey endorsement does not verify/)
    // The right bytes under another label (a manifest signature) are not an endorsement.
    const { rekeyEndorsementBody } = await import('../../src/vault/rekey.js')
    const body = rekeyEndorsementBody(root, 'bob', { recipient: bob.recipient, signingKey: bob.signingKey }, { recipient: next.recipient, signingKey: next.signingKey })
    const wrongLabel = signatureToText(await bob.sign(SIGNATURE_LABELS.manifest, body))
    await expect(append(bob, { ...(await rekeyOp('bob', bob, next)), endorsement: wrongLabel })).rejects.toThrow(/the rekey endorsement does not verify/)
    expect(manifestText()).toBe(before)
    // The same refusals hold for an entry written by hand: the replay itself checks.
    await appendRaw(bob, await rekeyOp('bob', bob, next, null))
    expect(replayError()).toMatchObject({ reason: 'invalid-op', message: expect.stringMatching(/line 4: bob's own rekey carries no endorsement/) })
  })

  it('refuses a service member rekeying themselves: service members never sign', async () => {
    await appendRaw(carol, await rekeyOp('carol', carol, key()))
    expect(replayError()).toMatchObject({
      reason: 'not-admin',
      message: expect.stringMatching(/line 4: entry #3 is signed by carol, a service member: service members never sign manifest entries \(an admin rekeys them\)/),
    })
  })

  it('refuses a member rekeying another member, or signing anything else', async () => {
    await appendRaw(bob, await rekeyOp('carol', carol, key(), bob))
    expect(replayError()).toMatchObject({
      reason: 'not-admin',
      message: expect.stringMatching(/line 4: entry #3 is signed by bob, a member, not an admin at that point: a member may only rekey the device that signs the entry/),
    })
    // Even with the other member's real endorsement: only the device being replaced (or an admin) signs.
    writeFileSync(join(repo, MANIFEST_PATH), `${lines().slice(0, 3).join('\n')}\n`)
    await appendRaw(bob, await rekeyOp('carol', carol, key(), carol))
    expect(replayError().reason).toBe('not-admin')
    // Naming themselves with another member's device is refused the same way.
    writeFileSync(join(repo, MANIFEST_PATH), `${lines().slice(0, 3).join('\n')}\n`)
    await appendRaw(bob, { ...(await rekeyOp('bob', bob, key())), old: carol.recipient })
    expect(replayError().reason).toBe('not-admin')
    // The rekey exception does not extend to other operations.
    writeFileSync(join(repo, MANIFEST_PATH), `${lines().slice(0, 3).join('\n')}\n`)
    await expect(append(bob, { type: 'remove-device', name: 'bob', recipient: bob.recipient })).rejects.toThrow(/bob is a member: only admins change the team/)
  })

  it('refuses the old key once replaced, and never takes a removed key back', async () => {
    const next = key()
    await append(bob, await rekeyOp('bob', bob, next))
    // The old key can no longer sign anything, a rekey included.
    await expect(append(bob, await rekeyOp('bob', bob, key()))).rejects.toThrow(/signed by bob, whose key was removed before it/)
    // Rekeying back to the removed key is refused, by the member and by an admin.
    await expect(append(next, await rekeyOp('bob', next, bob))).rejects.toThrow(/recipient age1\w+ already belongs to bob \(removed\)/)
    await expect(append(alice, await rekeyOp('bob', next, bob, null))).rejects.toThrow(/already belongs to bob \(removed\)/)
    // A key of another member is not free either.
    await expect(append(next, await rekeyOp('bob', next, carol))).rejects.toThrow(/already belongs to carol/)
    // The new key works as the member's device: it can rekey again.
    const third = key()
    await append(next, await rekeyOp('bob', next, third))
    expect(recipientsForPath(replay(), 'a').all).toEqual([alice.recipient, carol.recipient, third.recipient].sort())
  })

  it('accepts an admin rekey with no endorsement (the old key is lost), and checks one when present', async () => {
    const next = key()
    await expect(append(alice, await rekeyOp('carol', carol, next, alice))).rejects.toThrow(/the rekey endorsement does not verify/)
    const { chain } = await append(alice, await rekeyOp('carol', carol, next, null))
    expect(chain.state.entries.at(-1)!.by).toBe(alice.signingKey)
    expect(chain.state.members.get('carol')!.role).toBe('service')
    expect(isRemovedRecipient(chain.state, carol.recipient)).toBe(true)
    expect(recipientsForPath(chain.state, 'a').all).toEqual([alice.recipient, bob.recipient, next.recipient].sort())
    // An admin's rekey of a device the member does not have (any more) is refused.
    await expect(append(alice, await rekeyOp('carol', carol, key(), null))).rejects.toThrow(/carol has no active device age1\w+/)
    await expect(append(alice, await rekeyOp('dave', carol, key(), null))).rejects.toThrow(/no member named dave/)
  })

  it('refuses a rekey request made for another member name or another team', async () => {
    const next = key()
    const op = await rekeyOp('bob', bob, next)
    await expect(append(bob, { ...op, request: await createRequest(next, 'robert', root) })).rejects.toThrow(/the embedded access request is for "robert", not "bob"/)
    await expect(append(bob, { ...op, request: await createRequest(next, 'bob', 'e'.repeat(64)) })).rejects.toThrow(/made for another team/)
  })
})
