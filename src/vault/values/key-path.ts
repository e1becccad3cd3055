import { VaultError } from '../errors.js'
import type { PathSegment, ValueType } from './aad.js'
import { dotenvSource, parseBody, type BodyValue } from './body.js'
import { appendJsonMember, type ValuesFormat } from './metadata.js'
import { plainScalarType } from './structured.js'

/**
 * Keys as users name them on the command line (`get`, `set`, `run --as-file`): a dotenv key as it is;
 * a JSON/YAML path as dot-separated segments (`db.password`, `hosts.0`), or as a JSON array for keys
 * that hold dots (`["a.b", 0]`).
 */
export type KeySpec = Array<string | number>

export function parseKeySpec(text: string, format: ValuesFormat): KeySpec {
  if (text === '') throw new VaultError('the key must not be empty', 'usage')
  if (format === 'dotenv') return [text]
  if (text.startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new VaultError(`${text} is not a JSON array of keys and indices`, 'usage')
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || parsed.some((s) => typeof s !== 'string' && !(Number.isInteger(s) && (s as number) >= 0))) {
      throw new VaultError(`${text} is not a JSON array of keys and indices`, 'usage')
    }
    return parsed as KeySpec
  }
  return text.split('.')
}

export function describeSpec(spec: KeySpec): string {
  return spec.every((s) => typeof s === 'string' && !s.includes('.')) ? spec.join('.') : JSON.stringify(spec)
}

function segmentMatches(segment: PathSegment, spec: string | number): boolean {
  if ('key' in segment) return typeof spec === 'string' && segment.key === spec
  return typeof spec === 'number' ? segment.index === spec : /^(0|[1-9][0-9]*)$/.test(spec) && segment.index === Number(spec)
}

/** The index of the value at a key path, or -1; a path naming a mapping or a list is an error. */
export function findValue(values: readonly BodyValue[], spec: KeySpec): number {
  const index = values.findIndex((value) => value.path.length === spec.length && value.path.every((segment, i) => segmentMatches(segment, spec[i]!)))
  if (index !== -1) return index
  if (values.some((value) => value.path.length > spec.length && spec.every((s, i) => segmentMatches(value.path[i]!, s)))) {
    throw new VaultError(`${describeSpec(spec)} holds a mapping or a list, not one value: name a value inside it`, 'usage')
  }
  return -1
}

/**
 * Sets a value in a body whose values are all in clear: replaces it, or adds a new top-level key (at
 * the end). `value` is what a program should see; `type` applies to JSON/YAML.
 */
export function setClearValue(body: string, format: ValuesFormat, spec: KeySpec, value: string, type: ValueType | undefined): { body: string; added: boolean } {
  const parsed = parseBody(body, format)
  let index = findValue(parsed.values, spec)
  const existing = index === -1 ? undefined : parsed.values[index]
  const valueType: ValueType = format === 'dotenv' ? 'str' : (type ?? existing?.type ?? 'str')
  if (format !== 'dotenv' && valueType !== 'str' && plainScalarType(value) !== valueType) throw new VaultError(`"${valueType}" values look like ${exampleOf(valueType)}: the value given is not one`, 'usage')
  const source = format === 'dotenv' ? dotenvSource(value) : value
  if (index !== -1) return { body: parsed.render(new Map([[index, { type: valueType, plaintext: source }]])), added: false }
  if (spec.length !== 1 || typeof spec[0] !== 'string') throw new VaultError(`${describeSpec(spec)} does not exist: \`set\` adds top-level keys only; add nested ones with \`sentra edit\``, 'usage')
  const key = spec[0]
  let grown: string
  switch (format) {
    case 'dotenv':
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new VaultError(`${key} is not a valid dotenv key`, 'usage')
      grown = `${withNewline(body)}${key}=\n`
      break
    case 'yaml':
      grown = `${withNewline(body)}${/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key)}: null\n`
      break
    case 'json':
      grown = appendJsonMember(body.trim() === '' ? '{}\n' : body, key, 'null')
      break
  }
  const again = parseBody(grown, format)
  index = findValue(again.values, spec)
  if (index === -1) throw new VaultError(`could not add ${key}`, 'values:set')
  return { body: again.render(new Map([[index, { type: valueType, plaintext: source }]])), added: true }
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`
}

function exampleOf(type: ValueType): string {
  return { str: 'text', int: '42', float: '3.14', bool: 'true or false', null: 'null' }[type]
}
