import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { check, type Diagnostics, type Parameters } from 'recheck'
import { describe, expect, it } from 'vitest'
import { PROJECT_ROOT } from '../helpers/cli.js'
import { builtinRules } from '../helpers/rules.js'

/**
 * Every rule regex is checked for catastrophic backtracking with recheck (automata analysis plus
 * fuzzing). Fuzzing takes seconds per regex, so verdicts of "safe" are remembered in
 * test/data/redos-verdicts.json, keyed by a hash of the exact regex, flags, recheck version and
 * parameters: a new or changed regex is always checked, an unchanged one is not checked again.
 * SENTRA_REDOS_FULL=1 re-checks everything; SENTRA_REDOS_UPDATE=1 rewrites the verdict file.
 *
 * Attack strings are capped at 64 Ki characters: the engine never runs a regex over a longer line
 * (long lines are scanned in 32 Ki windows), and a bounded quantifier that only looks polynomial
 * on megabyte-long single lines is not a danger there. The per-rule cost test on real minified code
 * (rule-cost.test.ts) covers what static checks miss.
 *
 * recheck's fuzzer reads bounded quantifiers after a keyword (`aws[\w.-]{0,40}=`) as low-degree
 * polynomial growth. A "polynomial" verdict is therefore confirmed in V8 itself: the attack
 * string recheck found is pumped from 256 to 64 Ki characters and the regex must stay fast and
 * grow roughly linearly (a real quadratic regex takes seconds long before 64 Ki). Exponential verdicts and
 * timeouts always fail.
 */
function confirmedBounded(result: Diagnostics, regex: string, flags: string): string | undefined {
  if (result.status !== 'vulnerable' || result.complexity.type !== 'polynomial') return 'not polynomial'
  const { pumps, suffix } = result.attack
  const build = (size: number) => {
    const perPump = Math.ceil(size / Math.max(1, pumps.reduce((n, p) => n + p.pump.length, 0)))
    return pumps.map((p) => p.prefix + p.pump.repeat(perPump)).join('') + suffix
  }
  const time = (input: string) => {
    const re = new RegExp(regex, `${flags}g`)
    const started = performance.now()
    for (let match = re.exec(input); match !== null; match = re.exec(input)) if (match[0] === '') re.lastIndex++
    return performance.now() - started
  }
  // Grow the input step by step, so that a truly polynomial regex fails after a second, not an hour.
  let previous = 0
  for (const size of [256, 1_024, 4_096, 16_384, 65_536]) {
    const ms = time(build(size))
    if (ms > 1000 || (ms > 50 && ms / Math.max(previous, 1) > 10)) return `${ms.toFixed(0)} ms at ${size} characters`
    previous = ms
  }
  return undefined
}
const PARAMS: Parameters = { timeout: 30_000, maxAttackStringSize: 65_536, attackLimit: 1_000_000_000, randomSeed: 20261123 }
const RECHECK_VERSION = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules/recheck/package.json'), 'utf8')).version as string
const VERDICTS = join(PROJECT_ROOT, 'test/data/redos-verdicts.json')

function verdictKey(regex: string, flags: string): string {
  return createHash('sha256').update(JSON.stringify([RECHECK_VERSION, PARAMS, flags, regex])).digest('hex').slice(0, 32)
}

describe('ReDoS', () => {
  it('every rule regex is safe', async () => {
    const stored = existsSync(VERDICTS) ? JSON.parse(readFileSync(VERDICTS, 'utf8')) : { safe: [], bounded: [] }
    const known = new Set<string>([...stored.safe, ...(stored.bounded ?? [])])
    const full = process.env.SENTRA_REDOS_FULL === '1'
    const problems: string[] = []
    const safe: string[] = []
    const bounded: string[] = []
    const queue = builtinRules().map((r) => r.spec)
    const worker = async () => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        const flags = (spec.flags ?? '').replace(/[gdy]/g, '')
        const key = verdictKey(spec.regex, flags)
        if (!full && known.has(key)) {
          ;(stored.safe.includes(key) ? safe : bounded).push(key)
          continue
        }
        const result = await check(spec.regex, flags, PARAMS)
        if (result.status === 'safe') safe.push(key)
        else if (confirmedBounded(result, spec.regex, flags) === undefined) bounded.push(key)
        else {
          const detail = result.status === 'vulnerable' ? `${result.complexity.summary}; attack ${result.attack.pattern.slice(0, 80)}` : String(result.error?.kind)
          problems.push(`${spec.id}: ${result.status} (${detail})`)
        }
      }
    }
    await Promise.all([worker(), worker()])
    if (process.env.SENTRA_REDOS_UPDATE === '1') {
      writeFileSync(VERDICTS, `${JSON.stringify({ recheck: RECHECK_VERSION, note: 'recheck verdicts by hash of [recheck version, params, flags, regex]: safe, or polynomial-by-fuzz confirmed bounded in V8; see test/scan/redos.test.ts', safe: [...new Set(safe)].sort(), bounded: [...new Set(bounded)].sort() }, null, 1)}\n`)
    }
    expect(problems).toEqual([])
  }, 1_800_000)

  it('flags catastrophic patterns, and confirms a real polynomial one in V8', async () => {
    expect((await check('^(a+)+$', '', PARAMS)).status).toBe('vulnerable')
    const cubic = 'token[\\w.-]*[\\w.-]*='
    const result = await check(cubic, '', PARAMS)
    expect(result.status).toBe('vulnerable')
    expect(confirmedBounded(result, cubic, '')).toMatch(/ms at \d+ characters/)
  }, 120_000)
})
