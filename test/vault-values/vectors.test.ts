import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { bech32 } from '@scure/base'
import { describe, expect, it } from 'vitest'
import { valueAad, type PathSegment, type ValueType } from '../../src/vault/values/aad.js'
import { decryptValue, encryptValueWithNonce } from '../../src/vault/values/value-crypto.js'
import { dekCommitment, placeholderText } from '../../src/vault/values/metadata.js'
import { decryptValues, plaintextBody, readValuesFile, signatureVerifies, signedMessage, unwrapDek } from '../../src/vault/values/values-file.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { LocalKey } from '../../src/vault/keystore/index.js'

/** The published test vectors of the per-value format (fixtures/vault/), checked against the implementation. */
interface Vectors {
  dek: string
  fileId: string
  commit: string
  values: Array<{ path: PathSegment[]; type: ValueType; plaintext: string; nonce: string; aad: string; token: string }>
  example: { file: string; path: string; identitySecret: string; recipient: string; signingKey: string; plaintext: string; plainKeys: string[]; signedMessageSha256: string }
}

const dir = new URL('../../fixtures/vault/', import.meta.url)
const vectors = JSON.parse(readFileSync(new URL('per-value-vectors.json', dir), 'utf8')) as Vectors
const dek = Buffer.from(vectors.dek, 'hex')

describe('per-value test vectors', () => {
  it('gives the AAD bytes, tokens and commitment of the vectors, and decrypts them', () => {
    expect(dekCommitment(dek, vectors.fileId)).toBe(vectors.commit)
    for (const vector of vectors.values) {
      expect(valueAad(vectors.fileId, vector.path, vector.type).toString('hex')).toBe(vector.aad)
      expect(encryptValueWithNonce(dek, vectors.fileId, vector.path, vector.type, vector.plaintext, Buffer.from(vector.nonce, 'hex'))).toBe(vector.token)
      expect(decryptValue(dek, vectors.fileId, vector.path, vector.token)).toEqual({ type: vector.type, plaintext: vector.plaintext })
    }
    // Same plaintext and nonce, map key "0" against index 0 (and "a.b" against a > b): different AAD, different token.
    expect(vectors.values[2]!.token).not.toBe(vectors.values[3]!.token)
    expect(vectors.values[4]!.token).not.toBe(vectors.values[5]!.token)
    expect(() => decryptValue(dek, vectors.fileId, vectors.values[3]!.path, vectors.values[2]!.token)).toThrow(/failed authentication/)
  })

  it('verifies and decrypts the signed example file with the documented test identity', async () => {
    const { example } = vectors
    const text = readFileSync(new URL(example.file, dir), 'utf8')
    const identity = AgeIdentity.parse(bech32.encodeFromBytes('AGE-SECRET-KEY-', Buffer.from(example.identitySecret, 'hex')).toUpperCase())
    expect(identity.recipient).toBe(example.recipient)
    expect(identity.signingPublicKey).toBe(example.signingKey)
    const file = readValuesFile(text, 'dotenv')
    expect(file.meta!.plain).toEqual(example.plainKeys)
    const message = Buffer.concat([Buffer.from('sentra/v1/values\0'), signedMessage(example.path, placeholderText(file.split))])
    expect(createHash('sha256').update(message).digest('hex')).toBe(example.signedMessageSha256)
    expect(signatureVerifies(file, example.path)).toBe(true)
    expect(signatureVerifies(file, 'config/.env.staging')).toBe(false)
    const unwrapped = await unwrapDek(file.meta!, new LocalKey(identity, 'env'), example.path)
    expect(Buffer.from(unwrapped).equals(dek)).toBe(true)
    expect(plaintextBody(file, decryptValues(file, unwrapped))).toBe(example.plaintext)
  })
})
