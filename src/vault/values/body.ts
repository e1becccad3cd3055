import { VaultError } from '../errors.js'
import type { PathSegment, ValueType } from './aad.js'
import { decodeDotenvValue, parseDotenv, replaceSpans } from './dotenv.js'
import type { ValuesFormat } from './metadata.js'
import { isPlainPath } from './plain-keys.js'
import { parseStructured, plaintextOf, setEncrypted, setPlain, stringifyStructured } from './structured.js'
import { isValueToken } from './value-crypto.js'

/**
 * A per-value file's body (the file without its metadata) seen as a list of values, whatever the
 * format, and rewritten by replacing values only: every other byte stays.
 */
export interface BodyValue {
  path: PathSegment[]
  type: ValueType
  /** The ENC token when the value is encrypted. */
  token?: string
  /** The value as sentra encrypts it (see docs/format.md) when it is in clear. */
  plaintext?: string
  /** 1-based line of the value's key, for messages. */
  line: number
}

export type ValueChange = { token: string } | { type: ValueType; plaintext: string }

export interface Body {
  format: ValuesFormat
  text: string
  values: BodyValue[]
  /** The body with some values replaced (by index into `values`). */
  render(changes: ReadonlyMap<number, ValueChange>): string
}

function lineOf(text: string, offset: number): number {
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++
  return line
}

export function parseBody(text: string, format: ValuesFormat): Body {
  if (format === 'dotenv') {
    const entries = parseDotenv(text)
    const values = entries.map((entry): BodyValue => {
      const path = [{ key: entry.key }]
      return isValueToken(entry.raw) ? { path, type: 'str', token: entry.raw, line: entry.line } : { path, type: 'str', plaintext: entry.raw, line: entry.line }
    })
    return {
      format,
      text,
      values,
      render(changes) {
        const spans = [...changes].map(([index, change]) => ({ start: entries[index]!.start, end: entries[index]!.end, text: 'token' in change ? change.token : change.plaintext }))
        return replaceSpans(text, spans)
      },
    }
  }
  if (text.trim() === '') {
    if (format === 'json') throw new VaultError('JSON: the file is empty', 'values:json')
    return { format, text, values: [], render: () => text }
  }
  const doc = parseStructured(text, format)
  const top = doc.tokens.find((token) => token.type === 'document')
  const root = top && 'value' in top ? top.value : undefined
  if (format === 'yaml' && root && root.type !== 'block-map') throw new VaultError('YAML: the top level must be a block mapping (key: value lines)', 'values:yaml')
  if (format === 'json' && (!root || root.type !== 'flow-collection' || root.start.source !== '{')) throw new VaultError('JSON: the top level must be an object', 'values:json')
  const values = doc.values.map((value): BodyValue => {
    const line = lineOf(text, value.token.offset)
    return value.encrypted ? { path: value.path, type: value.type, token: value.value, line } : { path: value.path, type: value.type, plaintext: plaintextOf(value), line }
  })
  return {
    format,
    text,
    values,
    render(changes) {
      if (changes.size === 0) return text
      // The CST is changed in place: work on a fresh parse each time.
      const fresh = parseStructured(text, format)
      for (const [index, change] of changes) {
        const value = fresh.values[index]!
        if ('token' in change) setEncrypted(fresh, value, change.token)
        else setPlain(fresh, value, change.type, change.plaintext)
      }
      return stringifyStructured(fresh)
    },
  }
}

/** Whether a value stays in clear in this file. */
export function isPlainValue(value: BodyValue, plain: readonly string[]): boolean {
  return isPlainPath(value.path, plain)
}

/** What a program sees for a value's plaintext (dotenv source decoded; other formats as they are). */
export function programValue(format: ValuesFormat, plaintext: string): string {
  return format === 'dotenv' ? decodeDotenvValue(plaintext) : plaintext
}

/** The dotenv source for a value a program should see (quoted only when it must be). */
export function dotenvSource(value: string): string {
  if (/^[^\s'"`#\\]*$/.test(value)) return value
  if (!/['\n\r]/.test(value)) return `'${value}'`
  return `"${value.replace(/[\\"\n\r\t$]/g, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\${c}`)}"`
}

/** A stable string for a value path, used as a map key. */
export function pathKey(path: readonly PathSegment[]): string {
  return JSON.stringify(path.map((segment) => ('key' in segment ? segment.key : segment.index)))
}
