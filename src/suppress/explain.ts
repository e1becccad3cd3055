import type { SentraConfig } from '../config/config.js'
import { fingerprint } from '../scan/fingerprint.js'
import { allowedInline } from '../scan/inline-allow.js'
import { matchRule } from '../scan/match.js'
import type { LoadedRule } from '../scan/patterns.js'
import { redact } from '../scan/redact.js'
import { compileRule, type Severity } from '../scan/rule.js'
import { anyGlob, RuleSet } from '../scan/ruleset.js'
import { lineAt, lineStarts, positionOf } from '../scan/text.js'
import type { IgnoreEntry } from './ignore-file.js'

export type Verdict = 'found' | 'dropped' | 'suppressed' | 'skipped'

/** What one rule made of a text: a finding, a match it dropped (and why), or why it did not run. */
export interface Explanation {
  rule: string
  severity: Severity
  verdict: Verdict
  reason?: string
  line?: number
  column?: number
  /** Redacted unless asked otherwise. */
  secret?: string
  fingerprint?: string
}

export interface ExplainOptions {
  /** The built-in library and custom rules before the config's disabling and thresholds. */
  allRules: LoadedRule[]
  /** The rules a scan runs (effectiveRules). */
  activeRules: LoadedRule[]
  config: SentraConfig
  salt: string
  /** The path the text is treated as coming from (for path rules and allowlists). */
  path: string
  ignores?: readonly IgnoreEntry[]
  noRedact?: boolean
  /** Only this rule. */
  only?: string
}

/**
 * `sentra patterns test`: runs every rule over a text the way a scan would, and reports for each
 * rule that matched anything whether it became a finding, or which step dropped it (entropy,
 * placeholder, stopword, allow regex, validator, inline marker, .sentraignore, path rules, missing
 * keyword, disabled or below minSeverity).
 */
export function explainText(text: string, options: ExplainOptions): Explanation[] {
  const out: Explanation[] = []
  const active = new RuleSet(options.activeRules)
  const activeById = new Map(active.rules.map((rule) => [rule.id, rule]))
  const lower = text.toLowerCase()
  const starts = lineStarts(text)
  const show = (secret: string) => (options.noRedact ? secret : redact(secret))
  const pathAllowed = options.config.allowlist?.paths?.length ? anyGlob(options.config.allowlist.paths)(options.path) : false
  const fixture = options.config.fixtures?.length ? anyGlob(options.config.fixtures)(options.path) : false
  const disabled = new Set(options.config.disabledRules ?? [])
  options.allRules.forEach(({ spec, source }, index) => {
    if (options.only && spec.id !== options.only) return
    const rule = activeById.get(spec.id) ?? compileRule(spec, index, source)
    const matches = matchRule(rule, text, true)
    if (matches.length === 0) return
    const base = { rule: rule.id, severity: rule.spec.severity }
    let notRun: string | undefined
    if (!activeById.has(spec.id)) notRun = disabled.has(spec.id) ? 'disabled in the config (disabledRules)' : `below minSeverity ${options.config.minSeverity}`
    else if (!rule.keywords.some((keyword) => lower.includes(keyword))) notRun = `none of its keywords (${rule.keywords.join(', ')}) occurs, so the regex never runs`
    else if (!active.appliesTo(rule, options.path)) notRun = `its paths/allowPaths exclude "${options.path}"`
    else if (pathAllowed) notRun = `"${options.path}" is in allowlist.paths`
    else if (fixture) notRun = `"${options.path}" is a declared test fixture (scan with --include-fixtures)`
    for (const match of matches) {
      const begin = positionOf(starts, match.secretStart)
      const where = { line: begin.line, column: begin.column, secret: show(match.secret) }
      if (match.dropped) {
        out.push({ ...base, ...where, verdict: 'dropped', reason: match.dropped })
        continue
      }
      if (notRun) {
        out.push({ ...base, ...where, verdict: 'skipped', reason: notRun })
        continue
      }
      const print = fingerprint(rule.id, match.secret, options.salt)
      const previous = begin.line > 1 ? lineAt(text, starts, begin.line - 1) : undefined
      const ignored = options.ignores?.find((entry) => entry.fingerprint === print && (!entry.glob || anyGlob([entry.glob])(options.path)))
      if (allowedInline(lineAt(text, starts, begin.line), previous)) {
        out.push({ ...base, ...where, fingerprint: print, verdict: 'suppressed', reason: 'inline allow marker' })
      } else if (ignored) {
        out.push({ ...base, ...where, fingerprint: print, verdict: 'suppressed', reason: `.sentraignore line ${ignored.line}` })
      } else out.push({ ...base, ...where, fingerprint: print, verdict: 'found' })
    }
  })
  const order: Record<Verdict, number> = { found: 0, suppressed: 1, dropped: 2, skipped: 3 }
  return out.sort((a, b) => order[a.verdict] - order[b.verdict] || (a.line ?? 0) - (b.line ?? 0) || a.rule.localeCompare(b.rule))
}
