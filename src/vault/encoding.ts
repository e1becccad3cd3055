import { createHash } from 'node:crypto'

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, only strings, safe
 * integers, booleans, null, arrays and plain objects. Everything sentra signs or hashes is encoded
 * this way, so one value has exactly one byte string.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError('canonical JSON allows only safe integers')
      return String(value)
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`)
  }
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** Strict base64 (standard alphabet, padded): returns undefined for anything else. */
export function fromBase64(text: string, expectedLength?: number): Uint8Array | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return undefined
  const bytes = new Uint8Array(Buffer.from(text, 'base64'))
  if (expectedLength !== undefined && bytes.length !== expectedLength) return undefined
  return bytes
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** Git spells paths in NFC with `/` separators; every signature binds that spelling. */
export function normalizeRepoPath(path: string): string {
  return path.normalize('NFC').split('\\').join('/').replace(/^\.\//, '')
}
