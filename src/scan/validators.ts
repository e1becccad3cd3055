import { crc32 } from 'node:zlib'

/** Offline structural checks. Each returns true when the candidate could be a real credential. */
export type ValidatorName = 'github-checksum' | 'npm-checksum' | 'jwt' | 'pem-private-key'

const BASE62_UPPER_FIRST = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const BASE62_LOWER_FIRST = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

function base62(value: number, alphabet: string, width: number): string {
  let out = ''
  let n = value >>> 0
  while (n > 0) {
    out = alphabet[n % 62] + out
    n = Math.floor(n / 62)
  }
  return out.padStart(width, '0')
}

/**
 * GitHub and npm tokens end in six base62 characters holding the CRC32 of the random part
 * before them. Implementations disagree on the base62 alphabet's case order, so both are accepted.
 */
export function hasBase62Crc32Checksum(token: string, prefix: RegExp): boolean {
  const body = token.replace(prefix, '')
  if (body.length <= 6 || !/^[A-Za-z0-9]+$/.test(body)) return false
  const random = body.slice(0, -6)
  const check = body.slice(-6)
  const crc = crc32(Buffer.from(random, 'latin1'))
  return check === base62(crc, BASE62_UPPER_FIRST, 6) || check === base62(crc, BASE62_LOWER_FIRST, 6)
}

function decodeBase64UrlJson(part: string): unknown {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(part)) return undefined
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

/** A JWT whose header and payload are JSON objects and whose header names an algorithm. */
export function isStructurallyValidJwt(token: string): boolean {
  const parts = token.split('.')
  if (parts.length !== 3) return false
  const header = decodeBase64UrlJson(parts[0]!)
  const payload = decodeBase64UrlJson(parts[1]!)
  if (!header || typeof header !== 'object' || Array.isArray(header)) return false
  if (typeof (header as Record<string, unknown>).alg !== 'string') return false
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return false
  // An unsigned token ("alg":"none") carries no secret worth stopping a commit for.
  if ((header as Record<string, unknown>).alg === 'none') return false
  return parts[2]!.length >= 16
}

/**
 * A PEM private key whose body is real base64 of a plausible size, not "...", "<key>" or a
 * line of X's. Encrypted legacy PEM carries Proc-Type/DEK-Info headers before the body.
 */
export function isRealPemPrivateKey(block: string): boolean {
  // Keys also live in JSON strings ("\n" escapes), YAML blocks (indented) and concatenated code strings.
  const lines = block.replace(/\\r\\n|\\n/g, '\n').split(/\r?\n/)
  const body = lines
    .map((line) => line.trim().replace(/^[+"'`,\s]+|[+"'`,;\s]+$/g, ''))
    .filter((line) => line !== '' && !line.startsWith('-----') && !/^[A-Za-z-]+:/.test(line))
    .join('')
  if (body.length < 64) return false
  if (!/^[A-Za-z0-9+/=]+$/.test(body)) return false
  return new Set(body).size >= 20
}

export function runValidator(name: ValidatorName, secret: string): boolean {
  switch (name) {
    case 'github-checksum':
      return hasBase62Crc32Checksum(secret, /^gh[pousr]_/)
    case 'npm-checksum':
      return hasBase62Crc32Checksum(secret, /^npm_/)
    case 'jwt':
      return isStructurallyValidJwt(secret)
    case 'pem-private-key':
      return isRealPemPrivateKey(secret)
  }
}
