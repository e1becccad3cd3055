import { createHmac, timingSafeEqual } from 'node:crypto'
import { CST, Parser, parse as parseYaml, parseAllDocuments } from 'yaml'
import { fromBase64 } from '../encoding.js'
import { VaultError } from '../errors.js'
import { isX25519Recipient } from '../identity.js'
import { isSigningPublicKey } from '../signing.js'
import { VALUES_FORMAT_VERSION } from './aad.js'

/**
 * The metadata of a per-value file (docs/format.md, "Per-value format"): written at the end of the
 * file as a YAML key, a JSON member or dotenv comment lines, and split off again when reading. The
 * rest of the file is its body.
 */
export type ValuesFormat = 'dotenv' | 'json' | 'yaml'
export const VALUES_FORMATS: readonly ValuesFormat[] = ['dotenv', 'json', 'yaml']

export interface RecipientEntry {
  recipient: string
  /** An armored age file holding the DEK, ending with a newline. */
  enc: string
}

export interface ValuesMetadata {
  v: 1
  path: string
  id: string
  plain: string[]
  recipients: RecipientEntry[]
  commit: string
  signer: string
  sig: string
}

export const METADATA_KEY = 'sentra'
export const DOTENV_PREFIX = '#sentra:v1 '
const DOTENV_RESERVED = '#sentra:'
/** What the signature value is replaced with in the signed bytes (see signedBytes). */
export const SIGNATURE_PLACEHOLDER = 'sentra:v1:signature-placeholder'
const DEK_COMMIT_LABEL = 'sentra/v1/dek-commit'
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----\n'
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----\n'
const FIELDS = ['v', 'path', 'id', 'plain', 'recipients', 'commit', 'signer', 'sig'] as const

function fail(message: string): never {
  throw new VaultError(message, 'values:metadata')
}

/** HMAC-SHA256(DEK, "sentra/v1/dek-commit" ‖ file id), base64. */
export function dekCommitment(dek: Uint8Array, fileId: string): string {
  return createHmac('sha256', dek).update(DEK_COMMIT_LABEL, 'ascii').update(fileId, 'ascii').digest('base64')
}

export function checkDekCommitment(dek: Uint8Array, fileId: string, commit: string): boolean {
  const expected = Buffer.from(dekCommitment(dek, fileId), 'base64')
  const given = Buffer.from(commit, 'base64')
  return expected.length === given.length && timingSafeEqual(expected, given)
}

export function newFileId(random: (n: number) => Uint8Array): string {
  return Buffer.from(random(16)).toString('hex')
}

/** Checks a parsed metadata object field by field; returns it typed. */
export function validateMetadata(value: unknown): ValuesMetadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('the sentra metadata is not a mapping')
  const meta = value as Record<string, unknown>
  const extra = Object.keys(meta).filter((key) => !(FIELDS as readonly string[]).includes(key))
  if (extra.length > 0) fail(`the sentra metadata has unknown fields: ${extra.join(', ')}`)
  const missing = FIELDS.filter((key) => !(key in meta))
  if (missing.length > 0) fail(`the sentra metadata lacks ${missing.join(', ')}`)
  if (meta.v !== VALUES_FORMAT_VERSION) fail(`unsupported per-value format version ${String(meta.v)} (this sentra reads version 1)`)
  if (typeof meta.path !== 'string' || meta.path === '') fail('the sentra metadata has an invalid path')
  if (typeof meta.id !== 'string' || !/^[0-9a-f]{32}$/.test(meta.id)) fail('the sentra metadata has an invalid file id (32 hex digits)')
  if (!Array.isArray(meta.plain) || meta.plain.some((pattern) => typeof pattern !== 'string' || pattern === '')) fail('the sentra metadata has an invalid plain-key list')
  if (!Array.isArray(meta.recipients) || meta.recipients.length === 0) fail('the sentra metadata lists no recipients')
  let previous = ''
  for (const entry of meta.recipients as unknown[]) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('a recipient entry is not a mapping')
    const { recipient, enc, ...rest } = entry as Record<string, unknown>
    if (Object.keys(rest).length > 0) fail(`a recipient entry has unknown fields: ${Object.keys(rest).join(', ')}`)
    if (!isX25519Recipient(recipient)) fail('a recipient entry has an invalid recipient (expected age1…)')
    if (typeof enc !== 'string' || !enc.startsWith(ARMOR_BEGIN) || !enc.endsWith(ARMOR_END)) fail(`the entry for ${recipient} is not an armored age file`)
    if (recipient <= previous) fail('the recipient entries are not sorted and unique')
    previous = recipient
  }
  if (typeof meta.commit !== 'string' || !fromBase64(meta.commit, 32)) fail('the sentra metadata has an invalid DEK commitment')
  if (!isSigningPublicKey(meta.signer)) fail('the sentra metadata has an invalid signer')
  if (typeof meta.sig !== 'string' || meta.sig.length !== 88 || !fromBase64(meta.sig, 64)) fail('the sentra metadata has an invalid signature value')
  return meta as unknown as ValuesMetadata
}

/** A file split into its body and its metadata block. */
export interface SplitFile {
  format: ValuesFormat
  text: string
  body: string
  meta?: ValuesMetadata
  /** Offsets of the metadata block in `text`. */
  block?: { start: number; end: number }
}

export function splitValuesFile(text: string, format: ValuesFormat): SplitFile {
  switch (format) {
    case 'dotenv':
      return splitDotenv(text)
    case 'yaml':
      return splitYaml(text)
    case 'json':
      return splitJson(text)
  }
}

/** The signed bytes' file part: the file with its signature value replaced by the placeholder. */
export function placeholderText(split: SplitFile): string {
  if (!split.meta || !split.block) fail('the file has no sentra metadata')
  const block = split.text.slice(split.block.start, split.block.end)
  const first = block.indexOf(split.meta.sig)
  if (first === -1 || block.indexOf(split.meta.sig, first + 1) !== -1) fail('the signature value must appear exactly once in the metadata')
  const at = split.block.start + first
  return split.text.slice(0, at) + SIGNATURE_PLACEHOLDER + split.text.slice(at + split.meta.sig.length)
}

/** Puts the signature in place of the placeholder of a file written with sig = SIGNATURE_PLACEHOLDER. */
export function fillSignature(text: string, signature: string): string {
  const at = text.lastIndexOf(SIGNATURE_PLACEHOLDER)
  if (at === -1) throw new Error('no signature placeholder')
  return text.slice(0, at) + signature + text.slice(at + SIGNATURE_PLACEHOLDER.length)
}

// ---- dotenv: trailing `#sentra:v1 field=<JSON>` lines ----

function lineStarts(text: string): number[] {
  const starts = [0]
  for (let i = text.indexOf('\n'); i !== -1 && i + 1 < text.length; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return text.length === 0 ? [] : starts
}

function splitDotenv(text: string): SplitFile {
  const starts = lineStarts(text)
  const reserved = starts.filter((start) => text.startsWith(DOTENV_RESERVED, start))
  if (reserved.length === 0) return { format: 'dotenv', text, body: text }
  const blockStart = reserved[0]!
  const blockLines = starts.filter((start) => start >= blockStart)
  if (blockLines.length !== reserved.length) {
    const line = starts.indexOf(blockLines.find((start) => !text.startsWith(DOTENV_RESERVED, start))!) + 1
    fail(`dotenv line ${line}: the #sentra: metadata lines must be the last lines of the file (found other text after them)`)
  }
  const fields: Array<[string, unknown]> = []
  for (const start of blockLines) {
    const end = text.indexOf('\n', start)
    const line = text.slice(start, end === -1 ? text.length : end).replace(/\r$/, '')
    const match = /^#sentra:v1 ([a-z]+)=(.*)$/.exec(line)
    if (!match) fail(`dotenv line ${starts.indexOf(start) + 1}: a #sentra: line must read "#sentra:v1 field=<JSON value>"`)
    let value: unknown
    try {
      value = JSON.parse(match[2]!)
    } catch {
      fail(`dotenv line ${starts.indexOf(start) + 1}: the value of ${match[1]} is not valid JSON`)
    }
    fields.push([match[1]!, value])
  }
  const names = fields.map(([name]) => name)
  const recipientCount = names.filter((name) => name === 'recipient').length
  const expected = ['v', 'path', 'id', 'plain', ...Array<string>(Math.max(recipientCount, 1)).fill('recipient'), 'commit', 'signer', 'sig']
  if (names.join(',') !== expected.join(',')) fail(`the #sentra:v1 lines must be, in order: v, path, id, plain, recipient (one per entry), commit, signer, sig`)
  const meta: Record<string, unknown> = { recipients: fields.filter(([name]) => name === 'recipient').map(([, value]) => value) }
  for (const [name, value] of fields) if (name !== 'recipient') meta[name] = value
  return { format: 'dotenv', text, body: text.slice(0, blockStart), meta: validateMetadata(meta), block: { start: blockStart, end: text.length } }
}

function dotenvBlock(meta: ValuesMetadata): string {
  const lines = [
    `v=${JSON.stringify(meta.v)}`,
    `path=${JSON.stringify(meta.path)}`,
    `id=${JSON.stringify(meta.id)}`,
    `plain=${JSON.stringify(meta.plain)}`,
    ...meta.recipients.map((entry) => `recipient=${JSON.stringify({ recipient: entry.recipient, enc: entry.enc })}`),
    `commit=${JSON.stringify(meta.commit)}`,
    `signer=${JSON.stringify(meta.signer)}`,
    `sig=${JSON.stringify(meta.sig)}`,
  ]
  return lines.map((line) => `${DOTENV_PREFIX}${line}\n`).join('')
}

// ---- YAML: the last top-level key `sentra:` ----

function strictYaml(text: string, what: string): void {
  const documents = parseAllDocuments(text, { uniqueKeys: true })
  const list = Array.isArray(documents) ? documents : [documents]
  const problems = list.flatMap((doc) => doc.errors)
  if (problems.length > 0) throw new VaultError(`${what}: cannot parse: ${problems[0]!.message.split('\n')[0]}`, 'values:yaml')
  if (list.length > 1) throw new VaultError(`${what}: multiple documents are not supported`, 'values:yaml')
}

function topLevel(text: string): CST.Document | undefined {
  return [...new Parser().parse(text)].find((token): token is CST.Document => token.type === 'document')
}

function scalarKey(token: CST.Token | null | undefined): string | undefined {
  if (!token || !CST.isScalar(token)) return undefined
  return CST.resolveAsScalar(token).value
}

function splitYaml(text: string): SplitFile {
  strictYaml(text, 'YAML')
  const doc = topLevel(text)
  const map = doc?.value
  if (!map || map.type !== 'block-map') return { format: 'yaml', text, body: text }
  const index = map.items.findIndex((item) => scalarKey(item.key) === METADATA_KEY)
  if (index === -1) return { format: 'yaml', text, body: text }
  if (index !== map.items.length - 1) fail('the top-level key "sentra" (sentra\'s metadata) must be the last key of the file')
  const key = map.items[index]!.key!
  if (key.offset !== 0 && text[key.offset - 1] !== '\n') fail('the top-level key "sentra" must start a line')
  const block = text.slice(key.offset)
  let parsed: unknown
  try {
    parsed = parseYaml(block, { uniqueKeys: true, maxAliasCount: 0 })
  } catch {
    fail('the sentra metadata is not valid YAML')
  }
  if (typeof parsed !== 'object' || parsed === null || Object.keys(parsed).length !== 1) fail('nothing may follow the sentra metadata')
  return { format: 'yaml', text, body: text.slice(0, key.offset), meta: validateMetadata((parsed as Record<string, unknown>)[METADATA_KEY]), block: { start: key.offset, end: text.length } }
}

function yamlBlock(meta: ValuesMetadata): string {
  const lines = [
    `${METADATA_KEY}:`,
    `  v: ${meta.v}`,
    `  path: ${JSON.stringify(meta.path)}`,
    `  id: ${JSON.stringify(meta.id)}`,
    `  plain: [${meta.plain.map((pattern) => JSON.stringify(pattern)).join(', ')}]`,
    '  recipients:',
    ...meta.recipients.flatMap((entry) => [
      `    - recipient: ${JSON.stringify(entry.recipient)}`,
      '      enc: |',
      ...entry.enc.replace(/\n$/, '').split('\n').map((line) => `        ${line}`),
    ]),
    `  commit: ${JSON.stringify(meta.commit)}`,
    `  signer: ${JSON.stringify(meta.signer)}`,
    `  sig: ${JSON.stringify(meta.sig)}`,
  ]
  return `${lines.join('\n')}\n`
}

// ---- JSON: the last member `"sentra": {…}` of the top-level object ----

function tokenEnd(token: CST.Token): number {
  if (token.type === 'flow-collection') {
    const close = [...token.end].reverse().find((end) => end.type === 'flow-map-end' || end.type === 'flow-seq-end')
    if (!close) fail('unterminated JSON collection')
    return close.offset + 1
  }
  if ('source' in token && typeof token.source === 'string' && 'offset' in token) return token.offset + token.source.length
  fail('unexpected JSON token')
}

function jsonObject(text: string): CST.FlowCollection {
  const doc = topLevel(text)
  const value = doc?.value
  if (!value || value.type !== 'flow-collection' || value.start.source !== '{') throw new VaultError('JSON: the top level must be an object', 'values:json')
  return value
}

function splitJson(text: string): SplitFile {
  try {
    JSON.parse(text)
  } catch (error) {
    throw new VaultError(`JSON: not valid JSON: ${(error as Error).message}`, 'values:json')
  }
  const object = jsonObject(text)
  const index = object.items.findIndex((item) => scalarKey(item.key) === METADATA_KEY)
  if (index === -1) return { format: 'json', text, body: text }
  if (index !== object.items.length - 1) fail('the member "sentra" (sentra\'s metadata) must be the last member of the top-level object')
  const item = object.items[index]!
  if (!item.value) fail('the member "sentra" has no value')
  const start = item.key!.offset
  const end = tokenEnd(item.value)
  const previous = object.items[index - 1]
  const bodyEnd = previous?.value ? tokenEnd(previous.value) : object.start.offset + 1
  const meta = (JSON.parse(`{${text.slice(start, end)}}`) as Record<string, unknown>)[METADATA_KEY]
  return { format: 'json', text, body: text.slice(0, bodyEnd) + text.slice(end), meta: validateMetadata(meta), block: { start, end } }
}

/**
 * Appends a member to the top-level object of a JSON text, after its last member, indented like the
 * others (on one line when the object is). `value` is the member's JSON text (may span lines, at
 * indentation zero).
 */
export function appendJsonMember(body: string, key: string, value: string): string {
  const object = jsonObject(body)
  const close = tokenEnd(object) - 1
  const last = object.items.at(-1)
  const at = last?.value ? tokenEnd(last.value) : object.start.offset + 1
  const multiLine = body.slice(object.start.offset, close).includes('\n')
  if (!multiLine && last) {
    const member = `${JSON.stringify(key)}: ${value.replace(/\n\s*/g, ' ')}`
    return body.slice(0, at) + `, ${member}` + body.slice(at)
  }
  let indent = '  '
  if (last) {
    const first = object.items[0]!.key!
    const lineStart = body.lastIndexOf('\n', first.offset - 1) + 1
    const lead = body.slice(lineStart, first.offset)
    if (/^[ \t]+$/.test(lead)) indent = lead
  }
  const member = `\n${indent}${JSON.stringify(key)}: ${value.split('\n').join(`\n${indent}`)}`
  // `{}` becomes a multi-line object, which splits back to `{\n}` and is written the same way again.
  return body.slice(0, at) + (last ? `,${member}` : member) + (multiLine ? '' : '\n') + body.slice(at)
}

/** The indentation unit of a JSON text's top-level members (two spaces by default). */
function jsonIndent(body: string): string {
  const object = jsonObject(body)
  const first = object.items[0]?.key
  if (!first) return '  '
  const lead = body.slice(body.lastIndexOf('\n', first.offset - 1) + 1, first.offset)
  return /^[ \t]+$/.test(lead) ? lead : '  '
}

function jsonInsert(body: string, meta: ValuesMetadata): string {
  return appendJsonMember(body, METADATA_KEY, JSON.stringify(meta, null, jsonIndent(body)))
}

/** Joins a body and its metadata (signature field as given, usually the placeholder). */
export function joinValuesFile(body: string, meta: ValuesMetadata, format: ValuesFormat): string {
  switch (format) {
    case 'dotenv':
      return withNewline(body) + dotenvBlock(meta)
    case 'yaml':
      return withNewline(body) + yamlBlock(meta)
    case 'json':
      return jsonInsert(body.trim() === '' ? '{}\n' : body, meta)
  }
}

function withNewline(body: string): string {
  return body === '' || body.endsWith('\n') ? body : `${body}\n`
}
