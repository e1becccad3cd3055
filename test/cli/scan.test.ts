import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Ajv from 'ajv'
import AjvDraft04 from 'ajv-draft-04'
import { afterAll, describe, expect, it } from 'vitest'
import { PROJECT_ROOT, sentra } from '../helpers/cli.js'
import { cleanupTemp, git, tempDir, tempRepo, writeFiles } from '../helpers/repo.js'
import { fakeChars, joined } from '../helpers/samples.js'

afterAll(cleanupTemp)

const demoRule = {
  id: 'demo-token',
  description: 'Demo token',
  regex: '\\b(dmo_[A-Za-z0-9]{24})\\b',
  keywords: ['dmo_'],
  severity: 'high',
  tags: ['demo'],
  examples: ['b64:ZG1vX2FiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eA=='],
  negatives: ['dmo_short'],
}
const secret = joined('dmo_', fakeChars('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789', 24, 21))

function repoWithSecrets(): string {
  const repo = tempRepo()
  writeFiles(repo, {
    // The generic assignment rule would also report `token: "<demo token>"`; these tests are about the demo rule.
    '.sentra/config.json': JSON.stringify({ version: 1, rules: [demoRule], fixtures: ['fixtures/**'], disabledRules: ['generic-secret-assignment'] }),
    'src/app.js': `const config = {\n  token: "${secret}",\n}\n`,
    'clean.txt': 'nothing to see\n',
    'ignored/leak.txt': `${secret}\n`,
    '.gitignore': 'ignored/\n',
    'package-lock.json': `{"x": "${secret}"}\n`,
    'dist/app.js.map': `{"x": "${secret}"}\n`,
    'fixtures/sample.env': `TOKEN=${secret}\n`,
    'dir with space/ünï.txt': `${secret}\n`,
  })
  git(repo, ['add', '-A'])
  git(repo, ['commit', '-qm', 'init'])
  return repo
}

describe('sentra scan', () => {
  const repo = repoWithSecrets()

  it('exits 1 with findings, respecting .gitignore and skipping lock files, source maps and fixtures', () => {
    const result = sentra(['scan', '--json'], { cwd: repo })
    expect(result.status).toBe(1)
    const report = JSON.parse(result.stdout)
    expect(report.findings.map((f: { file: string; line: number }) => `${f.file}:${f.line}`).sort()).toEqual(['dir with space/ünï.txt:1', 'src/app.js:2'])
    expect(result.stdout).not.toContain(secret)
  })

  it('exits 0 on a clean path and 2 on a missing one', () => {
    expect(sentra(['scan', 'clean.txt'], { cwd: repo }).status).toBe(0)
    const missing = sentra(['scan', 'nope.txt'], { cwd: repo })
    expect(missing.status).toBe(2)
    expect(missing.stderr).toBe('sentra: error: no such file or directory: nope.txt\n')
  })

  it('exits 2 on a usage error and on an invalid config, with one clear line and no stack trace', () => {
    const usage = sentra(['scan', '--format', 'yaml'], { cwd: repo })
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/^sentra: error: Expected --format=yaml to be one of: text, json, sarif/)
    const bad = tempRepo()
    writeFiles(bad, { '.sentra/config.json': '{"version": 1, "colour": "red"}' })
    const result = sentra(['scan'], { cwd: bad })
    expect(result.status).toBe(2)
    expect(result.stderr).toBe('sentra: error: .sentra/config.json: top level: unknown key "colour"\n')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('exits 2 when the config named with --config does not exist, on both entry paths', () => {
    for (const fast of ['1', '0']) {
      const result = sentra(['scan', '--config', 'missing.json', '.'], { cwd: repo, env: { SENTRA_FAST_SCAN: fast } })
      expect(result.status, `SENTRA_FAST_SCAN=${fast}`).toBe(2)
      expect(result.stderr).toBe('sentra: error: missing.json: no such config file\n')
    }
  })

  it('scans an explicitly named ignored file', () => {
    expect(sentra(['scan', 'ignored/leak.txt'], { cwd: repo }).status).toBe(1)
  })

  it('scans fixtures with --include-fixtures', () => {
    const report = JSON.parse(sentra(['scan', '--json', '--include-fixtures'], { cwd: repo }).stdout)
    expect(report.findings.map((f: { file: string }) => f.file)).toContain('fixtures/sample.env')
  })

  it('prints the secret in clear only with --no-redact', () => {
    expect(sentra(['scan', 'src', '--no-redact'], { cwd: repo }).stdout).toContain(secret)
    const text = sentra(['scan', 'src'], { cwd: repo })
    expect(text.stdout).toContain('src/app.js:2:11')
    expect(text.stdout).toContain('dmo_********')
    expect(text.stdout).not.toContain(secret)
    expect(text.stdout).not.toMatch(/\x1b\[/)
  })

  it('reads stdin with a reported file name', () => {
    const result = sentra(['scan', '--stdin', '--stdin-filename', 'config/.env', '--json'], { cwd: repo, input: `A=1\nT=${secret}\n` })
    expect(result.status).toBe(1)
    expect(JSON.parse(result.stdout).findings[0]).toMatchObject({ file: 'config/.env', line: 2, column: 3 })
  })

  it('writes the report to --output atomically, and nothing to stdout', () => {
    const out = join(tempDir(), 'report.sarif')
    const result = sentra(['scan', '--format', 'sarif', '--output', out], { cwd: repo })
    expect(result.status).toBe(1)
    expect(result.stdout).toBe('')
    expect(JSON.parse(readFileSync(out, 'utf8')).version).toBe('2.1.0')
  })

  it('emits JSON that validates against schemas/report-v1.schema.json', () => {
    const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas/report-v1.schema.json'), 'utf8'))
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema)
    for (const args of [['scan', '--json'], ['scan', 'clean.txt', '--format', 'json']]) {
      const report = JSON.parse(sentra(args, { cwd: repo }).stdout)
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true)
    }
  })

  it('emits SARIF 2.1.0 that validates against the official schema, with partialFingerprints', () => {
    const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'test/data/sarif-schema-2.1.0.json'), 'utf8'))
    const validate = new AjvDraft04({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false }).compile(schema)
    const sarif = JSON.parse(sentra(['scan', '--format', 'sarif'], { cwd: repo }).stdout)
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true)
    const results = sarif.runs[0].results
    expect(results).toHaveLength(2)
    expect(results[0].partialFingerprints['sentraFingerprint/v1']).toMatch(/^demo-token:[0-9a-f]{16}$/)
    expect(results[0].level).toBe('error')
    const uris = results.map((r: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => r.locations[0]!.physicalLocation.artifactLocation.uri)
    expect(uris).toContain('dir%20with%20space/%C3%BCn%C3%AF.txt')
    expect(JSON.stringify(sarif)).not.toContain(secret)
  })

  it('uses the root commit as fingerprint salt, or fingerprintSalt from config', () => {
    const fp = (cwd: string) => JSON.parse(sentra(['scan', 'src', '--json'], { cwd }).stdout).findings[0].fingerprint
    const first = fp(repo)
    const other = repoWithSecrets()
    expect(fp(other)).not.toBe(first)
    writeFiles(other, { '.sentra/config.json': JSON.stringify({ version: 1, rules: [demoRule], fingerprintSalt: 'team-salt-1', disabledRules: ['generic-secret-assignment'] }) })
    const salted = fp(other)
    writeFiles(repo, { '.sentra/config.json': JSON.stringify({ version: 1, rules: [demoRule], fingerprintSalt: 'team-salt-1', disabledRules: ['generic-secret-assignment'] }) })
    expect(fp(repo)).toBe(salted)
    git(repo, ['checkout', '--', '.sentra/config.json'])
  })

  it('scans a directory outside any repository with a salt notice', () => {
    const dir = tempDir()
    writeFiles(dir, { '.sentra/config.json': JSON.stringify({ version: 1, rules: [demoRule] }), 'a/b.txt': `x ${secret}\n` })
    const result = sentra(['scan', '--json'], { cwd: dir })
    expect(result.status).toBe(1)
    const report = JSON.parse(result.stdout)
    expect(report.findings[0].file).toBe('a/b.txt')
    expect(report.notices).toContainEqual(expect.objectContaining({ kind: 'salt' }))
  })

  it('does not write any file while scanning', () => {
    const before = git(repo, ['status', '--porcelain', '--ignored'])
    sentra(['scan', '--json'], { cwd: repo })
    expect(git(repo, ['status', '--porcelain', '--ignored'])).toBe(before)
  })

  it('gives the same findings on worker threads as on the main thread', () => {
    const single = JSON.parse(sentra(['scan', '--json', '--threads', '0'], { cwd: repo }).stdout).findings
    const multi = JSON.parse(sentra(['scan', '--json', '--threads', '2'], { cwd: repo }).stdout).findings
    expect(multi).toEqual(single)
  })
})
