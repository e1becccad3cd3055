import { createDecipheriv, createHash } from 'node:crypto'
import { CST, parse as parseYaml } from 'yaml'
import { AgeDecryptError, decryptAge } from '../age.js'
import { VaultError } from '../errors.js'
import type { KeyHandle } from '../keystore/index.js'
import type { PathSegment, ValueType } from './aad.js'
import { dotenvSource } from './body.js'
import { parseDotenv, replaceSpans } from './dotenv.js'
import type { ValuesFormat } from './metadata.js'
import { parseStructured, plainScalarType, setPlain, stringifyStructured } from './structured.js'

/**
 * Reading sops files (YAML, JSON, dotenv; age recipients) to migrate them: the DEK unwrapped with
 * this device's key, every value decrypted (AES-256-GCM, AAD = the map keys of its path joined with
 * ':' plus ':'), and the sops MAC checked, failing closed: SHA-512 over the plaintext of every value
 * in document order (only the encrypted ones with mac_only_encrypted), compared with the decrypted
 * `mac` (AAD = `lastmodified` as stored). See fixtures/sops/FORMAT.md.
 *
 * sops cannot say who wrote a file: anyone with the public recipients can write one whose MAC
 * verifies. The import therefore asks its user to vouch for the content.
 */
const SOPS_VALUE = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:([a-z]+)\]$/
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex')

export interface SopsImport {
  /** The file in clear, without sops metadata, in its own format. */
  body: string
  /** Plain-key patterns equivalent to the sops file's unencrypted keys. */
  plainKeys: string[]
  /** Number of values sops had encrypted. */
  encrypted: number
  /** The decrypted values (for the known-secrets store). */
  values: string[]
}

interface SopsMeta {
  age?: Array<{ recipient?: unknown; enc?: unknown }>
  key_groups?: unknown
  shamir_threshold?: unknown
  lastmodified?: unknown
  mac?: unknown
  unencrypted_suffix?: unknown
  encrypted_suffix?: unknown
  unencrypted_regex?: unknown
  encrypted_regex?: unknown
  unencrypted_comment_regex?: unknown
  encrypted_comment_regex?: unknown
  mac_only_encrypted?: unknown
}

function fail(message: string): never {
  throw new VaultError(`sops: ${message}`, 'sops')
}

function decryptSopsValue(dek: Uint8Array, token: string, aad: string, where: string): { plaintext: Buffer; type: string } {
  const match = SOPS_VALUE.exec(token)
  if (!match) fail(`${where}: not a sops value`)
  const [, data, iv, tag, type] = match
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, Buffer.from(iv!, 'base64'), { authTagLength: 16 })
    decipher.setAAD(Buffer.from(aad, 'utf8'))
    decipher.setAuthTag(Buffer.from(tag!, 'base64'))
    return { plaintext: Buffer.concat([decipher.update(Buffer.from(data!, 'base64')), decipher.final()]), type: type! }
  } catch {
    fail(`${where} failed authentication: the file was changed or is damaged`)
  }
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. */
function goFloat(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return BigInt(value).toString()
  const text = String(value)
  if (!/e/i.test(text)) return text
  const [mantissa, exponent] = text.split(/e/i) as [string, string]
  const negative = mantissa.startsWith('-')
  const digits = mantissa.replace(/^-/, '').replace('.', '')
  const point = (mantissa.replace(/^-/, '').indexOf('.') === -1 ? mantissa.replace(/^-/, '').length : mantissa.replace(/^-/, '').indexOf('.')) + Number(exponent)
  const out = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`
  return (negative ? '-' : '') + out
}

/** What sops feeds the MAC for a value left in clear (its ToBytes of the parsed value). */
function clearBytes(format: ValuesFormat, type: ValueType, source: string, value: string): string {
  if (format === 'dotenv') return value
  switch (type) {
    case 'str':
      return value
    case 'bool':
      return /^true$/i.test(source) ? 'True' : 'False'
    case 'null':
      return ''
    case 'int':
      return format === 'json' ? goFloat(Number(source)) : BigInt(Number(source)).toString()
    case 'float':
      return goFloat(Number(source))
  }
}

async function unwrapDek(meta: SopsMeta, key: KeyHandle): Promise<Uint8Array> {
  if (meta.key_groups !== undefined && meta.key_groups !== null && !(Array.isArray(meta.key_groups) && meta.key_groups.length === 0)) {
    fail('key groups (Shamir secret sharing) are not supported: decrypt with sops and run `sentra encrypt` on the result')
  }
  const entries = Array.isArray(meta.age) ? meta.age : []
  if (entries.length === 0) fail('the file has no age recipients (other key types are not supported)')
  const entry = entries.find((candidate) => candidate.recipient === key.recipient)
  if (!entry || typeof entry.enc !== 'string') fail(`your key (${key.recipient}) is not one of the file's age recipients`)
  let dek: Uint8Array
  try {
    dek = await decryptAge(new TextEncoder().encode(entry.enc), key.decryptKeys())
  } catch (error) {
    if (error instanceof AgeDecryptError) fail(`cannot unwrap the data key: ${error.message}`)
    throw error
  }
  if (dek.length !== 32) fail('the data key is not 32 bytes')
  return dek
}

/** Whether sops was asked to leave this value in clear (suffix and regex rules apply to any key of the path). */
function plainBySops(meta: SopsMeta, keys: string[]): boolean {
  const any = (test: (key: string) => boolean) => keys.some(test)
  if (typeof meta.unencrypted_suffix === 'string') return any((key) => key.endsWith(meta.unencrypted_suffix as string))
  if (typeof meta.encrypted_suffix === 'string') return !any((key) => key.endsWith(meta.encrypted_suffix as string))
  if (typeof meta.unencrypted_regex === 'string') return any((key) => new RegExp(meta.unencrypted_regex as string).test(key))
  if (typeof meta.encrypted_regex === 'string') return !any((key) => new RegExp(meta.encrypted_regex as string).test(key))
  return any((key) => key.endsWith('_unencrypted'))
}

interface Leaf {
  path: PathSegment[]
  token?: string
  /** For values in clear: the MAC bytes. */
  clear?: string
}

function checkMac(meta: SopsMeta, dek: Uint8Array, leaves: Leaf[], decrypted: Map<Leaf, Buffer>): void {
  if (typeof meta.mac !== 'string' || typeof meta.lastmodified !== 'string') fail('the file has no MAC (or no lastmodified): refusing to import content whose integrity cannot be checked')
  const hash = createHash('sha512')
  const onlyEncrypted = meta.mac_only_encrypted === true
  if (onlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT)
  for (const leaf of leaves) {
    if (leaf.token !== undefined) hash.update(decrypted.get(leaf)!)
    else if (!onlyEncrypted) hash.update(leaf.clear ?? '', 'utf8')
  }
  const computed = hash.digest('hex').toUpperCase()
  const stored = decryptSopsValue(dek, meta.mac, meta.lastmodified, 'the MAC').plaintext.toString('utf8')
  if (stored !== computed) fail('the MAC does not match the values (values were changed, added, removed or reordered): refusing to import')
}

function plainPatterns(meta: SopsMeta, clearKeys: string[]): string[] {
  if (typeof meta.unencrypted_suffix === 'string') return [`*${meta.unencrypted_suffix}`]
  return [...new Set(clearKeys)].filter((key) => !/[*?]/.test(key)).sort()
}

function sentraValue(type: string, plaintext: string): { type: ValueType; text: string } {
  switch (type) {
    case 'str':
    case 'bytes':
    case 'time':
      return { type: 'str', text: plaintext }
    case 'bool':
      return { type: 'bool', text: /^true$/i.test(plaintext) ? 'true' : 'false' }
    case 'int':
    case 'float': {
      const scalar = plainScalarType(plaintext)
      if (scalar !== 'int' && scalar !== 'float') fail(`a ${type} value is not a number`)
      return { type: scalar, text: plaintext }
    }
    default:
      fail(`values of type ${type} are not supported`)
  }
}

export async function importSops(text: string, format: ValuesFormat, key: KeyHandle): Promise<SopsImport> {
  if (/^\s*#\s*ENC\[AES256_GCM,/m.test(text)) fail('encrypted comments are not supported: decrypt with `sops -d` and run `sentra encrypt` on the result')
  return format === 'dotenv' ? importDotenv(text, key) : importStructured(text, format, key)
}

async function importStructured(text: string, format: 'json' | 'yaml', key: KeyHandle): Promise<SopsImport> {
  let whole: unknown
  try {
    whole = format === 'json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true })
  } catch (error) {
    fail(`cannot parse the file: ${(error as Error).message.split('\n')[0]}`)
  }
  const meta = (whole as { sops?: SopsMeta } | null)?.sops
  if (!meta || typeof meta !== 'object') fail('no sops metadata (top-level key "sops") in this file')
  const dek = await unwrapDek(meta, key)
  const doc = parseStructured(text, format, ['sops'])
  const leaves: Leaf[] = []
  const decrypted = new Map<Leaf, Buffer>()
  const clearKeys: string[] = []
  const values: string[] = []
  let encrypted = 0
  for (const value of doc.values) {
    const keys = value.path.flatMap((segment) => ('key' in segment ? [segment.key] : []))
    const source = value.token.type === 'scalar' ? (value.token as CST.FlowScalar).source : value.value
    const isToken = SOPS_VALUE.test(value.value)
    const leaf: Leaf = isToken ? { path: value.path, token: value.value } : { path: value.path, clear: clearBytes(format, value.type, source, value.value) }
    leaves.push(leaf)
    if (isToken) {
      const where = keys.join('.') || '(root)'
      const result = decryptSopsValue(dek, value.value, `${keys.join(':')}:`, `the value of ${where}`)
      decrypted.set(leaf, result.plaintext)
      const restored = sentraValue(result.type, result.plaintext.toString('utf8'))
      setPlain(doc, value, restored.type, restored.text)
      values.push(restored.text)
      encrypted++
    } else if (plainBySops(meta, keys) && value.value !== '') {
      clearKeys.push(keys.at(-1) ?? '')
    }
  }
  checkMac(meta, dek, leaves, decrypted)
  // Drop the sops metadata: the last top-level item.
  const top = doc.tokens.find((token): token is CST.Document => token.type === 'document')?.value
  if (!top || (top.type !== 'block-map' && top.type !== 'flow-collection')) fail('the top level must be a mapping')
  const index = top.items.findIndex((item) => item.key && CST.isScalar(item.key) && CST.resolveAsScalar(item.key).value === 'sops')
  if (index !== top.items.length - 1) fail('the "sops" key must be the last top-level key')
  top.items.splice(index, 1)
  return { body: stringifyStructured(doc), plainKeys: plainPatterns(meta, clearKeys), encrypted, values }
}

async function importDotenv(text: string, key: KeyHandle): Promise<SopsImport> {
  const entries = parseDotenv(text)
  const flat = new Map<string, string>()
  for (const entry of entries) if (entry.key.startsWith('sops_')) flat.set(entry.key.slice(5), entry.raw.replace(/\\n/g, '\n'))
  if (flat.size === 0) fail('no sops metadata (sops_… lines) in this file')
  const meta: SopsMeta = { age: [] }
  for (const [name, value] of flat) {
    const list = /^age__list_(\d+)__map_(recipient|enc)$/.exec(name)
    if (list) {
      const at = Number(list[1])
      meta.age![at] ??= {}
      meta.age![at]![list[2] as 'recipient' | 'enc'] = value
    } else if (name.startsWith('key_groups')) meta.key_groups = [value]
    else if (name === 'mac_only_encrypted') meta.mac_only_encrypted = value === 'true'
    else (meta as Record<string, unknown>)[name] = value
  }
  const dek = await unwrapDek(meta, key)
  const leaves: Leaf[] = []
  const decrypted = new Map<Leaf, Buffer>()
  const clearKeys: string[] = []
  const values: string[] = []
  const spans: Array<{ start: number; end: number; text: string }> = []
  let encrypted = 0
  for (const entry of entries) {
    if (entry.key.startsWith('sops_')) {
      const lineStart = text.lastIndexOf('\n', entry.start - 1) + 1
      const lineEnd = text.indexOf('\n', entry.end)
      spans.push({ start: lineStart, end: lineEnd === -1 ? text.length : lineEnd + 1, text: '' })
      continue
    }
    if (SOPS_VALUE.test(entry.raw)) {
      const leaf: Leaf = { path: [{ key: entry.key }], token: entry.raw }
      const result = decryptSopsValue(dek, entry.raw, `${entry.key}:`, `the value of ${entry.key}`)
      leaves.push(leaf)
      decrypted.set(leaf, result.plaintext)
      const plaintext = result.plaintext.toString('utf8')
      spans.push({ start: entry.start, end: entry.end, text: dotenvSource(plaintext) })
      values.push(plaintext)
      encrypted++
    } else {
      leaves.push({ path: [{ key: entry.key }], clear: entry.raw.replace(/\\n/g, '\n') })
      if (plainBySops(meta, [entry.key]) && entry.raw !== '') clearKeys.push(entry.key)
    }
  }
  checkMac(meta, dek, leaves, decrypted)
  return { body: replaceSpans(text, spans), plainKeys: plainPatterns(meta, clearKeys), encrypted, values }
}
