import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { valueAad } from '../../dist/vault/values/aad.js'
import { decryptValue, encryptValue, parseValueToken, reencryptValue } from '../../dist/vault/values/value-crypto.js'
import { decodeDotenvValue, parseDotenv, replaceSpans } from '../../dist/vault/values/dotenv.js'
import { detectEncrypted } from '../../dist/scan/encrypted.js'

const dek = randomBytes(32)
const fileId = 'f-0123'

describe('value AAD', () => {
  it('cannot confuse a map key "0" with index 0, nor dotted keys with nested paths', () => {
    expect(valueAad(fileId, [{ key: '0' }], 'str').equals(valueAad(fileId, [{ index: 0 }], 'str'))).toBe(false)
    expect(valueAad(fileId, [{ key: 'a.b' }], 'str').equals(valueAad(fileId, [{ key: 'a' }, { key: 'b' }], 'str'))).toBe(false)
    expect(valueAad(fileId, [{ key: 'a:b' }], 'str').equals(valueAad(fileId, [{ key: 'a' }, { key: 'b' }], 'str'))).toBe(false)
    expect(valueAad('ab', [{ key: 'c' }], 'str').equals(valueAad('a', [{ key: 'bc' }], 'str'))).toBe(false)
    expect(valueAad(fileId, [{ key: 'x' }], 'str').equals(valueAad(fileId, [{ key: 'x' }], 'int'))).toBe(false)
  })
})

describe('value encryption', () => {
  const path = [{ key: 'db' }, { key: 'password' }]

  it('round-trips, with a fresh nonce every time', () => {
    const a = encryptValue(dek, fileId, path, 'str', 'pässword with spaces')
    const b = encryptValue(dek, fileId, path, 'str', 'pässword with spaces')
    expect(a).not.toBe(b)
    expect(parseValueToken(a).nonce.equals(parseValueToken(b).nonce)).toBe(false)
    expect(decryptValue(dek, fileId, path, a)).toEqual({ type: 'str', plaintext: 'pässword with spaces' })
    expect(detectEncrypted(`# sentra:v1\nA=${a}\n`)).toBe('sentra')
  })

  it('fails on a moved value, another file, a changed type, another key, or any flipped byte', () => {
    const token = encryptValue(dek, fileId, path, 'str', 's3cret')
    expect(() => decryptValue(dek, fileId, [{ key: 'db' }, { key: 'user' }], token)).toThrow(/failed authentication/)
    expect(() => decryptValue(dek, 'other-file', path, token)).toThrow(/failed authentication/)
    expect(() => decryptValue(dek, fileId, path, token.replace(',str,', ',int,'))).toThrow(/failed authentication/)
    expect(() => decryptValue(randomBytes(32), fileId, path, token)).toThrow(/failed authentication/)
    const raw = Buffer.from(token.slice('ENC[sentra:v1,str,'.length, -1), 'base64')
    for (let i = 0; i < raw.length; i++) {
      const flipped = Buffer.from(raw)
      flipped[i]! ^= 0x01
      expect(() => decryptValue(dek, fileId, path, `ENC[sentra:v1,str,${flipped.toString('base64')}]`)).toThrow(/failed authentication/)
    }
  })

  it('never says what the value was in an error', () => {
    const token = encryptValue(dek, fileId, path, 'str', 'topsecretvalue')
    try {
      decryptValue(dek, 'x', path, token)
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('topsecretvalue')
    }
  })

  it('keeps the exact old ciphertext only when plaintext and place are identical', () => {
    const token = encryptValue(dek, fileId, path, 'str', 'same')
    expect(reencryptValue(dek, fileId, path, 'str', 'same', token)).toBe(token)
    const changed = reencryptValue(dek, fileId, path, 'str', 'other', token)
    expect(changed).not.toBe(token)
    expect(parseValueToken(changed).nonce.equals(parseValueToken(token).nonce)).toBe(false)
    const moved = reencryptValue(dek, fileId, [{ key: 'db' }, { key: 'pw2' }], 'str', 'same', token)
    expect(moved).not.toBe(token)
    expect(reencryptValue(dek, fileId, path, 'int', 'same', token)).not.toBe(token)
    expect(reencryptValue(randomBytes(32), fileId, path, 'str', 'same', token)).not.toBe(token)
  })
})

describe('dotenv tokenizer', () => {
  const text = [
    '# header comment',
    '',
    'PLAIN=value1',
    'export SPACED = spaced value   # trailing comment',
    "SINGLE='it''s' ",
    'DOUBLE="line1\\nline2 \\"q\\""',
    'MULTI="first',
    'second"',
    'EMPTY=',
    'URL=https://example.invalid/a#frag',
    'CRLF=crlf\r',
    '',
  ].join('\n')

  it('finds every value span and keeps all other bytes', () => {
    const entries = parseDotenv(text.replace("SINGLE='it''s' ", "SINGLE='its' "))
    expect(entries.map((e) => [e.key, e.line, e.raw])).toEqual([
      ['PLAIN', 3, 'value1'],
      ['SPACED', 4, 'spaced value'],
      ['SINGLE', 5, "'its'"],
      ['DOUBLE', 6, '"line1\\nline2 \\"q\\""'],
      ['MULTI', 7, '"first\nsecond"'],
      ['EMPTY', 9, ''],
      ['URL', 10, 'https://example.invalid/a#frag'],
      ['CRLF', 11, 'crlf'],
    ])
    const src = text.replace("SINGLE='it''s' ", "SINGLE='its' ")
    const rewritten = replaceSpans(src, entries.map((e) => ({ start: e.start, end: e.end, text: `<${e.key}>` })))
    expect(rewritten).toContain('export SPACED = <SPACED>   # trailing comment\n')
    expect(rewritten).toContain('MULTI=<MULTI>\nEMPTY=<EMPTY>\n')
    expect(rewritten.startsWith('# header comment\n\nPLAIN=<PLAIN>\n')).toBe(true)
    expect(rewritten).toContain('CRLF=<CRLF>\r\n')
  })

  it('decodes values as programs see them', () => {
    expect(decodeDotenvValue('"a\\nb \\"q\\""')).toBe('a\nb "q"')
    expect(decodeDotenvValue("'a\\nb'")).toBe('a\\nb')
    expect(decodeDotenvValue('plain')).toBe('plain')
  })

  it('rejects what it cannot parse exactly, naming the line', () => {
    expect(() => parseDotenv('A=1\nnot an assignment\n')).toThrow(/dotenv line 2: expected KEY=VALUE/)
    expect(() => parseDotenv('A="open\n')).toThrow(/dotenv line 1: the " quote is never closed/)
    expect(() => parseDotenv('A=1\nA=2\n')).toThrow(/key A is already set on line 1/)
    expect(() => parseDotenv("A='x' junk\n")).toThrow(/unexpected text after the value of A/)
  })
})
