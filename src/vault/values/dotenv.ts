import { VaultError } from '../errors.js'

/**
 * A byte-preserving dotenv tokenizer. No maintained dotenv library keeps comments, blank lines and
 * order when rewriting, so sentra locates each value's exact source span and replaces only that.
 *
 * Accepted lines: blank, `# comment`, and `[export ]KEY=VALUE` where VALUE is unquoted (up to an
 * inline ` #` comment or the end of the line), or '…', "…" or `…` quoted (quoted values may span
 * lines). Anything else is an error naming the line: a file sentra cannot parse exactly is never
 * rewritten approximately.
 */
export interface DotenvEntry {
  key: string
  /** 1-based line of the key. */
  line: number
  /** Offsets of the value's raw source text (quotes included) in the file. */
  start: number
  end: number
  raw: string
}

const ASSIGNMENT = /^([ \t]*)(export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*/

export function parseDotenv(text: string): DotenvEntry[] {
  const entries: DotenvEntry[] = []
  const seen = new Map<string, number>()
  let offset = 0
  let line = 1
  while (offset < text.length) {
    const eol = text.indexOf('\n', offset)
    const lineEnd = eol === -1 ? text.length : eol
    const content = text.slice(offset, lineEnd).replace(/\r$/, '')
    const trimmed = content.trim()
    if (trimmed === '' || trimmed.startsWith('#')) {
      offset = eol === -1 ? text.length : eol + 1
      line++
      continue
    }
    const assignment = ASSIGNMENT.exec(content)
    if (!assignment) throw new VaultError(`dotenv line ${line}: expected KEY=VALUE, a # comment or a blank line`, 'values:dotenv')
    const key = assignment[3]!
    const previous = seen.get(key)
    if (previous !== undefined) throw new VaultError(`dotenv line ${line}: key ${key} is already set on line ${previous}`, 'values:dotenv')
    seen.set(key, line)
    const start = offset + assignment[0].length
    const quote = text[start]
    let end: number
    let after: number
    if (quote === '"' || quote === "'" || quote === '`') {
      end = closingQuote(text, start, quote, line)
      after = end
    } else {
      const rest = text.slice(start, lineEnd).replace(/\r$/, '')
      const comment = /[ \t]#/.exec(rest)
      const value = (comment ? rest.slice(0, comment.index) : rest).replace(/[ \t]+$/, '')
      end = start + value.length
      after = end
    }
    const trailerEnd = text.indexOf('\n', after)
    const trailer = text.slice(after, trailerEnd === -1 ? text.length : trailerEnd).replace(/\r$/, '')
    if (trailer.trim() !== '' && !/^[ \t]+#/.test(trailer) && !trailer.trim().startsWith('#')) {
      throw new VaultError(`dotenv line ${line}: unexpected text after the value of ${key}`, 'values:dotenv')
    }
    entries.push({ key, line, start, end, raw: text.slice(start, end) })
    line += countNewlines(text, offset, trailerEnd === -1 ? text.length : trailerEnd) + 1
    offset = trailerEnd === -1 ? text.length : trailerEnd + 1
  }
  return entries
}

function closingQuote(text: string, start: number, quote: string, line: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]
    if (c === '\\' && quote === '"') {
      i++
      continue
    }
    if (c === quote) return i + 1
  }
  throw new VaultError(`dotenv line ${line}: the ${quote} quote is never closed`, 'values:dotenv')
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++
  return count
}

/** The value a program sees, from its raw source text (as dotenv and shells read it). */
export function decodeDotenvValue(raw: string): string {
  const quote = raw[0]
  if (quote === "'" || quote === '`') return raw.slice(1, -1)
  if (quote === '"') {
    return raw.slice(1, -1).replace(/\\([\\"nrt$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c as 'n'] ?? c)
  }
  return raw
}

/** Replaces value spans (sorted or not) and returns the new text; every other byte is kept. */
export function replaceSpans(text: string, replacements: readonly { start: number; end: number; text: string }[]): string {
  const sorted = [...replacements].sort((a, b) => a.start - b.start)
  let out = ''
  let last = 0
  for (const replacement of sorted) {
    out += text.slice(last, replacement.start) + replacement.text
    last = replacement.end
  }
  return out + text.slice(last)
}
