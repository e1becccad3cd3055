/**
 * A parser for Go's RE2 regular expression syntax (as gitleaks writes it), into a small tree whose
 * nodes carry their resolved meaning: scoped flags such as `(?i)` or `(?s:...)` are applied while
 * parsing, so the tree can be written out as JavaScript, a glob, or a sample string without flags.
 */

export type Range = readonly [number, number]

export type Node =
  | { type: 'empty' }
  | { type: 'char'; cp: number; fold: boolean }
  /** `.`; `dotall` when (?s) was in effect. */
  | { type: 'any'; dotall: boolean }
  /** A character class; `ranges` already include \d, POSIX classes and negated items, folded when (?i). */
  | { type: 'class'; negated: boolean; ranges: Range[]; unicode: string[] }
  | { type: 'assert'; kind: 'text-start' | 'text-end' | 'line-start' | 'line-end' | 'word' | 'not-word' }
  | { type: 'group'; capture: boolean; name?: string; body: Node }
  | { type: 'repeat'; node: Node; min: number; max: number; greedy: boolean }
  | { type: 'seq'; items: Node[] }
  | { type: 'alt'; options: Node[] }

export class Re2SyntaxError extends Error {}

interface Flags {
  i: boolean
  m: boolean
  s: boolean
  U: boolean
}

export const MAX_CODE_POINT = 0x10ffff
/** Negated items inside a class are complemented over the BMP; astral characters are rare in secrets. */
const CLASS_MAX = 0xffff

const PERL: Record<string, Range[]> = {
  d: [[0x30, 0x39]],
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
}

const POSIX: Record<string, Range[]> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
}

/** Sorted, merged ranges. */
export function normaliseRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0])
  const out: [number, number][] = []
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1]
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi)
    else out.push([lo, hi])
  }
  return out
}

export function complementRanges(ranges: readonly Range[], max = CLASS_MAX): Range[] {
  const out: Range[] = []
  let next = 0
  for (const [lo, hi] of normaliseRanges(ranges)) {
    if (lo > next) out.push([next, Math.min(lo - 1, max)])
    next = Math.max(next, hi + 1)
    if (next > max) break
  }
  if (next <= max) out.push([next, max])
  return out.filter(([lo, hi]) => lo <= hi)
}

function otherCase(cp: number): number[] {
  const ch = String.fromCodePoint(cp)
  const variants = new Set([ch.toLowerCase(), ch.toUpperCase()].filter((v) => [...v].length === 1).map((v) => v.codePointAt(0)!))
  variants.delete(cp)
  return [...variants]
}

/** Adds the other case of every letter in the ranges (ASCII fully, other scripts for small ranges). */
export function foldRanges(ranges: readonly Range[]): Range[] {
  const extra: Range[] = []
  for (const [lo, hi] of ranges) {
    const asciiLo = Math.max(lo, 0x41)
    const asciiHi = Math.min(hi, 0x5a)
    if (asciiLo <= asciiHi) extra.push([asciiLo + 32, asciiHi + 32])
    const lowerLo = Math.max(lo, 0x61)
    const lowerHi = Math.min(hi, 0x7a)
    if (lowerLo <= lowerHi) extra.push([lowerLo - 32, lowerHi - 32])
    if (hi >= 0x80 && hi - Math.max(lo, 0x80) < 512) {
      for (let cp = Math.max(lo, 0x80); cp <= hi; cp++) for (const other of otherCase(cp)) extra.push([other, other])
    }
  }
  return normaliseRanges([...ranges, ...extra])
}

export function hasCaseVariant(cp: number): boolean {
  return otherCase(cp).length > 0
}

const UNICODE_NAME = /^[A-Za-z_]+$/

class Parser {
  private pos = 0
  private groups = 0

  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.parseAlt({ i: false, m: false, s: false, U: false })
    if (this.pos < this.src.length) throw this.error(`unexpected ")"`)
    return node
  }

  private error(message: string): Re2SyntaxError {
    return new Re2SyntaxError(`${message} at offset ${this.pos}`)
  }

  private peek(offset = 0): string | undefined {
    return this.src[this.pos + offset]
  }

  private parseAlt(flags: Flags): Node {
    const options: Node[] = []
    // Flag groups such as `(?i)` change the flags of the rest of the enclosing group, across `|`.
    const state = { ...flags }
    options.push(this.parseSeq(state))
    while (this.peek() === '|') {
      this.pos++
      options.push(this.parseSeq(state))
    }
    return options.length === 1 ? options[0]! : { type: 'alt', options }
  }

  private parseSeq(flags: Flags): Node {
    const items: Node[] = []
    while (this.pos < this.src.length) {
      const c = this.peek()!
      if (c === '|' || c === ')') break
      if (/^\(\?[imsU-]+\)/.test(this.src.slice(this.pos))) {
        Object.assign(flags, this.parseFlagGroupHead(flags).flags)
        continue
      }
      const atom = this.parseAtom(flags)
      items.push(this.parseRepeats(atom, flags))
    }
    if (items.length === 0) return { type: 'empty' }
    return items.length === 1 ? items[0]! : { type: 'seq', items }
  }

  /** Reads `(?flags)` or the head `(?flags:` of a scoped group, returning the flags in effect after it. */
  private parseFlagGroupHead(flags: Flags): { flags: Flags; scoped: boolean } {
    this.pos += 2
    const next = { ...flags }
    let negate = false
    let sawFlag = false
    while (this.pos < this.src.length) {
      const c = this.src[this.pos++]!
      if (c === '-') {
        if (negate) throw this.error('invalid flag group: two "-"')
        negate = true
        sawFlag = false
        continue
      }
      if (c === ')' || c === ':') {
        if (negate && !sawFlag) throw this.error('invalid flag group: "-" with no flag')
        return { flags: next, scoped: c === ':' }
      }
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        next[c] = !negate
        sawFlag = true
        continue
      }
      throw this.error(`unknown flag "${c}"`)
    }
    throw this.error('unterminated flag group')
  }

  private parseAtom(flags: Flags): Node {
    const c = this.src[this.pos]!
    switch (c) {
      case '(':
        return this.parseGroup(flags)
      case '[':
        return this.parseClass(flags)
      case '.':
        this.pos++
        return { type: 'any', dotall: flags.s }
      case '^':
        this.pos++
        return { type: 'assert', kind: flags.m ? 'line-start' : 'text-start' }
      case '$':
        this.pos++
        return { type: 'assert', kind: flags.m ? 'line-end' : 'text-end' }
      case '\\':
        return this.parseEscape(flags)
      case '*':
      case '+':
      case '?':
        throw this.error(`missing argument to repetition operator "${c}"`)
      default: {
        const cp = this.src.codePointAt(this.pos)!
        this.pos += cp > 0xffff ? 2 : 1
        return { type: 'char', cp, fold: flags.i && hasCaseVariant(cp) }
      }
    }
  }

  private parseGroup(flags: Flags): Node {
    const rest = this.src.slice(this.pos)
    if (/^\(\?[imsU-]+:/.test(rest)) {
      const scoped = this.parseFlagGroupHead(flags).flags
      const body = this.parseAlt(scoped)
      this.expect(')')
      return { type: 'group', capture: false, body }
    }
    const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest)
    if (named) {
      this.pos += named[0].length
      this.groups++
      const body = this.parseAlt(flags)
      this.expect(')')
      return { type: 'group', capture: true, name: named[1]!, body }
    }
    if (rest.startsWith('(?:')) {
      this.pos += 3
      const body = this.parseAlt(flags)
      this.expect(')')
      return { type: 'group', capture: false, body }
    }
    if (rest.startsWith('(?')) throw this.error(`unsupported group syntax "${rest.slice(0, 4)}" (RE2 has no lookaround or backreferences)`)
    this.pos++
    this.groups++
    const body = this.parseAlt(flags)
    this.expect(')')
    return { type: 'group', capture: true, body }
  }

  private expect(c: string): void {
    if (this.src[this.pos] !== c) throw this.error(`missing "${c}"`)
    this.pos++
  }

  private parseRepeats(atom: Node, flags: Flags): Node {
    let node = atom
    let repeated = false
    for (;;) {
      const c = this.peek()
      let min: number
      let max: number
      if (c === '*') [min, max] = [0, Infinity]
      else if (c === '+') [min, max] = [1, Infinity]
      else if (c === '?') [min, max] = [0, 1]
      else if (c === '{') {
        const brace = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos))
        if (!brace) return node
        min = Number(brace[1])
        max = brace[2] === undefined ? min : brace[3] === '' ? Infinity : Number(brace[3])
        if (min > 1000 || (max !== Infinity && max > 1000)) throw this.error('repeat count over 1000')
        if (max < min) throw this.error('invalid repeat count')
        this.pos += brace[0].length - 1
      } else return node
      if (repeated) throw this.error('invalid nested repetition operator')
      if (node.type === 'assert' || node.type === 'empty') throw this.error('missing argument to repetition operator')
      this.pos++
      let greedy = true
      if (this.peek() === '?') {
        greedy = false
        this.pos++
      }
      if (flags.U) greedy = !greedy
      node = { type: 'repeat', node, min, max, greedy }
      repeated = true
    }
  }

  /** An escape outside a class: an assertion, a class shorthand or a character. */
  private parseEscape(flags: Flags): Node {
    const c = this.src[this.pos + 1]
    if (c === undefined) throw this.error('trailing backslash')
    switch (c) {
      case 'A':
        this.pos += 2
        return { type: 'assert', kind: 'text-start' }
      case 'z':
        this.pos += 2
        return { type: 'assert', kind: 'text-end' }
      case 'b':
        this.pos += 2
        return { type: 'assert', kind: 'word' }
      case 'B':
        this.pos += 2
        return { type: 'assert', kind: 'not-word' }
      case 'C':
        throw this.error('\\C (any byte) has no JavaScript equivalent')
      case 'Q': {
        const end = this.src.indexOf('\\E', this.pos + 2)
        const literal = this.src.slice(this.pos + 2, end === -1 ? undefined : end)
        this.pos = end === -1 ? this.src.length : end + 2
        const items: Node[] = [...literal].map((ch) => {
          const cp = ch.codePointAt(0)!
          return { type: 'char', cp, fold: flags.i && hasCaseVariant(cp) }
        })
        return items.length === 1 ? items[0]! : items.length === 0 ? { type: 'empty' } : { type: 'group', capture: false, body: { type: 'seq', items } }
      }
    }
    const shorthand = this.parseClassEscape(flags)
    if (shorthand) return shorthand
    const cp = this.parseCharEscape()
    return { type: 'char', cp, fold: flags.i && hasCaseVariant(cp) }
  }

  /** `\d \D \s \S \w \W \pL \p{Greek} \PL`: a class; undefined when the escape is something else. */
  private parseClassEscape(flags: Flags): Node | undefined {
    const item = this.parseClassEscapeItem()
    if (!item) return undefined
    if (item.unicode) return { type: 'class', negated: false, ranges: [], unicode: [item.unicode] }
    const ranges = flags.i ? foldRanges(item.ranges!) : normaliseRanges(item.ranges!)
    return { type: 'class', negated: false, ranges, unicode: [] }
  }

  private parseClassEscapeItem(): { ranges?: Range[]; unicode?: string } | undefined {
    const c = this.src[this.pos + 1]!
    const lower = c.toLowerCase()
    if (lower === 'd' || lower === 's' || lower === 'w') {
      this.pos += 2
      const ranges = PERL[lower]!
      return { ranges: c === lower ? ranges : complementRanges(ranges) }
    }
    if (c === 'p' || c === 'P') {
      let name: string
      const braced = /^\\[pP]\{(\^?)([A-Za-z_]+)\}/.exec(this.src.slice(this.pos))
      let negated = c === 'P'
      if (braced) {
        name = braced[2]!
        if (braced[1]) negated = !negated
        this.pos += braced[0].length
      } else {
        name = this.src[this.pos + 2] ?? ''
        if (!/^[A-Za-z]$/.test(name)) throw this.error('invalid Unicode class escape')
        this.pos += 3
      }
      if (!UNICODE_NAME.test(name)) throw this.error(`invalid Unicode class "${name}"`)
      const property = name === 'Any' ? 'Any' : /^(?:[CLMNPSZ][a-z]?)$/.test(name) ? name : `Script=${name}`
      return { unicode: `\\${negated ? 'P' : 'p'}{${property}}` }
    }
    return undefined
  }

  /** A single-character escape: \n, \x41, \x{263a}, \101 (octal), or escaped punctuation. */
  private parseCharEscape(): number {
    const c = this.src[this.pos + 1]!
    const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 }
    if (c in simple) {
      this.pos += 2
      return simple[c]!
    }
    if (c === 'x') {
      const braced = /^\\x\{([0-9A-Fa-f]{1,6})\}/.exec(this.src.slice(this.pos))
      const short = /^\\x([0-9A-Fa-f]{2})/.exec(this.src.slice(this.pos))
      const match = braced ?? short
      if (!match) throw this.error('invalid \\x escape')
      const cp = parseInt(match[1]!, 16)
      if (cp > MAX_CODE_POINT) throw this.error('\\x escape out of range')
      this.pos += match[0].length
      return cp
    }
    if (/[0-7]/.test(c)) {
      const octal = /^\\([0-7]{1,3})/.exec(this.src.slice(this.pos))!
      if (c !== '0' && octal[1]!.length === 1) throw this.error(`backreference \\${c} is not supported by RE2`)
      this.pos += octal[0].length
      return parseInt(octal[1]!, 8)
    }
    const cp = c.codePointAt(0)!
    if (cp < 0x80 && !/[A-Za-z0-9]/.test(c)) {
      this.pos += 2
      return cp
    }
    throw this.error(`invalid escape "\\${c}"`)
  }

  private parseClass(flags: Flags): Node {
    const start = this.pos
    this.pos++
    let negated = false
    if (this.peek() === '^') {
      negated = true
      this.pos++
    }
    const ranges: Range[] = []
    const unicode: string[] = []
    let first = true
    while (this.pos < this.src.length && (this.peek() !== ']' || first)) {
      // A leading `-` or `]` is a literal, as in Go.
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos))
      if (posix) {
        const set = POSIX[posix[2]!]
        if (!set) throw this.error(`unknown POSIX class "${posix[2]}"`)
        ranges.push(...(posix[1] ? complementRanges(set) : set))
        this.pos += posix[0].length
        first = false
        continue
      }
      if (this.peek() === '\\') {
        const item = this.parseClassEscapeItem()
        if (item) {
          if (item.unicode) unicode.push(item.unicode)
          else ranges.push(...item.ranges!)
          first = false
          continue
        }
      }
      const lo = this.classChar()
      let hi = lo
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++
        if (this.peek() === '\\' && /[dDsSwWpP]/.test(this.peek(1) ?? '')) throw this.error('invalid character class range')
        hi = this.classChar()
        if (hi < lo) throw this.error('invalid character class range')
      }
      ranges.push([lo, hi])
      first = false
    }
    if (this.peek() !== ']') {
      this.pos = start
      throw this.error('missing closing ]')
    }
    this.pos++
    const set = flags.i ? foldRanges(ranges) : normaliseRanges(ranges)
    return { type: 'class', negated, ranges: set, unicode }
  }

  private classChar(): number {
    if (this.peek() === '\\') return this.parseCharEscape()
    const cp = this.src.codePointAt(this.pos)!
    this.pos += cp > 0xffff ? 2 : 1
    return cp
  }
}

export function parseRe2(source: string): Node {
  return new Parser(source).parse()
}
