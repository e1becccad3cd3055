import { matchRule } from '../scan/match.js'
import { compileRule, decodeSample, type CompiledRule, type RuleSpec } from '../scan/rule.js'
import type { Node } from './re2-parse.js'
import { generateSample } from './re2-samples.js'

const ATTEMPTS = 24

function found(rule: CompiledRule, text: string): boolean {
  return matchRule(rule, text).length > 0
}

function hasKeyword(spec: Pick<RuleSpec, 'keywords'>, text: string): boolean {
  const lower = text.toLowerCase()
  return spec.keywords.some((keyword) => lower.includes(keyword))
}

function encode(sample: string): string {
  return `b64:${Buffer.from(sample, 'utf8').toString('base64')}`
}

const KEY_ORDER: (keyof RuleSpec)[] = [
  'id', 'description', 'regex', 'flags', 'secretGroup', 'keywords', 'entropy', 'validator', 'severity', 'tags',
  'paths', 'allowPaths', 'stopwords', 'allowRegexes', 'examples', 'negatives',
]

/** The rule's keys in the order pattern files use, so imported rules read like the library's. */
function ordered(spec: RuleSpec): RuleSpec {
  const out: Record<string, unknown> = {}
  for (const key of KEY_ORDER) if (spec[key] !== undefined) out[key] = spec[key]
  return out as unknown as RuleSpec
}

/**
 * Gives an imported rule an example the rule finds and a negative it does not, both checked with the
 * real matcher (so a conversion that broke the expression shows up here). Samples are stored as
 * `b64:` so the config never holds a realistic-looking token in plain text.
 */
export function addSamples(spec: Omit<RuleSpec, 'examples' | 'negatives'>, tree: Node): { spec: RuleSpec; problem?: string } {
  const rule = compileRule({ ...spec, examples: ['x'], negatives: ['x'] }, 0, 'import')
  let example: string | undefined
  for (let attempt = 0; attempt < ATTEMPTS && example === undefined; attempt++) {
    const sample = generateSample(tree, attempt)
    if (sample.length > 0 && hasKeyword(spec, sample) && found(rule, sample)) example = sample
  }
  const keyword = spec.keywords[0] ?? 'key'
  const negativeCandidates = [`${keyword} = "\${SECRET_FROM_ENV}"`, `${keyword}: <set me>`, keyword, `the ${keyword} setting is documented elsewhere`]
  const negative = negativeCandidates.find((text) => !found(rule, text))
  const complete = ordered({ ...spec, examples: [encode(example ?? keyword)], negatives: [negative ?? `no ${keyword} here`] })
  if (example === undefined) return { spec: complete, problem: 'no example could be generated that the converted rule finds; write one in its "examples"' }
  return { spec: complete }
}

/** Problems with a rule's own samples: examples it does not find, negatives it does. */
export function sampleProblems(rule: CompiledRule): string[] {
  const problems: string[] = []
  rule.spec.examples.forEach((sample, index) => {
    const text = decodeSample(sample)
    if (!hasKeyword(rule.spec, text)) problems.push(`examples[${index}] contains none of the keywords`)
    else {
      const matches = matchRule(rule, text, true)
      if (!matches.some((match) => match.dropped === undefined)) {
        const why = matches.map((match) => match.dropped).filter(Boolean)
        problems.push(`examples[${index}] is not found${why.length > 0 ? ` (${why.join('; ')})` : ''}`)
      }
    }
  })
  rule.spec.negatives.forEach((sample, index) => {
    if (found(rule, decodeSample(sample))) problems.push(`negatives[${index}] is found`)
  })
  return problems
}
