import { afterAll, describe, expect, it } from 'vitest'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp, tempRepo, writeFiles } from '../helpers/repo.js'
import { DEMO_RULES, demoConfig } from '../suppress/fixture.js'

afterAll(cleanupTemp)

function validate(config: unknown, extra: Record<string, string> = {}) {
  const dir = tempRepo()
  writeFiles(dir, { '.sentra/config.json': typeof config === 'string' ? config : JSON.stringify(config, null, 2), ...extra })
  const result = sentra(['config', 'validate', '--json'], { cwd: dir })
  return { result, report: JSON.parse(result.stdout) as { valid: boolean; errors: string[]; warnings: string[] } }
}

describe('sentra config validate', () => {
  it('accepts a good config and says what it holds', () => {
    const dir = tempRepo()
    writeFiles(dir, { '.sentra/config.json': demoConfig({ disabledRules: ['aws-access-key-id'], ruleOverrides: { 'demo-token': { severity: 'low' } } }) })
    const result = sentra(['config', 'validate'], { cwd: dir })
    expect(result.status, result.stdout).toBe(0)
    expect(result.stdout).toMatch(/^\.sentra\/config\.json is valid: 3 custom rule\(s\), \d+ rule\(s\) active\.$/m)
  })

  it('no config is fine (defaults); a missing file given explicitly is an error', () => {
    const dir = tempRepo()
    const none = sentra(['config', 'validate'], { cwd: dir })
    expect(none.status).toBe(0)
    expect(none.stdout).toContain('sentra uses its defaults')
    const missing = sentra(['config', 'validate', 'nope.json'], { cwd: dir })
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('nope.json: no such file')
  })

  it('rejects unknown keys, wrong types and bad values with their place', () => {
    const { result, report } = validate({ version: 1, minSeverty: 'high', allowlist: { path: ['x'] }, fixtures: 'test/**', ruleOverrides: { 'aws-access-key-id': { severity: 'urgent' } } })
    expect(result.status).toBe(1)
    expect(report.valid).toBe(false)
    expect(report.errors).toEqual(
      expect.arrayContaining([
        'top level: unknown key "minSeverty"',
        'allowlist: unknown key "path"',
        'fixtures: must be array',
        'ruleOverrides.aws-access-key-id.severity: must be one of "low", "medium", "high", "critical"',
      ]),
    )
  })

  it('checks what the schema cannot: rule ids, regexes, globs and each custom rule\'s own samples', () => {
    const broken = [
      { ...DEMO_RULES[0], id: 'bad-regex', regex: '(unclosed' },
      { ...DEMO_RULES[0], id: 'aws-access-key-id' },
      { ...DEMO_RULES[0], id: 'wrong-sample', examples: ['dmo_ is not a token'] },
      { ...DEMO_RULES[0], id: 'found-negative', negatives: [`dmo_${'Ab3'.repeat(8)}`] },
    ]
    const { result, report } = validate({
      version: 1,
      rules: broken,
      disabledRules: ['no-such-rule'],
      ruleOverrides: { 'wrong-sample': { allowRegexes: ['[z-a]'] } },
      allowlist: { regexes: ['(?<'] },
    })
    expect(result.status).toBe(1)
    const text = report.errors.join('\n')
    expect(text).toContain('rules[0]: rule "bad-regex": invalid regex: ')
    expect(text).toContain('rules[1] "aws-access-key-id": a built-in rule already has this id')
    expect(text).toContain('rules[2] "wrong-sample": examples[0] is not found')
    expect(text).toContain('rules[3] "found-negative": negatives[0] is found')
    expect(text).toContain('disabledRules: unknown rule id "no-such-rule"')
    expect(text).toContain('ruleOverrides "wrong-sample" allowRegexes: invalid regex')
    expect(text).toContain('allowlist.regexes: invalid regex')
  })

  it('checks .sentraignore too', () => {
    const bad = validate(demoConfig(), { '.sentraignore': 'demo-token:0123456789abcdef\nnot-a-fingerprint\n' })
    expect(bad.result.status).toBe(1)
    expect(bad.report.errors).toEqual(['.sentraignore:2: "not-a-fingerprint" is not a fingerprint (expected rule-id:16 hex digits, as printed by sentra scan)'])
    const stale = validate(demoConfig(), { '.sentraignore': 'gone-rule:0123456789abcdef\n' })
    expect(stale.result.status).toBe(0)
    expect(stale.report.warnings).toEqual(['.sentraignore:1: no rule "gone-rule" exists: the entry can never match'])
  })

  it('reports broken JSON as a problem, not a crash', () => {
    const { result, report } = validate('{ "version": 1, }')
    expect(result.status).toBe(1)
    expect(report.errors[0]).toMatch(/^not valid JSON/)
  })
})
