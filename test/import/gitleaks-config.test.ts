import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp, tempRepo, writeFiles } from '../helpers/repo.js'
import { BASE62, fakeChars, joined } from '../helpers/samples.js'
import { read, scanJson } from '../suppress/fixture.js'

afterAll(cleanupTemp)

const LOWER36 = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** A .gitleaks.toml of the kind teams keep: custom rules, allowlists, tweaks to the defaults. */
const GITLEAKS_TOML = String.raw`
title = "acme gitleaks config"

[extend]
useDefault = true
disabledRules = ["aws-access-token", "some-rule-nobody-has"]

[[rules]]
id = "acme-api-key"
description = "ACME internal API key"
regex = '''(?i)[\w.-]{0,50}?(?:acme)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([a-z0-9]{32})(?:[\x60'"\s;]|\\[nr]|$)'''
secretGroup = 1
entropy = 3.5
keywords = ["acme"]
tags = ["Internal", "api key"]
  [[rules.allowlists]]
  description = "test fixtures"
  paths = ['''(^|/)test/''']
  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''EXAMPLE''']

[[rules]]
id = "Internal Token"
regex = '''\b(itk_(?i)[a-z0-9]{30})\b'''

[[rules]]
id = "pem-files"
description = "PEM files"
path = '''(?i)\.pem$'''

[[rules]]
id = "raw-bytes"
regex = '''\C{8}'''
keywords = ["raw"]

[[rules]]
id = "github-pat"
  [[rules.allowlists]]
  paths = ['''(?:^|/)docs/''']

[allowlist]
description = "global allowlist"
commits = ["0123456789abcdef0123456789abcdef01234567"]
paths = ['''(.*?)(jpg|png|gif)$''', '''(?:^|/)vendor/''']
regexes = ['''^\$\{[A-Z_]+\}$''']
stopwords = ["NotASecret"]
`

describe('sentra import gitleaks-config', () => {
  it('converts rules and allowlists, lists what it could not, and the result scans', () => {
    const dir = tempRepo()
    const acme = fakeChars(LOWER36, 32, 5)
    const itk = joined('itk_', fakeChars(BASE62, 30, 6))
    const aws = joined('AKIA', fakeChars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 7))
    writeFiles(dir, {
      '.gitleaks.toml': GITLEAKS_TOML,
      'app/settings.py': `ACME_API_KEY = "${acme}"\nINTERNAL = "${itk}"\nAWS_ACCESS_KEY_ID = "${aws}"\n`,
      'test/fixtures.py': `ACME_API_KEY = "${fakeChars(LOWER36, 32, 8)}"\n`,
    })
    const result = sentra(['import', 'gitleaks-config', '.gitleaks.toml', '--json'], { cwd: dir })
    expect(result.status, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout)
    expect(summary.written).toBe(true)
    expect(summary.rulesAdded).toEqual(['acme-api-key', 'internal-token'])
    expect(summary.disabledAdded).toEqual(['aws-access-key-id', 'aws-temporary-access-key-id'])
    expect(summary.overridesChanged).toEqual(['github-personal-access-token'])
    const notConverted = summary.notConverted.map((item: { item: string }) => item.item).join('\n')
    for (const expected of ['some-rule-nobody-has', 'regexes "EXAMPLE"', 'rule "pem-files"', 'rule "raw-bytes"', 'commits "0123456789abcdef0123456789abcdef01234567"']) {
      expect(notConverted).toContain(expected)
    }
    expect(summary.notes.join('\n')).toContain('keywords derived from the regex: itk_')

    const config = JSON.parse(read(dir, '.sentra/config.json'))
    const rule = config.rules.find((r: { id: string }) => r.id === 'acme-api-key')
    expect(rule).toMatchObject({ flags: 'i', secretGroup: 1, entropy: 3.5, keywords: ['acme'], severity: 'high', allowPaths: ['**/test/**'], tags: ['gitleaks-import', 'internal', 'api-key'] })
    expect(rule.examples[0]).toMatch(/^b64:/)
    expect(config.ruleOverrides['github-personal-access-token']).toEqual({ allowPaths: ['**/docs/**'] })
    expect(config.allowlist).toEqual({ paths: ['**/*{jpg,png,gif}', '**/vendor/**'], regexes: ['^\\$\\{[A-Z_]+\\}$'], stopwords: ['notasecret'] })

    const validate = sentra(['config', 'validate'], { cwd: dir })
    expect(validate.status, validate.stdout).toBe(0)

    const { report } = scanJson(dir)
    const found = report.findings.map((f) => `${f.rule}@${f.file}:${f.line}`).sort()
    expect(found).toContain('acme-api-key@app/settings.py:1')
    expect(found).toContain('internal-token@app/settings.py:2')
    expect(found.some((f) => f.startsWith('acme-api-key@test/'))).toBe(false)
    expect(found.some((f) => f.startsWith('aws-access-key-id@'))).toBe(false)

    // Again: nothing changes, byte for byte.
    const before = read(dir, '.sentra/config.json')
    const again = sentra(['import', 'gitleaks-config', '.gitleaks.toml'], { cwd: dir })
    expect(again.status).toBe(0)
    expect(again.stdout).toContain('(no changes)')
    expect(read(dir, '.sentra/config.json')).toBe(before)
  })

  it('keeps what the config already has, and --dry-run writes nothing', () => {
    const dir = tempRepo()
    writeFiles(dir, { '.gitleaks.toml': GITLEAKS_TOML })
    const dry = sentra(['import', 'gitleaks-config', '--dry-run'], { cwd: dir })
    expect(dry.status, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('Would import')
    expect(dry.stdout).toContain('"acme-api-key"')
    expect(existsSync(join(dir, '.sentra/config.json'))).toBe(false)

    writeFiles(dir, { '.sentra/config.json': JSON.stringify({ version: 1, allowlist: { stopwords: ['mine'] }, ruleOverrides: { 'github-personal-access-token': { severity: 'low' } } }) })
    expect(sentra(['import', 'gitleaks-config'], { cwd: dir }).status).toBe(0)
    const config = JSON.parse(read(dir, '.sentra/config.json'))
    expect(config.allowlist.stopwords).toEqual(['mine', 'notasecret'])
    expect(config.ruleOverrides['github-personal-access-token']).toEqual({ severity: 'low', allowPaths: ['**/docs/**'] })
  })

  it('fails cleanly on what is not a gitleaks config', () => {
    const dir = tempRepo()
    writeFileSync(join(dir, 'bad.toml'), '[[rules]\nid = "x"\n')
    const bad = sentra(['import', 'gitleaks-config', 'bad.toml'], { cwd: dir })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/^sentra: error: bad\.toml: not valid TOML/)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    const missing = sentra(['import', 'gitleaks-config', 'nope.toml'], { cwd: dir })
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('nope.toml: cannot read: no such file')
  })
})
