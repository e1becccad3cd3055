import { createHash } from 'node:crypto'
import { inflateSync } from 'node:zlib'
import * as testkit from 'cctv-age'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTemp, tempDir } from '../helpers/repo.js'
import { AgentKey } from '../../src/vault/agent/client.js'
import { startAgentServer, type AgentServer } from '../../src/vault/agent/server.js'
import { AgeDecryptError, decryptAge, type AgeFailure } from '../../src/vault/age.js'
import { AgeIdentity } from '../../src/vault/identity.js'

/**
 * The 143 age conformance vectors (C2SP CCTV, from the npm package `cctv-age`), run through the age
 * layer sentra uses for every age file it reads.
 */
interface Vector {
  name: string
  meta: Map<string, string[]>
  body: Uint8Array
}

function parseVector(name: string, contents: Uint8Array): Vector {
  const buffer = Buffer.from(contents)
  const separator = buffer.indexOf('\n\n')
  if (separator < 0) throw new Error(`no header separator in ${name}`)
  const meta = new Map<string, string[]>()
  for (const line of buffer.subarray(0, separator).toString('utf8').split('\n')) {
    const at = line.indexOf(': ')
    const key = line.slice(0, at)
    meta.set(key, [...(meta.get(key) ?? []), line.slice(at + 2)])
  }
  let body: Uint8Array = buffer.subarray(separator + 2)
  const compressed = meta.get('compressed')?.[0]
  if (compressed === 'zlib') body = inflateSync(body)
  else if (compressed) throw new Error(`unknown compression ${compressed} in ${name}`)
  return { name, meta, body }
}

const vectors = Object.entries(testkit as unknown as Record<string, Uint8Array>)
  .filter(([, value]) => value instanceof Uint8Array)
  .map(([name, contents]) => parseVector(name, contents))

const EXPECTED_FAILURE: Record<string, AgeFailure[]> = {
  // Text that does not start with the armor line is not taken for armor and fails as a header.
  'armor failure': ['armor', 'header'],
  // age-encryption checks a malformed MAC line (missing, garbage, truncated) only as a failed HMAC,
  // so these header failures surface as 'hmac': both are refusals before any plaintext.
  'header failure': ['header', 'hmac'],
  'no match': ['no-match'],
  'HMAC failure': ['hmac'],
  'payload failure': ['payload'],
}

describe('age conformance vectors (cctv-age)', () => {
  it('has all 143 vectors', () => {
    expect(vectors).toHaveLength(143)
  })

  for (const vector of vectors) {
    const expectation = vector.meta.get('expect')![0]!
    it(`${vector.name}: ${expectation}`, async () => {
      const keys = { identities: vector.meta.get('identity') ?? [], passphrases: vector.meta.get('passphrase') ?? [] }
      if (expectation === 'success') {
        const plaintext = await decryptAge(vector.body, keys)
        expect(createHash('sha256').update(plaintext).digest('hex')).toBe(vector.meta.get('payload')![0])
        return
      }
      const failure = await decryptAge(vector.body, keys).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(failure, 'must fail').toBeInstanceOf(AgeDecryptError)
      expect(EXPECTED_FAILURE[expectation], `failure class for ${expectation}`).toContain((failure as AgeDecryptError).failure)
    })
  }
})

describe('age conformance vectors through the agent (the identity stays in the agent)', () => {
  const agents = new Map<string, { server: AgentServer; key: AgentKey }>()
  afterAll(async () => {
    for (const { server } of agents.values()) await server.close()
    cleanupTemp()
  })

  async function agentFor(identity: string): Promise<AgentKey> {
    let agent = agents.get(identity)
    if (!agent) {
      const parsed = AgeIdentity.parse(identity)
      const socketPath = join(tempDir('sentra-agent-'), 'sock', 'agent.sock')
      const server = await startAgentServer({ identity: parsed, socketPath, expiresAt: new Date(Date.now() + 600_000) })
      agent = { server, key: new AgentKey({ socketPath, recipient: parsed.recipient, signingKey: parsed.signingPublicKey, expires: '' }) }
      agents.set(identity, agent)
    }
    return agent.key
  }

  // Every vector that one X25519 identity can decrypt or must fail on.
  const single = vectors.filter((vector) => vector.meta.get('identity')?.length === 1 && vector.meta.get('identity')![0]!.startsWith('AGE-SECRET-KEY-1') && !vector.meta.has('passphrase'))

  it('covers the X25519 vectors', () => {
    expect(single.length).toBeGreaterThan(60)
  })

  for (const vector of single) {
    const expectation = vector.meta.get('expect')![0]!
    it(`${vector.name}: ${expectation}`, async () => {
      const key = await agentFor(vector.meta.get('identity')![0]!)
      const result = decryptAge(vector.body, { sources: [key] })
      if (expectation === 'success') {
        expect(createHash('sha256').update(await result).digest('hex')).toBe(vector.meta.get('payload')![0])
      } else {
        await expect(result).rejects.toBeInstanceOf(AgeDecryptError)
      }
    })
  }
})
