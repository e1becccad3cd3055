import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { matchRule } from '../../dist/scan/match.js'
import { loadPatternFile, validatePatternDocument } from '../../dist/scan/patterns.js'
import { compileRule, decodeSample } from '../../dist/scan/rule.js'
import { RuleSet } from '../../dist/scan/ruleset.js'
import { builtinRules } from '../helpers/rules.js'

const rules = builtinRules()
const ruleSet = new RuleSet(rules)

describe('pattern library', () => {
  it('has at least 150 rules with unique ids', () => {
    expect(rules.length).toBeGreaterThanOrEqual(150)
    expect(new Set(rules.map((r) => r.spec.id)).size).toBe(rules.length)
  })

  it('covers the provider families teams leak', () => {
    const ids = rules.map((r) => r.spec.id).join(' ')
    for (const family of ['aws', 'gcp', 'azure', 'github', 'gitlab', 'npm', 'pypi', 'stripe', 'slack', 'twilio', 'openai', 'anthropic', 'postgres', 'mongodb', 'private-key', 'jwt', 'datadog', 'vault', 'cloudflare', 'okta', 'generic']) {
      expect(ids, family).toContain(family)
    }
  })

  it('stores realistic samples encoded, never as literal tokens', () => {
    for (const { spec } of rules) {
      for (const sample of spec.examples) expect(sample.startsWith('b64:'), `${spec.id} example must be b64:`).toBe(true)
    }
  })
})

describe.each(rules.map((r) => [r.spec.id, r] as const))('rule %s', (_id, loaded) => {
  const rule = ruleSet.rules.find((r) => r.id === loaded.spec.id)!

  it('finds every example, through the keyword prefilter', () => {
    for (const sample of loaded.spec.examples) {
      const text = decodeSample(sample)
      const hits = new Uint8Array(ruleSet.size)
      ruleSet.automaton.scan(text, hits)
      expect(hits[rule.index], `prefilter misses example ${sample.slice(0, 40)}`).toBe(1)
      const found = matchRule(rule, text, true)
      const accepted = found.filter((m) => m.dropped === undefined)
      expect(accepted.length, `example not found (${found.map((m) => m.dropped).join('; ')}): ${sample.slice(0, 40)}`).toBeGreaterThan(0)
    }
  })

  it('finds nothing in every negative (keyword prefilter, then regex and filters, as the engine runs them)', () => {
    for (const sample of loaded.spec.negatives) {
      const text = decodeSample(sample)
      const hits = new Uint8Array(ruleSet.size)
      ruleSet.automaton.scan(text, hits)
      const found = hits[rule.index] === 1 ? matchRule(rule, text) : []
      expect(found, `negative matched: ${sample.slice(0, 40)}`).toEqual([])
    }
  })

  it('has at least one negative that reaches its regex (contains a keyword)', () => {
    const reaching = loaded.spec.negatives.filter((sample) => {
      const hits = new Uint8Array(ruleSet.size)
      ruleSet.automaton.scan(decodeSample(sample), hits)
      return hits[rule.index] === 1
    })
    expect(reaching.length).toBeGreaterThan(0)
  })
})

describe('pattern loader', () => {
  const base = {
    id: 'demo-token',
    description: 'Demo token',
    regex: 'demo_([a-z]{8})',
    keywords: ['demo_'],
    severity: 'high',
    tags: ['demo'],
    examples: ['demo_abcdefgh'],
    negatives: ['demo_short'],
  }

  it('accepts a valid file', () => {
    expect(validatePatternDocument({ rules: [base] }, 'x.json')).toHaveLength(1)
  })

  it('names the file, the rule and the key on an unknown key', () => {
    expect(() => validatePatternDocument({ rules: [{ ...base, colour: 'red' }] }, 'patterns/demo.json')).toThrow(
      /patterns\/demo\.json: rule "demo-token": unknown key "colour"/,
    )
  })

  it('names the rule on a bad severity and a missing field', () => {
    expect(() => validatePatternDocument({ rules: [{ ...base, severity: 'urgent' }] }, 'p.json')).toThrow(/rule "demo-token" \/severity: must be one of/)
    const { examples: _unused, ...noExamples } = base
    expect(() => validatePatternDocument({ rules: [noExamples] }, 'p.json')).toThrow(/rule "demo-token".*examples/)
  })

  it('rejects inline (?i), which Node 20 does not support, naming the rule', () => {
    expect(() => compileRule({ ...base, regex: '(?i)demo_([a-z]{8})' } as never, 0, 'p.json')).toThrow(/p\.json: rule "demo-token": invalid regex/)
  })

  it('rejects upper-case keywords and invalid JSON with the file name', () => {
    expect(() => compileRule({ ...base, keywords: ['DEMO_'] } as never, 0, 'p.json')).toThrow(/keyword "DEMO_" must be lower-case/)
    const dir = mkdtempSync(join(tmpdir(), 'sentra-pat-'))
    writeFileSync(join(dir, 'bad.json'), '{ "rules": [')
    expect(() => loadPatternFile(join(dir, 'bad.json'), dir)).toThrow(/bad\.json: /)
  })

  it('rejects duplicate rule ids across files', () => {
    expect(() => new RuleSet([{ spec: base as never, source: 'a.json' }, { spec: base as never, source: 'b.json' }])).toThrow(/b\.json: rule "demo-token" is already defined in a\.json/)
  })
})
