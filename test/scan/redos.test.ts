import { check } from 'recheck'
import { describe, expect, it } from 'vitest'
import { builtinRules } from '../helpers/rules.js'

/**
 * Every rule regex is checked for catastrophic backtracking (exponential or polynomial) with recheck,
 * which combines automata analysis with fuzzing. A per-rule cost test on real minified code
 * (rule-cost.test.ts) covers what static checks miss.
 */
const rules = builtinRules()

describe('ReDoS', () => {
  it('every rule regex is safe', async () => {
    const problems: string[] = []
    const queue = rules.map((r) => r.spec)
    const worker = async () => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        const flags = (spec.flags ?? '').replace(/[gdy]/g, '')
        const result = await check(spec.regex, flags, { timeout: 20_000 })
        if (result.status !== 'safe') {
          const detail = result.status === 'vulnerable' ? `${result.complexity.summary}; attack ${result.attack.pattern.slice(0, 80)}` : result.status === 'unknown' ? String(result.error?.kind) : result.error.kind
          problems.push(`${spec.id}: ${result.status} (${detail})`)
        }
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    expect(problems).toEqual([])
  }, 600_000)

  it('the checker does flag a catastrophic pattern', async () => {
    const result = await check('^(a+)+$', '')
    expect(result.status).toBe('vulnerable')
  })
})
