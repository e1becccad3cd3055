import { describe, expect, it } from 'vitest'
import { AgeIdentity } from '../../src/vault/identity.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { parseBody } from '../../src/vault/values/body.js'
import type { ValuesFormat } from '../../src/vault/values/metadata.js'
import { mergeValues } from '../../src/vault/values/merge.js'
import { decryptValues, encryptBody, newValueKeys, plaintextBody, readValuesFile, sealValuesFile, tokensByPath, wrapDek, type ValuesFile } from '../../src/vault/values/values-file.js'

/** The key-less three-way merge of per-value files, in process (the git-driven merge is in test/vault/per-value-git.test.ts). */
const me = AgeIdentity.generate()
const signer = new LocalKey(me, 'env')
const keys = newValueKeys()

async function encrypted(clear: string, format: ValuesFormat, previous?: ValuesFile): Promise<ValuesFile> {
  const body = encryptBody(parseBody(clear, format), keys, [], previous ? tokensByPath(previous) : new Map())
  const text = await sealValuesFile({ body, format, path: `f.${format}`, keys, plain: [], recipients: await wrapDek(keys.dek, [me.recipient]), signer })
  return readValuesFile(text, format)
}

async function merged(format: ValuesFormat, base: string, ours: string, theirs: string) {
  const o = await encrypted(base, format)
  const outcome = mergeValues(o, await encrypted(ours, format, o), await encrypted(theirs, format, o), format)
  if (outcome.kind === 'refused' || outcome.body === undefined) return { outcome, clear: undefined }
  const file = readValuesFile(await sealValuesFile({ body: outcome.body, format, path: `f.${format}`, keys, plain: [], recipients: outcome.recipients, signer }), format)
  return { outcome, clear: plaintextBody(file, decryptValues(file, keys.dek)) }
}

describe('per-key merge', () => {
  it('merges values changed on different keys, and keys both sides appended (dotenv, YAML, JSON)', async () => {
    const env = await merged('dotenv', 'A=1\nB=2\n', 'A=10\nB=2\nC=3\n', 'A=1\nB=20\nD=4\n')
    expect(env.outcome.kind).toBe('merged')
    expect(env.clear).toBe('A=10\nB=20\nC=3\nD=4\n')
    const yaml = await merged('yaml', 'a: 1\nb: x\n', 'a: 2\nb: x\nc: new\n', 'a: 1\nb: y\nd: other\n')
    expect(yaml.clear).toBe('a: 2\nb: y\nc: new\nd: other\n')
    const json = await merged('json', '{\n  "a": 1,\n  "b": "x"\n}\n', '{\n  "a": 2,\n  "b": "x",\n  "c": "new"\n}\n', '{\n  "a": 1,\n  "b": "y",\n  "d": "other"\n}\n')
    expect(json.outcome.kind).toBe('merged')
    expect(json.clear).toBe('{\n  "a": 2,\n  "b": "y",\n  "c": "new",\n  "d": "other"\n}\n')
  })

  it('conflicts on the same key changed on both sides, on a key appended by both, and on change against removal', async () => {
    const same = await merged('dotenv', 'A=1\nB=2\n', 'A=10\nB=2\n', 'A=11\nB=20\n')
    expect(same.outcome).toMatchObject({ kind: 'conflict', keys: ['"A"'] })
    expect(same.clear).toBe('A=10\nB=20\n')
    const twice = await merged('dotenv', 'A=1\n', 'A=1\nC=3\n', 'A=1\nC=4\n')
    expect(twice.outcome.kind).toBe('conflict')
    const removed = await merged('dotenv', 'A=1\nB=2\n', 'B=2\n', 'A=5\nB=2\n')
    expect(removed.outcome).toMatchObject({ kind: 'conflict', keys: ['"A" (changed on one side, removed on the other)'] })
    const comments = await merged('dotenv', '# one\nA=1\n', '# two\nA=1\n', '# three\nA=1\n')
    expect(comments.outcome).toMatchObject({ kind: 'conflict', reason: expect.stringMatching(/changed the same lines/) })
  })

  it('refuses sides under different data keys', async () => {
    const base = await encrypted('A=1\n', 'dotenv')
    const other = newValueKeys()
    const rotatedText = await sealValuesFile({ body: encryptBody(parseBody('A=1\n', 'dotenv'), { dek: other.dek, id: keys.id }, []), format: 'dotenv', path: 'f.dotenv', keys: { dek: other.dek, id: keys.id }, plain: [], recipients: await wrapDek(other.dek, [me.recipient]), signer })
    const outcome = mergeValues(base, base, readValuesFile(rotatedText, 'dotenv'), 'dotenv')
    expect(outcome).toEqual({ kind: 'refused', reason: expect.stringMatching(/new data key \(rotation\)/) })
  })
})
