import type { CompiledRule } from './rule.js'
import { shannonEntropy } from './entropy.js'
import { isPlaceholder } from './placeholders.js'
import { runValidator } from './validators.js'

/** One regex match of one rule, with the secret located in the text. */
export interface RawMatch {
  rule: CompiledRule
  /** Offsets of the whole match in the scanned text. */
  start: number
  end: number
  /** Offsets and value of the secret inside it. */
  secretStart: number
  secretEnd: number
  secret: string
  /** Why the match was dropped, when it was (explain mode only keeps dropped matches). */
  dropped?: string
}

/** Caps regex work on pathological input: no rule may report more matches than this per text. */
const MAX_MATCHES_PER_RULE = 1000

function secretIndices(rule: CompiledRule, match: RegExpExecArray): [number, number] | undefined {
  const indices = match.indices
  if (!indices) return undefined
  const group = rule.spec.secretGroup
  if (typeof group === 'string') return indices.groups?.[group]
  if (typeof group === 'number') return indices[group]
  if (indices.groups?.secret) return indices.groups.secret
  if (match.length > 1) {
    // The first group that took part in the match: alternations put the secret in different groups.
    for (let i = 1; i < indices.length; i++) if (indices[i]) return indices[i]
    return undefined
  }
  return indices[0]
}

/** Why a secret candidate is not a finding, or undefined when it is one. */
export function filterReason(rule: CompiledRule, secret: string): string | undefined {
  const spec = rule.spec
  if (spec.entropy !== undefined) {
    const entropy = shannonEntropy(secret)
    if (entropy < spec.entropy) return `entropy ${entropy.toFixed(2)} below ${spec.entropy}`
  }
  if (isPlaceholder(secret)) return 'placeholder or template value'
  if (rule.stopwords.length > 0) {
    const lower = secret.toLowerCase()
    const stopword = rule.stopwords.find((word) => lower.includes(word))
    if (stopword !== undefined) return `stopword "${stopword}"`
  }
  for (const allow of rule.allowRegexes) {
    if (allow.test(secret)) return `allowRegexes ${allow.source}`
  }
  if (spec.validator && !runValidator(spec.validator, secret)) return `validator ${spec.validator} failed`
  return undefined
}

/**
 * Runs one rule over a text and returns its accepted matches; with `explain`, the dropped ones too,
 * each with the reason it was dropped.
 */
export function matchRule(rule: CompiledRule, text: string, explain = false): RawMatch[] {
  const out: RawMatch[] = []
  const regex = rule.regex
  regex.lastIndex = 0
  let count = 0
  let match: RegExpExecArray | null
  while ((match = regex.exec(text)) !== null) {
    if (match[0].length === 0) {
      regex.lastIndex++
      continue
    }
    if (++count > MAX_MATCHES_PER_RULE) break
    const span = secretIndices(rule, match)
    if (!span) continue
    const [secretStart, secretEnd] = span
    const secret = text.slice(secretStart, secretEnd)
    if (secret.length === 0) continue
    const dropped = filterReason(rule, secret)
    if (dropped === undefined || explain) {
      const raw: RawMatch = { rule, start: match.index, end: match.index + match[0].length, secretStart, secretEnd, secret }
      if (dropped !== undefined) raw.dropped = dropped
      out.push(raw)
    }
  }
  return out
}
