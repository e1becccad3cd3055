#!/usr/bin/env node
// Quick check of pattern files while writing rules: schema-shape basics, regex compile, keywords
// present in every example, examples found and negatives not found by the real matcher.
// Usage: npm run build && node scripts/check-patterns.mjs patterns/*.json
import { readFileSync } from 'node:fs'
import { compileRule, decodeSample } from '../dist/scan/rule.js'
import { matchRule } from '../dist/scan/match.js'

let failures = 0
const ids = new Set()
for (const file of process.argv.slice(2)) {
  if (file.endsWith('schema.json')) continue
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  for (const [i, spec] of doc.rules.entries()) {
    const fail = (msg) => { failures++; console.log(`FAIL ${file} ${spec.id}: ${msg}`) }
    if (ids.has(spec.id)) fail('duplicate id')
    ids.add(spec.id)
    let rule
    try { rule = compileRule(spec, i, file) } catch (e) { fail(e.message); continue }
    for (const sample of spec.examples) {
      const text = decodeSample(sample)
      const lower = text.toLowerCase()
      if (!spec.keywords.some((k) => lower.includes(k))) fail(`no keyword in example ${JSON.stringify(sample).slice(0, 60)}`)
      const found = matchRule(rule, text, true)
      if (!found.some((m) => !m.dropped)) fail(`example not found: ${JSON.stringify(sample).slice(0, 60)} ${found.map((m) => m.dropped).join('; ')}`)
    }
    for (const sample of spec.negatives) {
      const text = decodeSample(sample)
      const lower = text.toLowerCase()
      if (!spec.keywords.some((k) => lower.includes(k))) continue
      if (matchRule(rule, text).length > 0) fail(`negative matched: ${JSON.stringify(sample).slice(0, 60)}`)
    }
  }
}
console.log(`${ids.size} rules checked, ${failures} failures`)
process.exit(failures ? 1 : 0)
