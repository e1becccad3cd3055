import type { ValidatorName } from './validators.js'

export type Severity = 'low' | 'medium' | 'high' | 'critical'
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical']

/** A rule as written in `patterns/*.json` or in the config's `rules`. */
export interface RuleSpec {
  id: string
  description: string
  regex: string
  flags?: string
  secretGroup?: number | string
  keywords: string[]
  entropy?: number
  validator?: ValidatorName
  severity: Severity
  tags: string[]
  paths?: string[]
  allowPaths?: string[]
  stopwords?: string[]
  allowRegexes?: string[]
  examples: string[]
  negatives: string[]
}

/** A rule ready to run: regexes compiled, keywords normalised. */
export interface CompiledRule {
  spec: RuleSpec
  id: string
  /** Index in the rule set; the keyword automaton reports these. */
  index: number
  regex: RegExp
  keywords: string[]
  stopwords: string[]
  allowRegexes: RegExp[]
  /** Where the rule came from, for error messages ("patterns/cloud.json"). */
  source: string
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}

/** Decodes a rule sample: "b64:..." keeps realistic fake tokens out of the repository's plain text. */
export function decodeSample(sample: string): string {
  return sample.startsWith('b64:') ? Buffer.from(sample.slice(4), 'base64').toString('utf8') : sample
}

export function compileRule(spec: RuleSpec, index: number, source: string): CompiledRule {
  const flags = (spec.flags ?? '').replace(/[gdy]/g, '') + 'gd'
  let regex: RegExp
  try {
    regex = new RegExp(spec.regex, flags)
  } catch (error) {
    throw new Error(`${source}: rule "${spec.id}": invalid regex: ${(error as Error).message}`)
  }
  for (const keyword of spec.keywords) {
    if (keyword !== keyword.toLowerCase()) {
      throw new Error(`${source}: rule "${spec.id}": keyword "${keyword}" must be lower-case`)
    }
  }
  const allowRegexes = (spec.allowRegexes ?? []).map((pattern) => {
    try {
      return new RegExp(pattern)
    } catch (error) {
      throw new Error(`${source}: rule "${spec.id}": invalid allowRegexes entry: ${(error as Error).message}`)
    }
  })
  return {
    spec,
    id: spec.id,
    index,
    regex,
    keywords: spec.keywords,
    stopwords: (spec.stopwords ?? []).map((word) => word.toLowerCase()),
    allowRegexes,
    source,
  }
}
