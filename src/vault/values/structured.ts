import { CST, Parser, parseAllDocuments } from 'yaml'
import { VaultError } from '../errors.js'
import type { PathSegment, ValueType } from './aad.js'
import { isValueToken } from './value-crypto.js'

/**
 * YAML and JSON values located and rewritten through the `yaml` library's CST, which changes one
 * scalar and leaves every other byte alone (its Document API re-formats, and JSON.parse reorders
 * integer-like keys). JSON is parsed as the YAML flow syntax it is, so both share one walker.
 */
export type StructuredFormat = 'json' | 'yaml'
type ScalarToken = CST.FlowScalar | CST.BlockScalar

export interface StructuredValue {
  path: PathSegment[]
  token: ScalarToken
  /** The scalar's resolved string value (for encrypted values, the ENC token). */
  value: string
  /** The type the value has in clear (for an encrypted value: taken from its token). */
  type: ValueType
  encrypted: boolean
}

export interface StructuredDocument {
  format: StructuredFormat
  tokens: CST.Token[]
  values: StructuredValue[]
}

const NULL = /^(?:~|null|Null|NULL|)$/
const BOOL = /^(?:true|True|TRUE|false|False|FALSE)$/
const INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/
const FLOAT = /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/

/** The YAML 1.2 core-schema type of a plain scalar (JSON's literals are a subset). */
export function plainScalarType(source: string): ValueType {
  if (NULL.test(source)) return 'null'
  if (BOOL.test(source)) return 'bool'
  if (INT.test(source)) return 'int'
  if (FLOAT.test(source)) return 'float'
  return 'str'
}

function fail(format: StructuredFormat, message: string): never {
  throw new VaultError(`${format === 'json' ? 'JSON' : 'YAML'}: ${message}`, `values:${format}`)
}

function checkProps(format: StructuredFormat, tokens: readonly CST.SourceToken[] | undefined, where: string): void {
  for (const token of tokens ?? []) {
    if (token.type === 'anchor') fail(format, `anchors are not supported (${where})`)
    if (token.type === 'tag') fail(format, `explicit tags are not supported (${where})`)
  }
}

export function parseStructured(text: string, format: StructuredFormat, skipTopLevelKeys: readonly string[] = []): StructuredDocument {
  // The CST parser is lenient by design; the syntax (and unique keys) is checked strictly first.
  if (format === 'json') {
    try {
      JSON.parse(text)
    } catch (error) {
      fail(format, `not valid JSON: ${(error as Error).message}`)
    }
  }
  const problems = parseAllDocuments(text, { uniqueKeys: true }).flatMap((d) => d.errors)
  if (problems.length > 0) fail(format, `cannot parse: ${problems[0]!.message.split('\n')[0]}`)
  const tokens = [...new Parser().parse(text)]
  const documents = tokens.filter((token): token is CST.Document => token.type === 'document')
  if (documents.length !== 1) fail(format, documents.length === 0 ? 'the file is empty' : 'multiple documents are not supported')
  for (const token of tokens) {
    if (token.type === 'error') fail(format, `cannot parse: ${token.message}`)
  }
  const values: StructuredValue[] = []
  const doc = documents[0]!
  checkProps(format, doc.start, 'document')

  const visit = (node: CST.Token | null | undefined, path: PathSegment[]): void => {
    if (!node) return
    const where = path.length === 0 ? 'top level' : `at ${path.map((s) => ('key' in s ? s.key : `[${s.index}]`)).join('.')}`
    switch (node.type) {
      case 'alias':
        fail(format, `aliases are not supported (${where})`)
      case 'error':
        fail(format, `cannot parse ${where}: ${node.message}`)
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        const isMap = node.type === 'block-map' || (node.type === 'flow-collection' && node.start.source === '{')
        node.items.forEach((item, index) => {
          // The CST keeps whitespace before a closing bracket as an empty item: not a value.
          if (!item.key && !item.value && (item.sep ?? []).length === 0) return
          checkProps(format, item.start, where)
          checkProps(format, item.sep, where)
          if (isMap) {
            if (!item.key || !CST.isScalar(item.key)) fail(format, `only scalar keys are supported (${where})`)
            const key = CST.resolveAsScalar(item.key).value
            if (path.length === 0 && skipTopLevelKeys.includes(key)) return
            if (item.value === undefined || item.value === null) return
            visit(item.value, [...path, { key }])
          } else {
            visit(item.value, [...path, { index }])
          }
        })
        return
      }
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'block-scalar': {
        const resolved = CST.resolveAsScalar(node)
        const encrypted = node.type === 'double-quoted-scalar' && isValueToken(resolved.value)
        const type: ValueType = encrypted
          ? (/^ENC\[sentra:v1,([a-z]+),/.exec(resolved.value)![1] as ValueType)
          : node.type === 'scalar'
            ? plainScalarType(resolved.value)
            : 'str'
        values.push({ path, token: node, value: resolved.value, type, encrypted })
        return
      }
      default:
        return
    }
  }
  visit(doc.value, [])
  return { format, tokens, values }
}

export function stringifyStructured(doc: StructuredDocument): string {
  return doc.tokens.map((token) => CST.stringify(token)).join('')
}

/** Puts an ENC token in place of a value, as a double-quoted scalar (valid in YAML block and flow context and in JSON). */
export function setEncrypted(doc: StructuredDocument, value: StructuredValue, encToken: string): void {
  setSource(value.token, JSON.stringify(encToken), 'double-quoted-scalar')
}

/** Puts a decrypted value back with its type: strings quoted when needed, other types plain. */
export function setPlain(doc: StructuredDocument, value: StructuredValue, type: ValueType, plaintext: string): void {
  if (type !== 'str') {
    if (plainScalarType(plaintext) !== type) fail(doc.format, `decrypted ${type} value is not a valid ${type}`)
    setSource(value.token, plaintext, 'scalar')
    return
  }
  if (doc.format === 'json' || plainScalarType(plaintext) !== 'str' || /[\n\r\t"'#:{}[\],&*!|>%@`]|^[\s-?]|\s$/.test(plaintext)) {
    setSource(value.token, JSON.stringify(plaintext), 'double-quoted-scalar')
  } else {
    setSource(value.token, plaintext, 'scalar')
  }
}

function setSource(token: ScalarToken, source: string, type: 'scalar' | 'double-quoted-scalar'): void {
  if (token.type === 'block-scalar') {
    CST.setScalarValue(token, JSON.parse(type === 'scalar' ? JSON.stringify(source) : source) as string, { type: type === 'scalar' ? 'PLAIN' : 'QUOTE_DOUBLE' })
    return
  }
  // A flow scalar's source is its exact text: replacing it changes nothing else in the file.
  const flow = token as CST.FlowScalar
  flow.type = type
  flow.source = source
}

/** The plaintext to encrypt for a value: strings by value, other types by their exact source. */
export function plaintextOf(value: StructuredValue): string {
  return value.type === 'str' ? value.value : (value.token as CST.FlowScalar).source
}
