import { foldRanges, hasCaseVariant, normaliseRanges, parseRe2, Re2SyntaxError, type Node, type Range } from './re2-parse.js'

export interface ConvertedRegex {
  /** JavaScript RegExp source, or undefined when the expression could not be converted. */
  source?: string
  /** Flags the source needs (`i`, `u`); always '' when `allowFlags` is false. */
  flags: string
  /** Why it could not be converted. */
  problem?: string
  tree?: Node
}

export interface ConvertOptions {
  /**
   * Whether the result may carry flags. Rules can (`flags` in the rule); allowlist regexes cannot,
   * so for them case-insensitivity is written into the pattern (`[aA]`).
   */
  allowFlags: boolean
}

const SYNTAX = new Set('^$\\.*+?()[]{}|/')

function hex(cp: number, width: number): string {
  return cp.toString(16).toUpperCase().padStart(width, '0')
}

function controlEscape(cp: number): string | undefined {
  return ({ 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' } as Record<number, string>)[cp]
}

function unicodeEscape(cp: number): string {
  return cp > 0xffff ? `\\u{${hex(cp, 4)}}` : `\\u${hex(cp, 4)}`
}

/** Letters and digits of other scripts stay readable; everything else non-ASCII is escaped. */
function isPlainNonAscii(cp: number): boolean {
  return cp >= 0xa0 && cp <= 0xffff && /[\p{L}\p{N}]/u.test(String.fromCodePoint(cp))
}

function literal(cp: number): string {
  const ch = String.fromCodePoint(cp)
  if (/[A-Za-z0-9_ ]/.test(ch)) return ch
  if (SYNTAX.has(ch)) return `\\${ch}`
  if (cp > 0x20 && cp < 0x7f) return ch
  const control = controlEscape(cp)
  if (control) return control
  if (cp < 0x80) return `\\x${hex(cp, 2)}`
  return isPlainNonAscii(cp) ? ch : unicodeEscape(cp)
}

function classChar(cp: number): string {
  const ch = String.fromCodePoint(cp)
  if (/[A-Za-z0-9_ ]/.test(ch)) return ch
  if ('\\]-[^'.includes(ch)) return `\\${ch}`
  if (cp > 0x20 && cp < 0x7f) return ch
  const control = controlEscape(cp)
  if (control) return control
  if (cp < 0x80) return `\\x${hex(cp, 2)}`
  return unicodeEscape(cp)
}

const SHORTHANDS: [string, Range[]][] = [
  ['\\d', [[0x30, 0x39]]],
  ['\\w', [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]]],
  ['\\s', [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]]],
]

function sameRanges(a: readonly Range[], b: readonly Range[]): boolean {
  return a.length === b.length && a.every((range, i) => range[0] === b[i]![0] && range[1] === b[i]![1])
}

function closedUnderCase(ranges: readonly Range[]): boolean {
  return sameRanges(normaliseRanges(ranges), foldRanges(ranges))
}

interface Needs {
  unicode: boolean
  folded: number
  caseSensitive: number
}

function survey(node: Node, needs: Needs): void {
  switch (node.type) {
    case 'char':
      if (node.cp > 0xffff) needs.unicode = true
      if (node.fold) needs.folded++
      else if (hasCaseVariant(node.cp)) needs.caseSensitive++
      return
    case 'class':
      if (node.unicode.length > 0 || node.ranges.some(([lo]) => lo > 0xffff)) needs.unicode = true
      if (!closedUnderCase(node.ranges) || node.unicode.length > 0) needs.caseSensitive++
      return
    case 'group':
      survey(node.body, needs)
      return
    case 'repeat':
      survey(node.node, needs)
      return
    case 'seq':
      node.items.forEach((item) => survey(item, needs))
      return
    case 'alt':
      node.options.forEach((option) => survey(option, needs))
      return
    default:
      return
  }
}

class Emitter {
  constructor(
    private readonly useI: boolean,
    private readonly unicode: boolean,
  ) {}

  emit(node: Node): string {
    switch (node.type) {
      case 'empty':
        return ''
      case 'char': {
        if (!node.fold || this.useI) return literal(node.cp)
        const ch = String.fromCodePoint(node.cp)
        const variants = [...new Set([ch, ch.toLowerCase(), ch.toUpperCase()])].filter((v) => [...v].length === 1)
        return `[${variants.map((v) => classChar(v.codePointAt(0)!)).join('')}]`
      }
      case 'any':
        return node.dotall ? '[\\s\\S]' : '.'
      case 'class':
        return this.emitClass(node)
      case 'assert':
        return { 'text-start': '^', 'text-end': '$', 'line-start': '(?<![^\\n])', 'line-end': '(?![^\\n])', word: '\\b', 'not-word': '\\B' }[node.kind]
      case 'group':
        return `(${node.capture ? (node.name ? `?<${node.name}>` : '') : '?:'}${this.emit(node.body)})`
      case 'repeat': {
        const inner = this.emit(node.node)
        const atomic = node.node.type === 'char' || node.node.type === 'any' || node.node.type === 'class' || node.node.type === 'group'
        const atom = atomic ? inner : `(?:${inner})`
        const { min, max } = node
        const quantifier =
          min === 0 && max === Infinity ? '*'
          : min === 1 && max === Infinity ? '+'
          : min === 0 && max === 1 ? '?'
          : max === Infinity ? `{${min},}`
          : min === max ? `{${min}}`
          : `{${min},${max}}`
        return `${atom}${quantifier}${node.greedy ? '' : '?'}`
      }
      case 'seq':
        return node.items.map((item) => this.emit(item)).join('')
      case 'alt':
        return node.options.map((option) => this.emit(option)).join('|')
    }
  }

  private emitClass(node: Extract<Node, { type: 'class' }>): string {
    const ranges = this.unicode ? node.ranges : node.ranges.filter(([lo]) => lo <= 0xffff).map(([lo, hi]): Range => [lo, Math.min(hi, 0xffff)])
    if (node.unicode.length === 0) {
      for (const [name, set] of SHORTHANDS) {
        if (sameRanges(ranges, set)) return node.negated ? name.toUpperCase() : name
      }
    }
    if (ranges.length === 0 && node.unicode.length === 1 && !node.negated) return node.unicode[0]!
    const parts = ranges.map(([lo, hi]) => (lo === hi ? classChar(lo) : hi === lo + 1 ? `${classChar(lo)}${classChar(hi)}` : `${classChar(lo)}-${classChar(hi)}`))
    return `[${node.negated ? '^' : ''}${parts.join('')}${node.unicode.join('')}]`
  }
}

/**
 * Converts a Go RE2 expression to a JavaScript one with the same meaning: `(?i)` and other flags
 * (global, mid-pattern or scoped) become JS flags or are written into the pattern, `(?P<n>` becomes
 * `(?<n>`, `\z`/`\A` become anchors, POSIX classes become ranges, `\x{...}`/octal escapes become JS
 * escapes. What has no equivalent (`\C`, invalid syntax) is returned as a problem.
 */
export function re2ToJs(source: string, options: ConvertOptions): ConvertedRegex {
  let tree: Node
  try {
    tree = parseRe2(source)
  } catch (error) {
    if (error instanceof Re2SyntaxError) return { flags: '', problem: error.message }
    throw error
  }
  const needs: Needs = { unicode: false, folded: 0, caseSensitive: 0 }
  survey(tree, needs)
  if (needs.unicode && !options.allowFlags) {
    return { flags: '', problem: 'needs Unicode property classes or astral characters, which an allowlist regex cannot carry (no flags)', tree }
  }
  const useI = options.allowFlags && needs.folded > 0 && needs.caseSensitive === 0
  const flags = `${useI ? 'i' : ''}${needs.unicode ? 'u' : ''}`
  const out = new Emitter(useI, needs.unicode).emit(tree)
  try {
    new RegExp(out, flags)
  } catch (error) {
    return { flags: '', problem: `converted expression does not compile in JavaScript: ${(error as Error).message}`, tree }
  }
  return { source: out, flags, tree }
}
