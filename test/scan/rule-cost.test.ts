import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { transformSync } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { matchRule } from '../../dist/scan/match.js'
import { RuleSet } from '../../dist/scan/ruleset.js'
import { PROJECT_ROOT } from '../helpers/cli.js'
import { builtinRules, builtinScanner } from '../helpers/rules.js'

/**
 * Minified JavaScript is where single rules blow up (long lines, dense punctuation). The corpus is
 * real third-party code from node_modules: lodash's own minified build plus larger files minified
 * with esbuild at test time.
 */
function minifiedCorpus(): { name: string; text: string }[] {
  const nm = join(PROJECT_ROOT, 'node_modules')
  const files = [
    { name: 'lodash.min.js', text: readFileSync(join(nm, 'lodash/lodash.min.js'), 'utf8') },
  ]
  for (const source of ['yaml/dist/compose/composer.js', 'ajv/dist/compile/index.js', 'typescript/lib/typescript.js']) {
    const code = readFileSync(join(nm, source), 'utf8')
    files.push({ name: `${source} (minified)`, text: transformSync(code, { minify: true, loader: 'js', format: 'cjs' }).code })
  }
  return files
}

describe('per-rule cost on minified JavaScript', () => {
  const corpus = minifiedCorpus()
  const ruleSet = new RuleSet(builtinRules())

  it('no rule dominates the scan time (every regex run on every file, no prefilter)', () => {
    const times = ruleSet.rules.map((rule) => {
      const started = performance.now()
      for (const file of corpus) matchRule(rule, file.text)
      return { id: rule.id, ms: performance.now() - started }
    })
    const total = times.reduce((sum, t) => sum + t.ms, 0)
    const sorted = [...times].sort((a, b) => a.ms - b.ms)
    const median = sorted[Math.floor(sorted.length / 2)]!.ms
    const dominant = times.filter((t) => t.ms > 50 && t.ms > 0.2 * total && t.ms > 15 * median)
    expect(dominant.map((t) => `${t.id}: ${t.ms.toFixed(0)} ms of ${total.toFixed(0)} ms (median ${median.toFixed(1)} ms)`)).toEqual([])
  })

  it('the library stays quiet on ordinary minified code', () => {
    const scanner = builtinScanner()
    const findings = corpus.flatMap((file) => scanner.scanText(file.text, file.name).findings)
    expect(findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.rule}`)).toEqual([])
  })
})
