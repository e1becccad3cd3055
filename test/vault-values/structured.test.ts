import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { parseStructured, plaintextOf, setEncrypted, setPlain, stringifyStructured, type StructuredFormat } from '../../dist/vault/values/structured.js'
import { decryptValue, encryptValue } from '../../dist/vault/values/value-crypto.js'

const dek = randomBytes(32)

function encryptAll(text: string, format: StructuredFormat, skip: string[] = []): string {
  const doc = parseStructured(text, format, skip)
  for (const value of doc.values) setEncrypted(doc, value, encryptValue(dek, 'fid', value.path, value.type, plaintextOf(value)))
  return stringifyStructured(doc)
}

function decryptAll(text: string, format: StructuredFormat): string {
  const doc = parseStructured(text, format)
  for (const value of doc.values) {
    if (!value.encrypted) continue
    const { type, plaintext } = decryptValue(dek, 'fid', value.path, value.value)
    setPlain(doc, value, type, plaintext)
  }
  return stringifyStructured(doc)
}

describe('structured values (CST)', () => {
  it('encrypts a tab-indented JSON file keeping its layout, key order and integer-like keys', () => {
    const json = '{\n\t"b": "two",\n\t"2": 2,\n\t"1": [true, null, 1.5e3, "x\\ny"],\n\t"nested": {"0": "zero"}\n}\n'
    const enc = encryptAll(json, 'json')
    expect(enc.split('\n').map((l) => l.replace(/"ENC\[[^"]*\]"/g, 'E'))).toEqual(['{', '\t"b": E,', '\t"2": E,', '\t"1": [E, E, E, E],', '\t"nested": {"0": E}', '}', ''])
    expect(() => JSON.parse(enc)).not.toThrow()
    const dec = decryptAll(enc, 'json')
    expect(JSON.parse(dec)).toEqual(JSON.parse(json))
    expect(dec).toBe(json.replace('"x\\ny"', JSON.stringify('x\ny')))
  })

  it('encrypts YAML keeping comments, block scalars and flow collections readable', () => {
    const yaml = '# top comment\ndb:\n  user: admin  # who\n  port: 5432\n  password: "p@ss: word"\nlist:\n  - one\n  - |\n    multi\n    line\nflow: {a: 1, b: [x, "y"]}\nempty:\n'
    const enc = encryptAll(yaml, 'yaml')
    expect(enc).toContain('# top comment\n')
    expect(enc).toMatch(/user: "ENC\[sentra:v1,str,[^"]+\]"  # who\n/)
    expect(enc).toMatch(/port: "ENC\[sentra:v1,int,/)
    expect(enc).toContain('empty:\n')
    expect(Object.keys(parseYaml(enc))).toEqual(['db', 'list', 'flow', 'empty'])
    const dec = decryptAll(enc, 'yaml')
    expect(parseYaml(dec)).toEqual(parseYaml(yaml))
    expect(dec).toContain('# top comment\ndb:\n  user: admin  # who\n  port: 5432\n')
  })

  it('gives every value its path, with keys and indices tagged apart', () => {
    const doc = parseStructured('{"a.b": {"0": ["x"]}, "a": {"b": 1}}', 'json')
    expect(doc.values.map((v) => v.path)).toEqual([[{ key: 'a.b' }, { key: '0' }, { index: 0 }], [{ key: 'a' }, { key: 'b' }]])
  })

  it('skips the metadata key at the top level', () => {
    const doc = parseStructured('a: 1\nsentra:\n  version: 1\n', 'yaml', ['sentra'])
    expect(doc.values.map((v) => v.path)).toEqual([[{ key: 'a' }]])
  })

  it('rejects anchors, aliases, tags and multiple documents with a clear error', () => {
    expect(() => parseStructured('a: &x 1\nb: *x\n', 'yaml')).toThrow(/YAML: anchors are not supported/)
    expect(() => parseStructured('a: !!binary aGk=\n', 'yaml')).toThrow(/YAML: explicit tags are not supported/)
    expect(() => parseStructured('a: 1\n---\nb: 2\n', 'yaml')).toThrow(/multiple documents/)
    expect(() => parseStructured('{"a": ', 'json')).toThrow(/JSON: /)
  })
})

describe('nested JSON collections on several lines', () => {
  it('reads a multi-line object holding an array (the CST keeps the space before "}" as an empty item)', () => {
    const doc = parseStructured('{\n  "complex": {\n    "value": "x",\n    "array": [\n      "a",\n      "b"\n    ]\n  }\n}\n', 'json')
    expect(doc.values.map((value) => value.path)).toEqual([
      [{ key: 'complex' }, { key: 'value' }],
      [{ key: 'complex' }, { key: 'array' }, { index: 0 }],
      [{ key: 'complex' }, { key: 'array' }, { index: 1 }],
    ])
  })
})
