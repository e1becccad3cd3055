import type { Finding, Notice } from './finding.js'
import type { RuleSet } from './ruleset.js'
import { allowedInline } from './inline-allow.js'
import { detectEncrypted, maskEncrypted, mayBeEncrypted } from './encrypted.js'
import { fingerprint } from './fingerprint.js'
import { matchRule, type RawMatch } from './match.js'
import { redact } from './redact.js'
import { lineAt, lineStarts, looksBinary, positionOf } from './text.js'

export interface ScannerOptions {
  /** Per-repo salt of finding fingerprints. */
  salt: string
  /** Report secrets in clear: only with an explicit --no-redact. */
  noRedact?: boolean
  /** Honour inline allow markers (default true). */
  inlineAllow?: boolean
}

export interface TextScanResult {
  findings: Finding[]
  notices: Notice[]
  /** The file was recognised as sentra/sops/age ciphertext: only key names and comments were scanned. */
  encrypted?: string
}

/** Lines longer than this are scanned in overlapping windows, so no regex ever runs over megabytes at once. */
export const LONG_LINE = 32 * 1024
const WINDOW = 32 * 1024
/** Larger than any single-line secret (a 4096-bit RSA key in a JSON string is ~3.3 KB). */
const WINDOW_OVERLAP = 6 * 1024
/** Past this, the rest of a single line is skipped with a notice. */
export const LONG_LINE_CAP = 8 * 1024 * 1024

interface Segment {
  start: number
  end: number
}

/** Detects secrets in texts with a rule set; pure: no I/O, no global state. */
export class Scanner {
  private readonly hits: Uint8Array

  constructor(
    readonly ruleSet: RuleSet,
    readonly options: ScannerOptions,
  ) {
    this.hits = new Uint8Array(ruleSet.size)
  }

  /** Scans file bytes: binary files are skipped with a notice, text is decoded as UTF-8 (lossy). */
  scanBytes(bytes: Uint8Array, file: string): TextScanResult {
    if (looksBinary(bytes)) return { findings: [], notices: [{ file, kind: 'binary', message: 'binary file skipped' }] }
    // The prefilter runs on the bytes first (same result as on the text, see KeywordAutomaton): most
    // files of ordinary code hold no keyword at all and are then never decoded.
    const hits = this.hits
    hits.fill(0)
    const found = this.ruleSet.automaton.scanBytes(bytes, hits)
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    // Still decoded: possibly encrypted files (reported as such), and files long enough for the
    // long-line cap (reported when it cuts a line).
    if (found === 0 && bytes.length <= LONG_LINE_CAP && !mayBeEncrypted(buffer)) return { findings: [], notices: [] }
    return this.scanDecoded(buffer.toString('utf8'), file, found > 0)
  }

  scanText(input: string, file: string): TextScanResult {
    return this.scanDecoded(input, file, false)
  }

  /**
   * `prefiltered`: `this.hits` already holds the prefilter's verdict on the whole undecoded text,
   * valid when the text is scanned as one piece and unmasked.
   */
  private scanDecoded(input: string, file: string, prefiltered: boolean): TextScanResult {
    const notices: Notice[] = []
    const encrypted = detectEncrypted(input)
    const text = encrypted ? maskEncrypted(input, encrypted) : input
    const findings: Finding[] = []
    const seen = new Set<string>()
    let starts: number[] | undefined
    for (const segment of this.segments(text, file, notices)) {
      const whole = segment.start === 0 && segment.end === text.length
      const chunk = whole ? text : text.slice(segment.start, segment.end)
      const hitsReady = prefiltered && whole && !encrypted
      for (const raw of this.matchChunk(chunk, file, hitsReady)) {
        const secretStart = segment.start + raw.secretStart
        const key = `${raw.rule.index}:${secretStart}`
        if (seen.has(key)) continue
        seen.add(key)
        starts ??= lineStarts(text)
        const begin = positionOf(starts, secretStart)
        const finish = positionOf(starts, segment.start + raw.secretEnd)
        if (this.options.inlineAllow !== false) {
          const previous = begin.line > 1 ? lineAt(input, starts, begin.line - 1) : undefined
          if (allowedInline(lineAt(input, starts, begin.line), previous)) continue
        }
        const spec = raw.rule.spec
        findings.push({
          rule: spec.id,
          description: spec.description,
          severity: spec.severity,
          tags: spec.tags,
          file,
          line: begin.line,
          column: begin.column,
          endLine: finish.line,
          endColumn: finish.column,
          secret: this.options.noRedact ? raw.secret : redact(raw.secret),
          fingerprint: fingerprint(spec.id, raw.secret, this.options.salt),
        })
      }
    }
    findings.sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule))
    const result: TextScanResult = { findings, notices }
    if (encrypted) result.encrypted = encrypted
    return result
  }

  /** Runs the prefilter over a chunk and then only the regexes of the rules it selected. */
  private matchChunk(chunk: string, file: string, hitsReady: boolean): RawMatch[] {
    const hits = this.hits
    if (!hitsReady) {
      hits.fill(0)
      if (this.ruleSet.automaton.scan(chunk, hits) === 0) return []
    }
    const out: RawMatch[] = []
    for (const rule of this.ruleSet.rules) {
      if (hits[rule.index] === 0 || !this.ruleSet.appliesTo(rule, file)) continue
      for (const match of matchRule(rule, chunk)) out.push(match)
    }
    return out
  }

  /**
   * Splits a text into the pieces regexes run over: runs of ordinary lines whole (so multi-line
   * secrets are found), and each very long line in overlapping windows up to a hard cap.
   */
  private segments(text: string, file: string, notices: Notice[]): Segment[] {
    if (text.length <= LONG_LINE) return [{ start: 0, end: text.length }]
    const segments: Segment[] = []
    let runStart = 0
    let lineStart = 0
    while (lineStart < text.length) {
      const newline = text.indexOf('\n', lineStart)
      const lineEnd = newline === -1 ? text.length : newline
      if (lineEnd - lineStart > LONG_LINE) {
        if (lineStart > runStart) segments.push({ start: runStart, end: lineStart })
        const capEnd = Math.min(lineEnd, lineStart + LONG_LINE_CAP)
        for (let w = lineStart; w < capEnd; w += WINDOW - WINDOW_OVERLAP) {
          segments.push({ start: w, end: Math.min(w + WINDOW, capEnd) })
          if (w + WINDOW >= capEnd) break
        }
        if (capEnd < lineEnd) {
          const line = positionOf(lineStarts(text.slice(0, lineStart + 1)), lineStart).line
          notices.push({
            file,
            kind: 'long-line',
            message: `line ${line} is ${lineEnd - lineStart} characters long; only its first ${LONG_LINE_CAP} were scanned`,
          })
        }
        runStart = newline === -1 ? text.length : newline + 1
      }
      lineStart = newline === -1 ? text.length : newline + 1
    }
    if (runStart < text.length) segments.push({ start: runStart, end: text.length })
    return segments
  }
}
