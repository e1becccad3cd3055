import type { Node, Range } from './re2-parse.js'

/**
 * Samples and keywords derived from a parsed RE2 expression, for imported rules: sentra rules need
 * prefilter keywords and carry their own examples, which gitleaks rules do not.
 */

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const PRINTABLE = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)).join('')
const WHITESPACE = ' \t\n\r'

function inRanges(cp: number, ranges: readonly Range[]): boolean {
  return ranges.some(([lo, hi]) => cp >= lo && cp <= hi)
}

class Random {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0 || 1
  }
  next(n: number): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0
    return (this.state >>> 8) % n
  }
}

function classMembers(node: Extract<Node, { type: 'class' }>): { alnum: string[]; other: string[] } {
  const unicode = node.unicode.map((escape) => new RegExp(`^${escape}$`, 'u'))
  const member = (ch: string) => {
    const inside = inRanges(ch.codePointAt(0)!, node.ranges) || unicode.some((re) => re.test(ch))
    return node.negated ? !inside : inside
  }
  const alnum = [...ALNUM].filter(member)
  const other = [...PRINTABLE.replace(/[A-Za-z0-9]/g, ''), ...WHITESPACE].filter(member)
  if (alnum.length === 0 && other.length === 0 && !node.negated) {
    const first = node.ranges[0]
    if (first) other.push(String.fromCodePoint(first[0]))
  }
  return { alnum, other }
}

class Generator {
  constructor(
    private readonly random: Random,
    /** Attempt number: varies repeat counts and alternatives between attempts. */
    private readonly variant: number,
  ) {}

  gen(node: Node): string {
    switch (node.type) {
      case 'empty':
      case 'assert':
        return ''
      case 'char':
        return String.fromCodePoint(node.cp)
      case 'any':
        return ALNUM[this.random.next(ALNUM.length)]!
      case 'class': {
        const { alnum, other } = classMembers(node)
        // Mostly letters and digits: secrets are, and runs of punctuation look like placeholders.
        const pool = alnum.length >= 4 ? alnum : [...alnum, ...other]
        if (pool.length === 0) return ''
        return pool[this.random.next(pool.length)]!
      }
      case 'group':
        return this.gen(node.body)
      case 'seq':
        return node.items.map((item) => this.gen(item)).join('')
      case 'alt':
        return this.gen(node.options[this.variant === 0 ? 0 : this.random.next(node.options.length)]!)
      case 'repeat': {
        const { min, max } = node
        const run = node.node.type === 'class' || node.node.type === 'any'
        let count: number
        if (run) count = this.variant % 2 === 0 ? Math.min(max, Math.max(min, 24)) : Math.max(min, Math.min(max, 12))
        else count = min > 0 ? min : this.variant % 3 === 2 ? 0 : Math.min(1, max)
        let out = ''
        for (let i = 0; i < count; i++) out += this.gen(node.node)
        return out
      }
    }
  }
}

/** A string the expression matches (best effort: assertions are not checked; callers verify). */
export function generateSample(tree: Node, attempt: number): string {
  return new Generator(new Random(0x5e17a + attempt * 7919), attempt).gen(tree)
}

/** One of these literal strings occurs in every match (case-insensitively), or undefined. */
type Literals = string[] | undefined

function score(literals: Literals): number {
  return literals === undefined ? 0 : Math.min(...literals.map((literal) => literal.length))
}

/** The longer shortest literal wins; on a tie, fewer alternatives; then the first seen. */
function better(a: Literals, b: Literals): Literals {
  if (b === undefined) return a
  if (a === undefined) return b
  return score(b) > score(a) || (score(b) === score(a) && b.length < a.length) ? b : a
}

/** Drops literals containing another one: the shorter occurs wherever the longer does. */
function minimal(literals: string[]): string[] {
  const unique = [...new Set(literals)]
  return unique.filter((literal) => !unique.some((other) => other !== literal && literal.includes(other)))
}

function literalText(node: Node): string | undefined {
  if (node.type === 'char') return String.fromCodePoint(node.cp).toLowerCase()
  if (node.type === 'group') return literalText(node.body)
  if (node.type === 'seq') {
    let out = ''
    for (const item of node.items) {
      const text = literalText(item)
      if (text === undefined) return undefined
      out += text
    }
    return out
  }
  return undefined
}

function requiredLiterals(node: Node): Literals {
  switch (node.type) {
    case 'char':
      return [String.fromCodePoint(node.cp).toLowerCase()]
    case 'group':
      return requiredLiterals(node.body)
    case 'repeat':
      return node.min >= 1 ? requiredLiterals(node.node) : undefined
    case 'alt': {
      const all: string[] = []
      for (const option of node.options) {
        const literals = requiredLiterals(option)
        if (literals === undefined) return undefined
        all.push(...literals)
      }
      return minimal(all)
    }
    case 'seq': {
      let best: Literals
      let run = ''
      const flush = () => {
        if (run) best = better(best, [run])
        run = ''
      }
      for (const item of node.items) {
        const text = literalText(item)
        if (text !== undefined) {
          run += text
          continue
        }
        flush()
        best = better(best, requiredLiterals(item))
      }
      flush()
      return best
    }
    default:
      return undefined
  }
}

/**
 * Prefilter keywords for an expression: literals at least one of which every match contains, each
 * lower-case printable ASCII of 2+ characters; undefined when there are none.
 */
export function deriveKeywords(tree: Node): string[] | undefined {
  const literals = requiredLiterals(tree)
  if (!literals || literals.length === 0) return undefined
  if (literals.some((literal) => literal.length < 2 || !/^[\x20-\x7e]+$/.test(literal))) return undefined
  return [...new Set(literals)].sort()
}
