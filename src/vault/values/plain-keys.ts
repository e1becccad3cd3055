import type { PathSegment } from './aad.js'

/**
 * Plain-key patterns: a value stays in clear when any map key on its path matches one of them. A
 * pattern matches the whole key, case-sensitively; `*` matches any run of characters (also empty),
 * `?` one character, anything else itself. (Keys may hold `/` or `.`, so path-glob semantics would
 * be wrong here.)
 */
const cache = new Map<string, RegExp>()

function compile(pattern: string): RegExp {
  let regex = cache.get(pattern)
  if (!regex) {
    const source = [...pattern].map((char) => (char === '*' ? '[\\s\\S]*' : char === '?' ? '[\\s\\S]' : char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))).join('')
    regex = new RegExp(`^${source}$`, 'u')
    cache.set(pattern, regex)
  }
  return regex
}

export function keyMatches(key: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => compile(pattern).test(key))
}

export function isPlainPath(path: readonly PathSegment[], patterns: readonly string[]): boolean {
  if (patterns.length === 0) return false
  return path.some((segment) => 'key' in segment && keyMatches(segment.key, patterns))
}

/** A literal key as a pattern (for keys listed one by one, e.g. from a sops import). */
export function literalPattern(key: string): string | undefined {
  return /[*?]/.test(key) ? undefined : key
}
