import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, tempRepo } from '../helpers/repo.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { ok, person, run, type Person } from './support.js'

/** The team commands through the real CLI: init, request-access, add, list, role, scope, policy. */
afterAll(cleanupTemp)

let alice: Person
let bob: Person
let carol: Person
let repo: string
let root: string

interface Listing {
  root: string
  members: Array<{ name: string; role: string; paths: string[] | null; devices: Array<{ recipient: string }> }>
  policy: Array<{ glob: string; format: string; plainKeys: string[] }>
  recovery: string | null
  pendingRequests: string[]
  history?: Array<{ description: string }>
}

const list = (): Listing => JSON.parse(ok(run(alice, repo, ['team', 'list', '--json', '--history'])).stdout) as Listing

beforeAll(() => {
  alice = person('alice')
  bob = person('bob')
  carol = person('carol')
  repo = tempRepo()
  const init = ok(run(alice, repo, ['team', 'init', '--name', 'alice', '--team', 'payments']))
  root = /Team root: ([0-9a-f]{64})/.exec(init.stdout)![1]!
  expect(readFileSync(join(repo, '.git/sentra/team-root'), 'utf8').trim()).toBe(root)
})

describe('team', () => {
  it('refuses a second init', () => {
    const again = run(alice, repo, ['team', 'init', '--name', 'alice'])
    expect(again.status).toBe(2)
    expect(again.stderr).toMatch(/\.sentra\/team\.jsonl already exists/)
  })

  it('adds a newcomer from their self-signed request only', () => {
    const none = run(alice, repo, ['team', 'add', 'bob'])
    expect(none.stderr).toMatch(/no access request at .*bob\.json: the newcomer runs `sentra team request-access NAME`/)
    expect(ok(run(bob, repo, ['team', 'request-access', 'bob'])).stdout).toMatch(/Wrote \.sentra\/requests\/bob\.json: commit and push it, then ask an admin to run `sentra team add bob`/)
    // A request edited to carry someone else's recipient no longer verifies.
    const path = join(repo, '.sentra/requests/bob.json')
    const original = readFileSync(path, 'utf8')
    writeFileSync(path, original.replace(bob.identity.recipient, AgeIdentity.generate().recipient))
    expect(run(alice, repo, ['team', 'add', 'bob']).stderr).toMatch(/the self-signature does not verify/)
    writeFileSync(path, original)
    expect(list().pendingRequests).toEqual(['bob'])
    const notAdmin = run(bob, repo, ['team', 'add', 'bob'])
    expect(notAdmin.stderr).toMatch(/your key \(age1[0-9a-z]+\) is not a member of this team: only admins change the team/)
    const added = JSON.parse(ok(run(alice, repo, ['team', 'add', 'bob', '--role', 'service', '--paths', 'deploy/**', '--json'])).stdout) as { role: string; paths: string[] }
    expect(added).toMatchObject({ role: 'service', paths: ['deploy/**'], recipient: bob.identity.recipient, signingKey: bob.identity.signingPublicKey })
    expect(existsSync(path)).toBe(false)
    expect(run(bob, repo, ['team', 'request-access', 'bobby']).stderr).toMatch(/your key is already in the team as bob/)
  })

  it('changes roles and scopes, and keeps a service member from signing', () => {
    ok(run(carol, repo, ['team', 'request-access', 'carol']))
    ok(run(alice, repo, ['team', 'add', 'carol']))
    expect(run(carol, repo, ['team', 'role', 'bob', 'admin']).stderr).toMatch(/carol is a member: only admins change the team/)
    ok(run(alice, repo, ['team', 'role', 'carol', 'admin']))
    ok(run(carol, repo, ['team', 'scope', 'bob', '--paths', 'deploy/**', '--paths', 'ci/**']))
    ok(run(alice, repo, ['team', 'role', 'alice', 'member']))
    expect(run(carol, repo, ['team', 'role', 'carol', 'member']).stderr).toMatch(/carol is the last admin/)
    const state = list()
    expect(state.members.map((member) => [member.name, member.role, member.paths])).toEqual([
      ['alice', 'member', null],
      ['bob', 'service', ['deploy/**', 'ci/**']],
      ['carol', 'admin', null],
    ])
  })

  it('records the vault policy and the recovery recipient in the manifest', () => {
    const recovery = AgeIdentity.generate().recipient
    ok(run(carol, repo, ['team', 'manage', 'certs/**', '--format', 'binary']))
    ok(run(carol, repo, ['team', 'manage', '.env.production', '--format', 'dotenv', '--plain-key', '*_unencrypted']))
    ok(run(carol, repo, ['team', 'manage', 'certs/**', '--format', 'binary', '--plain-key', 'none']))
    ok(run(carol, repo, ['team', 'unmanage', 'certs/**']))
    ok(run(carol, repo, ['team', 'recovery', recovery]))
    const state = list()
    expect(state.policy).toEqual([{ glob: '.env.production', format: 'dotenv', plainKeys: ['*_unencrypted'] }])
    expect(state.recovery).toBe(recovery)
    expect(state.root).toBe(root)
    expect(state.history!.map((entry) => entry.description)).toEqual([
      'create team "payments" with admin alice',
      'add bob as service (paths deploy/**)',
      'add carol as member (all paths)',
      'make carol admin',
      'give bob paths deploy/**, ci/**',
      'make alice member',
      'manage certs/** as binary',
      'manage .env.production as dotenv (plain keys: *_unencrypted)',
      'manage certs/** as binary (plain keys: none)',
      'stop managing certs/**',
      `set recovery recipient ${recovery}`,
    ])
    expect(ok(run(alice, repo, ['team', 'list'])).stdout).toMatch(/\.env\.production {2}dotenv {2}plain keys: \*_unencrypted/)
  })

  it('adds a second device to a member', () => {
    const laptop = person('bob', AgeIdentity.generate())
    ok(run(laptop, repo, ['team', 'request-access', 'bob']))
    expect(run(carol, repo, ['team', 'add', 'bob']).stderr).toMatch(/bob is already a member: use --device/)
    ok(run(carol, repo, ['team', 'add', 'bob', '--device']))
    expect(list().members.find((member) => member.name === 'bob')!.devices.map((device) => device.recipient)).toEqual([bob.identity.recipient, laptop.identity.recipient])
  })

  it('teaches in --help', () => {
    const help = ok(run(alice, repo, ['team', 'add', '--help'])).stdout
    expect(help).toMatch(/EXAMPLES/)
    expect(help).toMatch(/--role service --paths/)
  })
})
