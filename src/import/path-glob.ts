import micromatch from 'micromatch'
import { parseRe2, Re2SyntaxError, type Node, type Range } from './re2-parse.js'

export interface PathGlobResult {
  glob?: string
  problem?: string
  /** The glob is close to, not exactly, the regex (e.g. `.*` in the middle cannot cross `/`). */
  approximate?: string
}

class Unsupported extends Error {}

const GLOB_SPECIAL = /[*?[\]{}()!+@,\\]/

function globChar(cp: number, fold: boolean): string {
  const ch = String.fromCodePoint(cp)
  if (fold && ch.toLowerCase() !== ch.toUpperCase()) return `[${ch.toLowerCase()}${ch.toUpperCase()}]`
  if (cp < 0x20 || cp === 0x7f) throw new Unsupported('control character')
  return GLOB_SPECIAL.test(ch) ? `\\${ch}` : ch
}

function globClass(node: Extract<Node, { type: 'class' }>): string {
  if (node.unicode.length > 0) throw new Unsupported('Unicode class')
  const ranges = node.ranges.filter(([lo]) => lo <= 0x7e)
  if (ranges.some(([lo, hi]) => lo < 0x20 || hi > 0x7e) && !node.negated) throw new Unsupported('non-ASCII class')
  const clip = ranges.map(([lo, hi]): Range => [Math.max(lo, 0x20), Math.min(hi, 0x7e)]).filter(([lo, hi]) => lo <= hi)
  const esc = (cp: number) => {
    const ch = String.fromCharCode(cp)
    return /[\]\\^!-]/.test(ch) ? `\\${ch}` : ch
  }
  const body = clip.map(([lo, hi]) => (lo === hi ? esc(lo) : `${esc(lo)}-${esc(hi)}`)).join('')
  if (body === '') throw new Unsupported('empty class')
  return `[${node.negated ? '!' : ''}${body}]`
}

function isAnyRun(node: Node): boolean {
  if (node.type === 'group') return isAnyRun(node.body)
  return node.type === 'repeat' && node.min === 0 && node.max === Infinity && node.node.type === 'any'
}

function isSegmentRun(node: Node): boolean {
  if (node.type === 'group') return isSegmentRun(node.body)
  if (node.type !== 'repeat' || node.max !== Infinity || node.min > 1) return false
  const inner = node.node
  return inner.type === 'class' && inner.negated && inner.ranges.length === 1 && inner.ranges[0]![0] === 0x2f && inner.ranges[0]![1] === 0x2f
}

/** `(^|/)` or `(?:^|/)`: the start of a path segment. */
function isSegmentStart(node: Node): boolean {
  if (node.type !== 'group' || node.body.type !== 'alt' || node.body.options.length !== 2) return false
  const [a, b] = node.body.options as [Node, Node]
  const start = (n: Node) => n.type === 'assert' && n.kind === 'text-start'
  const slash = (n: Node) => n.type === 'char' && n.cp === 0x2f
  return (start(a) && slash(b)) || (slash(a) && start(b))
}

class GlobWriter {
  approximate: string | undefined

  write(node: Node): string {
    switch (node.type) {
      case 'empty':
        return ''
      case 'char':
        return globChar(node.cp, node.fold)
      case 'any':
        return '?'
      case 'class':
        return globClass(node)
      case 'group':
        return this.write(node.body)
      case 'alt':
        return `{${node.options.map((option) => this.write(option)).join(',')}}`
      case 'seq':
        return node.items.map((item) => this.write(item)).join('')
      case 'repeat':
        if (isSegmentRun(node)) return '*'
        if (isAnyRun(node)) {
          this.approximate = '`.*` inside a path regex became `*`, which does not cross `/`'
          return '*'
        }
        if (node.min === 0 && node.max === 1) return `{,${this.write(node.node)}}`
        throw new Unsupported('repetition')
      case 'assert':
        throw new Unsupported(`anchor or boundary in the middle of the path`)
    }
  }
}

/**
 * Converts a gitleaks path regex (RE2, matched anywhere in the path) to a micromatch glob, for the
 * shapes people write: literals, `\.ext$`, `(^|/)dir/`, `(a|b)`, `[^/]*`, `.*` and `?`. Anything else
 * is reported as a problem rather than guessed.
 */
export function pathRegexToGlob(source: string): PathGlobResult {
  let tree: Node
  try {
    tree = parseRe2(source)
  } catch (error) {
    if (error instanceof Re2SyntaxError) return { problem: error.message }
    throw error
  }
  let items: Node[] = tree.type === 'seq' ? [...tree.items] : [tree]
  let prefix = '**/*'
  let suffix: string | undefined
  const first = items[0]
  if (first?.type === 'assert' && first.kind === 'text-start') {
    prefix = ''
    items = items.slice(1)
  } else if (first && isSegmentStart(first)) {
    prefix = '**/'
    items = items.slice(1)
  } else if (first && isAnyRun(first)) items = items.slice(1)
  const last = items[items.length - 1]
  if (last?.type === 'assert' && last.kind === 'text-end') {
    suffix = ''
    items = items.slice(0, -1)
  } else if (last && isAnyRun(last)) items = items.slice(0, -1)
  const writer = new GlobWriter()
  let body: string
  try {
    body = items.map((item) => writer.write(item)).join('')
  } catch (error) {
    if (error instanceof Unsupported) return { problem: `path regex has no glob equivalent (${error.message})` }
    throw error
  }
  if (body === '') return { problem: 'path regex matches every path' }
  if (prefix === '**/*' && body.startsWith('/')) prefix = '**'
  suffix ??= body.endsWith('/') ? '**' : '{,/**}'
  if (prefix === '**/*' && suffix === '{,/**}') suffix = '*{,/**}'
  else if (prefix === '**/*' && suffix === '') prefix = '**/*'
  else if (prefix !== '**/*' && suffix === '{,/**}') suffix = '*{,/**}'
  const glob = `${prefix}${body}${suffix}`
  try {
    micromatch.makeRe(glob)
  } catch (error) {
    return { problem: `converted glob "${glob}" is invalid: ${(error as Error).message}` }
  }
  const result: PathGlobResult = { glob }
  if (writer.approximate) result.approximate = writer.approximate
  return result
}
