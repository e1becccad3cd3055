import { describe, expect, it } from 'vitest'
import { KeywordAutomaton } from '../../dist/scan/keywords.js'
import { RuleSet } from '../../dist/scan/ruleset.js'
import { LONG_LINE_CAP, Scanner } from '../../dist/scan/scanner.js'
import { fingerprint } from '../../dist/scan/fingerprint.js'
import { redact } from '../../dist/scan/redact.js'
import { isPlaceholder } from '../../dist/scan/placeholders.js'
import { hasBase62Crc32Checksum, isRealPemPrivateKey, isStructurallyValidJwt } from '../../dist/scan/validators.js'
import { fakeChars, joined } from '../helpers/samples.js'

/** A custom rule set so these tests do not depend on the library's wording. */
const demoRules = [
  {
    source: 'test',
    spec: {
      id: 'demo-token', description: 'Demo token', regex: '\\b(dmo_[A-Za-z0-9]{24})\\b', keywords: ['dmo_'],
      severity: 'high', tags: ['demo'], examples: ['x'], negatives: ['y'],
    },
  },
  {
    source: 'test',
    spec: {
      id: 'demo-block', description: 'Demo multi-line block', regex: '(BEGIN DEMO\\n[A-Za-z0-9\\n]{10,200}?\\nEND DEMO)', keywords: ['begin demo'],
      severity: 'critical', tags: ['demo'], examples: ['x'], negatives: ['y'],
    },
  },
]
const token = () => joined('dmo_', fakeChars('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789', 24, 7))

function scanner(options: { salt?: string; noRedact?: boolean } = {}) {
  return new Scanner(new RuleSet(demoRules as never), { salt: options.salt ?? 's1', noRedact: options.noRedact ?? false })
}

describe('keyword automaton', () => {
  it('agrees with a naive lower-cased indexOf on random texts', () => {
    const keywords = [['ab'], ['abc', 'zz'], ['bca'], ['c_d'], ['xyz', 'yz!']]
    const automaton = new KeywordAutomaton(keywords)
    const alphabet = 'abcABCdDxyzXYZ_!é \n'
    for (let seed = 1; seed < 400; seed++) {
      const text = fakeChars(alphabet, 1 + (seed % 50), seed)
      const hits = new Uint8Array(keywords.length)
      automaton.scan(text, hits)
      const lower = text.toLowerCase()
      keywords.forEach((words, i) => expect(hits[i], `${JSON.stringify(text)} rule ${i}`).toBe(words.some((w) => lower.includes(w)) ? 1 : 0))
    }
  })

  it('finds the same keywords in UTF-8 bytes, invalid sequences included, as in their decoding', () => {
    const keywords = [['ab'], ['abc', 'zz'], ['bca'], ['c_d'], ['xyz', 'yz!']]
    const automaton = new KeywordAutomaton(keywords)
    // UTF-8 text, and raw bytes that are invalid UTF-8 (lone lead, truncated and stray continuation bytes).
    const pieces = [
      ...['a', 'b', 'c', 'A', 'B', 'C', 'd', 'x', 'y', 'z', 'Z', '_', '!', ' ', '\n', 'é', '€', '😀'].map((text) => Buffer.from(text)),
      ...[[0xff], [0xc3], [0xe2, 0x82], [0x80]].map((bytes) => Buffer.from(bytes)),
    ]
    for (let seed = 1; seed < 600; seed++) {
      const picks = fakeChars('0123456789abcdefghijklmnopqrstuv', 1 + (seed % 40), seed)
      const bytes = Buffer.concat([...picks].map((p) => pieces[parseInt(p, 32) % pieces.length]!))
      const fromText = new Uint8Array(keywords.length)
      const fromBytes = new Uint8Array(keywords.length)
      const found = automaton.scanBytes(bytes, fromBytes)
      automaton.scan(bytes.toString('utf8'), fromText)
      expect([...fromBytes], JSON.stringify(bytes.toString('latin1'))).toEqual([...fromText])
      expect(found).toBe(fromBytes.reduce((n, hit) => n + hit, 0))
    }
  })
})

describe('scanner', () => {
  it('reports 1-based line and column of the secret, redacted', () => {
    const secret = token()
    const result = scanner().scanText(`first line\n  key = "${secret}"\n`, 'a.txt')
    expect(result.findings).toHaveLength(1)
    const [finding] = result.findings
    expect(finding).toMatchObject({ rule: 'demo-token', file: 'a.txt', line: 2, column: 10, endLine: 2, endColumn: 10 + secret.length })
    expect(finding!.secret).not.toContain(secret.slice(4))
    expect(JSON.stringify(result)).not.toContain(secret)
  })

  it('keeps the secret in clear only with noRedact', () => {
    const secret = token()
    expect(scanner({ noRedact: true }).scanText(secret, 'a')).toMatchObject({ findings: [{ secret }] })
  })

  it('finds multi-line secrets', () => {
    const text = `x\nBEGIN DEMO\n${fakeChars('abcdefghijk', 30, 3)}\n${fakeChars('lmnopqrstu', 30, 4)}\nEND DEMO\n`
    const findings = scanner().scanText(text, 'k.pem').findings
    expect(findings.map((f) => [f.rule, f.line, f.endLine])).toEqual([['demo-block', 2, 5]])
  })

  it('fingerprints depend on rule, secret and salt, not on path or line', () => {
    const secret = token()
    const a = scanner().scanText(`${secret}\n`, 'a.txt').findings[0]!.fingerprint
    const b = scanner().scanText(`\n\n\n   ${secret}`, 'other/b.txt').findings[0]!.fingerprint
    const c = scanner({ salt: 's2' }).scanText(secret, 'a.txt').findings[0]!.fingerprint
    expect(a).toBe(b)
    expect(a).not.toBe(c)
    expect(a).toMatch(/^demo-token:[0-9a-f]{16}$/)
    expect(fingerprint('demo-token', secret, 's1')).toBe(a)
  })

  it('skips binary content with a notice', () => {
    const bytes = Buffer.concat([Buffer.from('abc\0def '), Buffer.from(token())])
    const result = scanner().scanBytes(bytes, 'x.bin')
    expect(result.findings).toEqual([])
    expect(result.notices).toEqual([{ file: 'x.bin', kind: 'binary', message: 'binary file skipped' }])
  })

  it('reads non-UTF-8 text without failing', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe, 0x41, 0xe9, 0x0a]), Buffer.from(`k=${token()}\n`)])
    expect(scanner().scanBytes(bytes, 'latin1.txt').findings.map((f) => f.line)).toEqual([2])
  })

  it('finds a secret at the end of a 1 MB single-line file, in bounded time', () => {
    const secret = token()
    const text = `${'a=1;'.repeat(256 * 1024)} ${secret} `
    const started = performance.now()
    const result = scanner().scanText(text, 'bundle.min.js')
    expect(performance.now() - started).toBeLessThan(20_000)
    expect(result.findings.map((f) => [f.line, f.column])).toEqual([[1, 256 * 1024 * 4 + 2]])
  })

  it('finds a secret straddling a window boundary exactly once', () => {
    const secret = token()
    for (const at of [32 * 1024 - 10, 26 * 1024 - 5, 52 * 1024 + 3]) {
      const text = `${'q'.repeat(at)} ${secret} ${'q'.repeat(100_000)}`
      const findings = scanner().scanText(text, 'w.js').findings
      expect(findings.map((f) => f.column), `at ${at}`).toEqual([at + 2])
    }
  })

  it('skips the rest of a line past the hard cap, with a notice', () => {
    const secret = token()
    const text = `${'z'.repeat(LONG_LINE_CAP + 10)} ${secret}\nnext ${secret}\n`
    const result = scanner().scanText(text, 'huge.txt')
    expect(result.findings.map((f) => f.line)).toEqual([2])
    expect(result.notices).toEqual([expect.objectContaining({ file: 'huge.txt', kind: 'long-line' })])
  })

  it('honours inline allow markers on the same line and the line before only', () => {
    const secret = token()
    const text = [
      `a = "${secret}" # sentra:allow`,
      `b = "${secret}" // gitleaks:allow`,
      `c = "${secret}"  # pragma: allowlist secret`,
      '# pragma: allowlist nextline secret',
      `d = "${secret}"`,
      '/* sentra:allow-next-line */',
      `e = "${secret}"`,
      `f = "${secret}"`,
    ].join('\n')
    expect(scanner().scanText(text, 'x').findings.map((f) => f.line)).toEqual([8])
  })

  it('scans key names and comments of sops files, never their ciphertext', () => {
    const secret = token()
    const enc = `ENC[AES256_GCM,data:${fakeChars('ABCDEFabcdef0123456789+/', 40, 9)}=,iv:${fakeChars('ABCDEFabcdef0123456789', 43, 2)}=,tag:${fakeChars('ABCDEFabcdef0123456789', 22, 3)}==,type:str]`
    const text = `api_key: ${enc}\n# old value ${secret}\nsops:\n    mac: ${enc}\n    version: 3.9.0\n`
    const result = scanner().scanText(text, 'secrets.enc.yaml')
    expect(result.encrypted).toBe('sops')
    expect(result.findings.map((f) => f.line)).toEqual([2])
  })

  it('still recognises encrypted files that hold no keyword at all (read as bytes)', () => {
    const enc = `ENC[AES256_GCM,data:${fakeChars('ABCDEFabcdef0123456789+/', 40, 9)}=,iv:${fakeChars('ABCDEFabcdef0123456789', 43, 2)}=,tag:${fakeChars('ABCDEFabcdef0123456789', 22, 3)}==,type:str]`
    const sops = scanner().scanBytes(Buffer.from(`name: ${enc}\nsops:\n    version: 3.9.0\n`), 'plain.enc.yaml')
    expect(sops).toEqual({ findings: [], notices: [], encrypted: 'sops' })
    const age = scanner().scanBytes(Buffer.from(`age-encryption.org/v1\n-> X25519 ${fakeChars('ABCDEFabcdef0123456789', 43, 4)}\n`), 'x.age')
    expect(age.encrypted).toBe('age')
    expect(scanner().scanBytes(Buffer.from('name: plain\n'), 'plain.yaml')).toEqual({ findings: [], notices: [] })
  })
})

describe('filters and validators', () => {
  it('treats placeholders and references as non-secrets', () => {
    for (const value of ['${API_KEY}', '{{ token }}', '<your-token>', 'xxxxxxxxxxxxxxxx', 'AKIAIOSFODNN7EXAMPLE', 'changeme', 'aaaaaaaaaaaa', 'process.env.TOKEN', '$SECRET']) {
      expect(isPlaceholder(value), value).toBe(true)
    }
    expect(isPlaceholder(token())).toBe(false)
  })

  it('redacts short secrets completely and long ones to a short prefix', () => {
    expect(redact('hunter2')).toBe('********')
    expect(redact(joined('ghp_', 'q'.repeat(36)))).toBe('ghp_********')
  })

  it('checks GitHub/npm CRC32 checksums', () => {
    const body = fakeChars('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 30, 11)
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
    let n = Number(BigInt.asUintN(32, BigInt(crc(body))))
    let check = ''
    while (n > 0) {
      check = alphabet[n % 62] + check
      n = Math.floor(n / 62)
    }
    const good = joined('ghp', '_', body, check.padStart(6, '0'))
    expect(hasBase62Crc32Checksum(good, /^gh[pousr]_/)).toBe(true)
    expect(hasBase62Crc32Checksum(good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A'), /^gh[pousr]_/)).toBe(false)
  })

  it('accepts structurally valid JWTs only', () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const sig = fakeChars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-', 43, 5)
    expect(isStructurallyValidJwt(`${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: '1' })}.${sig}`)).toBe(true)
    expect(isStructurallyValidJwt(`${part({ alg: 'none' })}.${part({ sub: '1' })}.${sig}`)).toBe(false)
    expect(isStructurallyValidJwt(`${part({ typ: 'JWT' })}.${part({ sub: '1' })}.${sig}`)).toBe(false)
    expect(isStructurallyValidJwt(`bm90IGpzb24.${part({ sub: '1' })}.${sig}`)).toBe(false)
  })

  it('accepts a PEM block with a real body, not a placeholder', () => {
    const body = fakeChars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 64 * 6, 13).match(/.{64}/g)!.join('\n')
    const begin = joined('-----BEGIN ', 'RSA PRIVATE KEY-----')
    const end = joined('-----END ', 'RSA PRIVATE KEY-----')
    expect(isRealPemPrivateKey(`${begin}\n${body}\n${end}`)).toBe(true)
    expect(isRealPemPrivateKey(`${begin}\n...\n${end}`)).toBe(false)
    const lines = body.split('\n')
    expect(isRealPemPrivateKey(`  ${begin}\n${lines.map((l) => `  ${l}`).join('\n')}\n  ${end}`), 'indented (YAML block)').toBe(true)
    expect(isRealPemPrivateKey(`${begin}\\n${lines.join('\\n')}\\n${end}\\n`), 'JSON-escaped').toBe(true)
    expect(isRealPemPrivateKey(`${begin}\\n" +\n${lines.map((l) => `  "${l}\\n" +`).join('\n')}\n  "${end}`), 'concatenated').toBe(true)
    expect(isRealPemPrivateKey(`${begin}\n${'A'.repeat(200)}\n${end}`)).toBe(false)
  })
})

function crc(value: string): number {
  let c = ~0
  for (const byte of Buffer.from(value)) {
    c ^= byte
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1
  }
  return ~c >>> 0
}
