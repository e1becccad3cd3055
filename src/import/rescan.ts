import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gitSync } from '../git/exec.js'
import type { ScanContext } from '../scan/context.js'
import type { Finding } from '../scan/finding.js'
import { redact } from '../scan/redact.js'
import { RuleSet } from '../scan/ruleset.js'
import { pathFilter } from '../scan/scan-paths.js'
import { Scanner } from '../scan/scanner.js'
import { ruleMap, sentraRulesFor, type OtherTool } from './rule-map.js'

/** An entry of another tool's ignore or baseline file: a place (and what the tool saw there). */
export interface OldEntry {
  /** The entry as the user knows it, for messages. */
  label: string
  file: string
  line: number
  commit?: string
  /** The other tool's rule name or secret type. */
  rule: string
  /** detect-secrets stores the SHA-1 of the secret: the surest way to find it again. */
  hashedSecret?: string
}

export type RecoveredBy = 'secret-hash' | 'rule' | 'location'

export interface Recovered {
  entry: OldEntry
  /** Redacted findings whose fingerprints replace the entry. */
  findings: Finding[]
  by: RecoveredBy
}

export interface Unrecovered {
  entry: OldEntry
  reason: string
}

interface FileScan {
  findings: Finding[]
  /** sha1(secret) per finding, computed from the clear secret, which is then dropped. */
  hashes: string[]
  /** Findings an inline marker hides. */
  inlineAllowed: Finding[]
  error?: string
}

function readSource(ctx: ScanContext, file: string, commit: string | undefined): string {
  if (commit) {
    if (!ctx.repoRoot) throw new Error('not a git repository')
    return gitSync(['cat-file', 'blob', `${commit}:${file}`], ctx.repoRoot).toString('utf8')
  }
  return readFileSync(join(ctx.baseDir, file), 'utf8')
}

function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex')
}

function coversLine(finding: Finding, line: number): boolean {
  return finding.line <= line && line <= finding.endLine
}

function overlaps(a: Finding, b: Finding): boolean {
  const start = (f: Finding) => [f.line, f.column] as const
  const end = (f: Finding) => [f.endLine, f.endColumn] as const
  const before = (x: readonly [number, number], y: readonly [number, number]) => x[0] < y[0] || (x[0] === y[0] && x[1] < y[1])
  return before(start(a), end(b)) && before(start(b), end(a))
}

/**
 * The chosen findings plus every other finding of the same secret: two sentra rules (a provider's
 * and a generic one) can report one secret, and the old entry meant the secret, not the rule.
 */
function sameSecret(scan: FileScan, chosen: Finding[]): Finding[] {
  const hashes = new Set(chosen.map((finding) => scan.hashes[scan.findings.indexOf(finding)]))
  return scan.findings.filter((finding, i) => chosen.includes(finding) || hashes.has(scan.hashes[i]!) || chosen.some((c) => overlaps(c, finding)))
}

/**
 * Re-scans the files (at the commit, for history entries) that another tool's entries point at,
 * and finds sentra's findings behind each entry: by the secret's hash when the tool kept one, else
 * by a mapped rule on the same line, else by the line alone. Secrets are compared in memory only and
 * redacted in what is returned.
 */
export function recoverEntries(ctx: ScanContext, tool: OtherTool, entries: readonly OldEntry[]): { recovered: Recovered[]; unrecovered: Unrecovered[] } {
  const ruleSet = new RuleSet(ctx.rules)
  const scanner = new Scanner(ruleSet, { salt: ctx.salt, noRedact: true })
  const unfiltered = new Scanner(ruleSet, { salt: ctx.salt, noRedact: true, inlineAllow: false })
  const skip = pathFilter(ctx)
  const known = new Set(ctx.rules.map((rule) => rule.spec.id))
  const cache = new Map<string, FileScan>()
  const scanOf = (entry: OldEntry): FileScan => {
    const key = `${entry.commit ?? ''}\0${entry.file}`
    let scan = cache.get(key)
    if (scan) return scan
    try {
      const text = readSource(ctx, entry.file, entry.commit)
      const raw = scanner.scanText(text, entry.file).findings
      const hashes = raw.map((finding) => sha1(finding.secret))
      const findings = raw.map((finding) => ({ ...finding, secret: redact(finding.secret) }))
      const shown = new Set(findings.map((f) => `${f.fingerprint}@${f.line}:${f.column}`))
      const inlineAllowed = unfiltered
        .scanText(text, entry.file)
        .findings.map((finding) => ({ ...finding, secret: redact(finding.secret) }))
        .filter((f) => !shown.has(`${f.fingerprint}@${f.line}:${f.column}`))
      scan = { findings, hashes, inlineAllowed }
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? ''
      scan = { findings: [], hashes: [], inlineAllowed: [], error: entry.commit ? `cannot read ${entry.file} at commit ${entry.commit.slice(0, 12)}: ${message}` : `cannot read ${entry.file}: ${message}` }
    }
    cache.set(key, scan)
    return scan
  }
  const recovered: Recovered[] = []
  const unrecovered: Unrecovered[] = []
  for (const entry of entries) {
    const skipped = skip(entry.file)
    if (skipped) {
      unrecovered.push({ entry, reason: `sentra does not scan this file (${skipped}): nothing to ignore` })
      continue
    }
    const scan = scanOf(entry)
    if (scan.error) {
      unrecovered.push({ entry, reason: scan.error })
      continue
    }
    if (entry.hashedSecret) {
      const byHash = scan.findings.filter((_, i) => scan.hashes[i] === entry.hashedSecret)
      if (byHash.length > 0) {
        recovered.push({ entry, findings: sameSecret(scan, byHash), by: 'secret-hash' })
        continue
      }
    }
    const onLine = scan.findings.filter((finding) => coversLine(finding, entry.line))
    const mapped = new Set(sentraRulesFor(tool, entry.rule, known))
    const byRule = onLine.filter((finding) => mapped.has(finding.rule))
    if (byRule.length > 0) recovered.push({ entry, findings: sameSecret(scan, byRule), by: 'rule' })
    else if (onLine.length > 0) recovered.push({ entry, findings: onLine, by: 'location' })
    else if (scan.inlineAllowed.some((finding) => coversLine(finding, entry.line))) {
      unrecovered.push({ entry, reason: 'already suppressed by an inline allow marker on that line: nothing to ignore' })
    } else {
      const unmapped = ruleMap(tool)[entry.rule] === undefined ? ` (no sentra rule is mapped to ${tool}'s "${entry.rule}")` : ''
      unrecovered.push({ entry, reason: `sentra finds no secret at ${entry.file}:${entry.line}${unmapped}` })
    }
  }
  return { recovered, unrecovered }
}
