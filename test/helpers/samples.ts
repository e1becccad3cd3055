/**
 * Realistic fake secrets are never written literally in this repository (other scanners, and sentra's
 * own scan of itself, would flag them): tests build them at run time from parts or base64.
 */
export function b64(encoded: string): string {
  return Buffer.from(encoded, 'base64').toString('utf8')
}

export function joined(...parts: string[]): string {
  return parts.join('')
}

/** A deterministic pseudo-random string over an alphabet, for fake tokens of the right shape. */
export function fakeChars(alphabet: string, length: number, seed = 1): string {
  let state = seed >>> 0 || 1
  let out = ''
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    out += alphabet[state % alphabet.length]
  }
  return out
}

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const HEX = '0123456789abcdef'
