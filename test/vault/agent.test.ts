import { existsSync, lstatSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, tempDir, tempRepo } from '../helpers/repo.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { ok, run, sandbox, type Sandbox } from './support.js'

/** `sentra unlock` / `sentra lock`: a real agent process holding a passphrase-protected key. */
const PASSPHRASE = 'agent test passphrase'
let box: Sandbox
let repo: string
let identity: AgeIdentity
const socket = () => join(box.env.XDG_RUNTIME_DIR!, 'sentra', 'agent.sock')

function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect(socket())
    let data = ''
    client.on('connect', () => client.write(request))
    client.on('data', (chunk) => (data += chunk.toString()))
    client.on('end', () => resolve(data))
    client.on('error', reject)
  })
}

beforeAll(() => {
  box = sandbox()
  identity = AgeIdentity.generate()
  const file = join(tempDir(), 'key.txt')
  writeFileSync(file, identity.toIdentityFile())
  ok(run(box, box.dir, ['keygen', '--keystore', 'file', '--import', file], `${PASSPHRASE}\n`))
  repo = tempRepo()
  ok(run(box, repo, ['team', 'init', '--name', 'alice'], `${PASSPHRASE}\n`))
  writeFileSync(join(repo, 'db.key'), 'the database key')
})

afterAll(() => {
  run(box, box.dir, ['lock'])
  cleanupTemp()
})

describe('agent', () => {
  it('unlocks once; later commands sign and decrypt without the passphrase', () => {
    const unlocked = JSON.parse(ok(run(box, box.dir, ['unlock', '--for', '10m', '--json'], `${PASSPHRASE}\n`)).stdout) as { socketPath: string; recipient: string }
    expect(unlocked).toMatchObject({ socketPath: socket(), recipient: identity.recipient })
    expect(lstatSync(socket()).isSocket()).toBe(true)
    expect(statSync(socket()).mode & 0o777).toBe(0o600)
    expect(statSync(dirname(socket())).mode & 0o777).toBe(0o700)
    expect(ok(run(box, box.dir, ['whoami'])).stdout).toMatch(/key source: +sentra agent \(unlocked\) \(until /)
    // No passphrase on stdin: only the agent can sign and decrypt here.
    ok(run(box, repo, ['encrypt', 'db.key']))
    expect(ok(run(box, repo, ['decrypt', 'db.key.age'])).stdout).toBe('the database key')
  })

  it('answers signing and file-key requests but never hands out the identity', async () => {
    const hello = JSON.parse(await raw('{"op":"hello"}\n')) as Record<string, unknown>
    expect(Object.keys(hello).sort()).toEqual(['expires', 'ok', 'recipient', 'signingKey'])
    for (const request of ['{"op":"export"}\n', '{"op":"identity"}\n', '{"op":"sign","label":"other/label","message":"AAAA"}\n', 'garbage\n']) {
      const answer = await raw(request)
      expect(JSON.parse(answer)).toMatchObject({ ok: false })
      expect(answer).not.toContain(identity.revealSecret())
    }
    const signed = JSON.parse(await raw('{"op":"sign","label":"sentra/v1/request","message":"AAAA"}\n')) as { ok: boolean; signature: string }
    expect(signed.ok).toBe(true)
    expect(Buffer.from(signed.signature, 'base64')).toHaveLength(64)
  })

  it('lock ends the agent; then the passphrase is needed again', () => {
    expect(ok(run(box, box.dir, ['lock'])).stdout).toMatch(/Locked/)
    expect(existsSync(socket())).toBe(false)
    const locked = run(box, repo, ['decrypt', 'db.key.age'])
    expect(locked.status).toBe(2)
    expect(locked.stderr).toMatch(/Passphrase for .* needed/)
    expect(ok(run(box, box.dir, ['lock'])).stdout).toMatch(/No agent was running/)
  })

  it('exits by itself after --for', async () => {
    ok(run(box, box.dir, ['unlock', '--for', '2s'], `${PASSPHRASE}\n`))
    expect(existsSync(socket())).toBe(true)
    const deadline = Date.now() + 10_000
    while (existsSync(socket()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    expect(existsSync(socket())).toBe(false)
    expect(run(box, box.dir, ['unlock', '--for', 'soon'], `${PASSPHRASE}\n`).stderr).toMatch(/not a duration: soon/)
  })
})
