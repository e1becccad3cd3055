import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { appendIgnoreEntries, parseIgnoreFile, SuppressionFileError } from '../../dist/suppress/ignore-file.js'
import { applySuppressions } from '../../dist/suppress/apply.js'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp, writeFiles } from '../helpers/repo.js'
import { demoRepo, read, scanJson, token } from './fixture.js'

afterAll(cleanupTemp)

const FP = 'demo-token:0123456789abcdef'

describe('.sentraignore parsing', () => {
  it('reads fingerprints, optional globs and comments', () => {
    const entries = parseIgnoreFile(
      ['# header', '', `${FP}`, `demo-low:fedcba9876543210  docs/**   # only in docs`, `  demo-critical:00112233445566ff #no space needed after #`].join('\n'),
    )
    expect(entries).toEqual([
      { fingerprint: FP, line: 3 },
      { fingerprint: 'demo-low:fedcba9876543210', glob: 'docs/**', comment: 'only in docs', line: 4 },
      { fingerprint: 'demo-critical:00112233445566ff', comment: 'no space needed after #', line: 5 },
    ])
  })

  it('rejects what is not a fingerprint, with the line number', () => {
    expect(() => parseIgnoreFile(`${FP}\nconfig/app.yaml:12:aws-access-token\n`)).toThrow(SuppressionFileError)
    expect(() => parseIgnoreFile(`${FP}\nconfig/app.yaml:12:aws-access-token\n`)).toThrow(/^\.sentraignore:2: .*not a fingerprint/)
    expect(() => parseIgnoreFile('demo-token:0123456789ABCDEF')).toThrow(/:1: /)
    expect(() => parseIgnoreFile(`${FP} docs/** extra`)).toThrow(/\.sentraignore:1: expected "FINGERPRINT \[PATH-GLOB\]/)
  })

  it('appending is idempotent and keeps what is there', () => {
    const first = appendIgnoreEntries('# mine\nfoo-bar:0000000000000000\n', [{ fingerprint: FP, comment: 'x' }, { fingerprint: 'foo-bar:0000000000000000' }], 'imported')
    expect(first.added).toBe(1)
    expect(first.text).toBe(`# mine\nfoo-bar:0000000000000000\n\n# imported\n${FP}  # x\n`)
    const second = appendIgnoreEntries(first.text, [{ fingerprint: FP, comment: 'x' }], 'imported')
    expect(second).toEqual({ text: first.text, added: 0 })
  })

  it('findings in sentra\'s own fingerprint files are dropped', () => {
    const finding = (file: string) => ({ rule: 'generic', file, fingerprint: 'generic:0000000000000000' }) as never
    const report = { findings: [finding('.sentraignore'), finding('.sentra/baseline.json'), finding('src/.sentraignore')], notices: [], stats: { files: 3, bytes: 0, skipped: 0, findings: 3, durationMs: 0 } }
    const result = applySuppressions(report, { ownFiles: ['.sentraignore', '.sentra/baseline.json'] })
    expect(result.report.findings.map((f: { file: string }) => f.file)).toEqual(['src/.sentraignore'])
  })

  it('an entry with a glob applies only to matching files; unused entries are reported', () => {
    const finding = (file: string, fingerprint = FP) => ({ rule: 'demo-token', file, fingerprint }) as never
    const report = { findings: [finding('docs/a.md'), finding('src/a.ts')], notices: [], stats: { files: 2, bytes: 0, skipped: 0, findings: 2, durationMs: 0 } }
    const entries = parseIgnoreFile(`${FP} docs/**\ndemo-low:1111111111111111\n`)
    const result = applySuppressions(report, { ignores: entries, reportUnusedIgnores: true })
    expect(result.report.findings.map((f: { file: string }) => f.file)).toEqual(['src/a.ts'])
    expect(result.report.stats.findings).toBe(1)
    expect(result.unusedIgnores.map((e: { line: number }) => e.line)).toEqual([2])
    expect(result.report.notices.map((n: { message: string }) => n.message)).toContain('line 2: unused ignore entry demo-low:1111111111111111 matched no finding')
  })
})

describe('sentra scan with .sentraignore', () => {
  it('suppresses by fingerprint across edits and renames, and reports a changed secret again', () => {
    const secret = token('dmo_', 7)
    const dir = demoRepo({ 'src/config.js': `const key = "${secret}"\n` })
    const first = scanJson(dir)
    expect(first.result.status).toBe(1)
    const [finding] = first.report.findings
    expect(finding).toMatchObject({ rule: 'demo-token', file: 'src/config.js', line: 1 })
    writeFiles(dir, { '.sentraignore': `${finding!.fingerprint}  # a test key\n` })
    expect(scanJson(dir).result.status).toBe(0)

    // Moved down and into another file: the entry still holds.
    renameSync(join(dir, 'src/config.js'), join(dir, 'src/settings.js'))
    writeFiles(dir, { 'src/settings.js': `// moved\n\nconst key = "${secret}"\n` })
    const moved = scanJson(dir)
    expect(moved.result.status).toBe(0)
    expect(moved.report.notices.map((n) => n.message)).toContain('1 finding ignored by .sentraignore')

    // The same line with another secret is a new finding.
    const changed = token('dmo_', 8)
    writeFiles(dir, { 'src/settings.js': `// moved\n\nconst key = "${changed}"\n` })
    const again = scanJson(dir)
    expect(again.result.status).toBe(1)
    expect(again.report.findings).toHaveLength(1)
    expect(again.report.findings[0]!.line).toBe(3)
    expect(again.report.findings[0]!.fingerprint).not.toBe(finding!.fingerprint)
  })

  it('honours path globs and --report-unused-ignores', () => {
    const secret = token('dmo_', 9)
    const dir = demoRepo({ 'docs/guide.md': `See ${secret} in the guide.\n`, 'src/app.js': `const t = "${secret}"\n` })
    const fingerprint = scanJson(dir).report.findings[0]!.fingerprint
    writeFiles(dir, { '.sentraignore': `${fingerprint} docs/**  # documented sample\ndemo-low:0000000000000000  # stale\n` })
    const { result, report } = scanJson(dir)
    expect(result.status).toBe(1)
    // Not the ignore file itself either, whose `rule:hash` lines look like assignments to generic rules.
    expect(report.findings.map((f) => f.file)).toEqual(['src/app.js'])

    writeFiles(dir, { 'src/app.js': 'const t = process.env.TOKEN\n' })
    expect(scanJson(dir).result.status).toBe(0)
    const unused = sentra(['scan', '--report-unused-ignores'], { cwd: dir })
    expect(unused.status).toBe(1)
    expect(unused.stdout).toContain('.sentraignore: line 2: unused ignore entry demo-low:0000000000000000 matched no finding')
    expect(unused.stdout).not.toContain('line 1: unused')
    writeFiles(dir, { '.sentraignore': `${fingerprint} docs/**\n` })
    expect(sentra(['scan', '--report-unused-ignores'], { cwd: dir }).status).toBe(0)
  })

  it('a malformed ignore file stops the scan with one clear line and exit 2', () => {
    const dir = demoRepo({ 'a.txt': 'nothing\n' })
    writeFileSync(join(dir, '.sentraignore'), 'demo-token:0123456789abcdef\nsrc/a.js:3:generic-api-key\n')
    const result = sentra(['scan'], { cwd: dir })
    expect(result.status).toBe(2)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain('.sentraignore:2: "src/a.js:3:generic-api-key" is not a fingerprint')
    expect(read(dir, '.sentraignore')).toContain('generic-api-key')
  })
})
