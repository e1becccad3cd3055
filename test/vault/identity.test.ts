import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { join } from 'node:path'
import { ed25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bech32 } from '@scure/base'
import { generateHybridIdentity, identityToRecipient } from 'age-encryption'
import { afterAll, describe, expect, it } from 'vitest'
import { PROJECT_ROOT } from '../helpers/cli.js'
import { cleanupTemp, tempDir } from '../helpers/repo.js'
import { fromBase64 } from '../../src/vault/encoding.js'
import { AgeIdentity, assertRecipient, parseIdentityFile } from '../../src/vault/identity.js'
import { SIGNATURE_LABELS, SIGNING_KEY_PREFIX, labelledMessage, verifySignature } from '../../src/vault/signing.js'

afterAll(cleanupTemp)

function identityFromBytes(bytes: Uint8Array): string {
  return bech32.encodeFromBytes('AGE-SECRET-KEY-', bytes).toUpperCase()
}

describe('identity', () => {
  it('derives the recipient exactly as age does (age-encryption and age-keygen -y)', async () => {
    const identity = AgeIdentity.generate()
    expect(identity.recipient).toBe(await identityToRecipient(identity.revealSecret()))
    const dir = tempDir()
    const file = join(dir, 'key.txt')
    execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' })
    const fromKeygen = parseIdentityFile(readFileSync(file, 'utf8'), file)
    expect(fromKeygen.recipient).toBe(execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim())
  })

  it('derives the Ed25519 signing key with HKDF-SHA256(raw X25519 secret, empty salt, "sentra/v1/signing-key")', () => {
    const scalar = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff)
    const identity = AgeIdentity.parse(identityFromBytes(scalar))
    // An independent implementation (noble) of the documented derivation.
    const seed = hkdf(sha256, scalar, new Uint8Array(0), new TextEncoder().encode('sentra/v1/signing-key'), 32)
    const expectedPublic = ed25519.getPublicKey(seed)
    expect(identity.signingPublicKey).toBe(SIGNING_KEY_PREFIX + Buffer.from(expectedPublic).toString('base64'))
    // And signatures are plain Ed25519 over label ‖ 0x00 ‖ message.
    const message = new TextEncoder().encode('hello')
    const signature = identity.signingKey.sign(SIGNATURE_LABELS.file, message)
    expect(ed25519.verify(signature, labelledMessage(SIGNATURE_LABELS.file, message), expectedPublic)).toBe(true)
    expect(Buffer.from(labelledMessage(SIGNATURE_LABELS.file, message)).toString('latin1')).toBe('sentra/v1/file\u0000hello')
  })

  it('matches the test vector of docs/format.md', () => {
    const doc = readFileSync(join(PROJECT_ROOT, 'docs/format.md'), 'utf8')
    const row = (name: string) => new RegExp(`^\\| ${name} \\| \`([^\`]+)\``, 'm').exec(doc)?.[1]
    const scalar = new Uint8Array(Buffer.from(row('X25519 secret \\(hex\\)')!, 'hex'))
    const identity = AgeIdentity.parse(identityFromBytes(scalar))
    expect(identity.recipient).toBe(row('recipient'))
    expect(identity.signingPublicKey).toBe(row('signing public key'))
    expect(Buffer.from(hkdf(sha256, scalar, new Uint8Array(0), new TextEncoder().encode('sentra/v1/signing-key'), 32)).toString('hex')).toBe(row('Ed25519 seed \\(hex\\)'))
    const signature = Buffer.from(identity.signingKey.sign(SIGNATURE_LABELS.manifest, new TextEncoder().encode('{}'))).toString('base64')
    expect(signature).toBe(row('signature of `\\{\\}` with label `sentra/v1/manifest`'))
  })

  it('rejects post-quantum identities for signing', async () => {
    const pq = await generateHybridIdentity()
    expect(() => AgeIdentity.parse(pq)).toThrow(/post-quantum.*X25519/)
    expect(() => parseIdentityFile(`# comment\n${pq}\n`, 'pq.txt')).toThrow(/pq\.txt: post-quantum/)
  })

  it('rejects malformed identities without echoing them', () => {
    const secret = identityFromBytes(new Uint8Array(32).fill(9))
    const broken = secret.slice(0, -1) + (secret.endsWith('Q') ? 'P' : 'Q')
    for (const text of [broken, secret.replace('AGE-SECRET-KEY-1', 'AGE-SECRET-KEY-2'), `${secret}x`]) {
      let message = ''
      try {
        AgeIdentity.parse(text)
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).toMatch(/not a valid age X25519 identity/)
      expect(message).not.toContain(text.slice(20, 40))
    }
    expect(() => parseIdentityFile(`${secret}\n${identityFromBytes(new Uint8Array(32).fill(1))}\n`, 'two.txt')).toThrow(/exactly one/)
  })

  it('never shows the secret when printed, inspected or JSON-encoded', () => {
    const identity = AgeIdentity.generate()
    const secret = identity.revealSecret()
    for (const text of [String(identity), inspect(identity), JSON.stringify(identity), JSON.stringify({ identity, signing: identity.signingKey }), `${inspect({ nested: identity })}`]) {
      expect(text).not.toContain(secret)
      expect(text).toContain(identity.recipient)
    }
  })

  it('accepts only X25519 recipients, with clear errors for SSH and post-quantum ones', () => {
    const identity = AgeIdentity.generate()
    expect(assertRecipient(identity.recipient)).toBe(identity.recipient)
    expect(() => assertRecipient('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA')).toThrow(/SSH recipients are not supported/)
    expect(() => assertRecipient('age1pq1abc')).toThrow(/post-quantum/)
    expect(() => assertRecipient(identity.recipient.toUpperCase())).toThrow(/not a valid/)
  })
})

describe('signatures', () => {
  it('do not verify under another context label', () => {
    const identity = AgeIdentity.generate()
    const message = new TextEncoder().encode('{"a":1}')
    const labels = Object.values(SIGNATURE_LABELS)
    for (const signedAs of labels) {
      const signature = Buffer.from(identity.signingKey.sign(signedAs, message)).toString('base64')
      for (const checkedAs of labels) expect(verifySignature(identity.signingPublicKey, checkedAs, message, signature)).toBe(signedAs === checkedAs)
    }
  })

  it('reject malformed keys and signatures without throwing', () => {
    const identity = AgeIdentity.generate()
    const message = new Uint8Array([1, 2, 3])
    const signature = Buffer.from(identity.signingKey.sign(SIGNATURE_LABELS.manifest, message)).toString('base64')
    expect(verifySignature('ed25519:AAAA', SIGNATURE_LABELS.manifest, message, signature)).toBe(false)
    expect(verifySignature(identity.signingPublicKey, SIGNATURE_LABELS.manifest, message, 'not base64!')).toBe(false)
    expect(verifySignature(identity.signingPublicKey, SIGNATURE_LABELS.manifest, message, signature.slice(0, -4) + 'AAA=')).toBe(false)
    expect(fromBase64('AAA')).toBeUndefined()
  })

  it('lists exactly the labels of docs/format.md', () => {
    const doc = readFileSync(join(PROJECT_ROOT, 'docs/format.md'), 'utf8')
    const section = /\n## Signature context labels\n([\s\S]*?)(?=\n## )/.exec(doc)?.[1] ?? ''
    const documented = [...section.matchAll(/^\| `(sentra\/v1\/[a-z-]+)` \|/gm)].map((match) => match[1])
    expect(new Set(documented)).toEqual(new Set(Object.values(SIGNATURE_LABELS)))
  })
})
