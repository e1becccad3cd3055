import { afterAll, describe, expect, it } from 'vitest'
import { parseGitleaksIgnore } from '../../dist/import/gitleaks-ignore.js'
import { parseIgnoreFile } from '../../dist/suppress/ignore-file.js'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp, git, writeFiles } from '../helpers/repo.js'
import { DEMO_RULES, demoConfig, demoRepo, read, scanJson, token } from '../suppress/fixture.js'

/** A second rule that reports the same secret as demo-token, as a generic rule would. */
const ASSIGNMENT_RULE = {
  id: 'demo-assignment', description: 'Demo key assignment', regex: 'key = "(?<secret>[A-Za-z0-9_]{20,40})"', keywords: ['key = '],
  severity: 'medium', tags: ['demo'], examples: [`b64:${Buffer.from('key = "abcDEF123456ghiJKL7890"').toString('base64')}`], negatives: ['key = ""'],
}

afterAll(cleanupTemp)

describe('.gitleaksignore parsing', () => {
  it('reads history and directory fingerprints, from the right', () => {
    const commit = 'a'.repeat(40)
    const { entries, malformed } = parseGitleaksIgnore(
      [`# comment`, `${commit}:src/a.js:generic-api-key:12`, 'dir/with:colon.txt:stripe-access-token:3', '', 'not an entry', 'src/x.js:rule:abc'].join('\n'),
    )
    expect(entries).toEqual([
      { label: `${commit}:src/a.js:generic-api-key:12`, commit, file: 'src/a.js', rule: 'generic-api-key', line: 12 },
      { label: 'dir/with:colon.txt:stripe-access-token:3', file: 'dir/with:colon.txt', rule: 'stripe-access-token', line: 3 },
    ])
    expect(malformed.map((m: { line: number }) => m.line)).toEqual([5, 6])
  })
})

describe('sentra import gitleaks-ignore', () => {
  it('recovers the secrets behind old entries, in the work tree and in history, as fingerprints', () => {
    const historic = token('dmo_', 41)
    const current = token('dmo_', 42)
    const dir = demoRepo({ 'config/app.env': `# app\nACME_KEY=${historic}\n` }, demoConfig({ rules: [...DEMO_RULES, ASSIGNMENT_RULE] }))
    const first = git(dir, ['rev-parse', 'HEAD']).trim()
    writeFiles(dir, { 'config/app.env': '# app\nACME_KEY=${ACME_KEY}\n', 'src/b.js': `// b\n\nconst key = "${current}"\n` })
    git(dir, ['add', '-A'])
    git(dir, ['commit', '-q', '-m', 'move the key out'])
    writeFiles(dir, {
      '.gitleaksignore': [
        '# reviewed false positives',
        `${first}:config/app.env:generic-api-key:2`,
        'src/b.js:generic-api-key:3',
        'src/b.js:generic-api-key:1',
        'src/gone.js:generic-api-key:1',
        'garbage',
      ].join('\n'),
    })
    const before = scanJson(dir)
    expect(before.result.status).toBe(1)
    const onLine3 = before.report.findings.filter((f) => f.file === 'src/b.js' && f.line === 3)
    expect(onLine3.map((f) => f.rule)).toEqual(expect.arrayContaining(['demo-token', 'demo-assignment']))

    const result = sentra(['import', 'gitleaks-ignore', '--json'], { cwd: dir })
    expect(result.status, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout)
    expect(summary).toMatchObject({ entries: 5, recovered: 2, written: true })
    expect(summary.malformed).toEqual([{ line: 6, text: 'garbage' }])
    const reasons = Object.fromEntries(summary.unrecovered.map((u: { entry: string; reason: string }) => [u.entry, u.reason]))
    expect(reasons['src/b.js:generic-api-key:1']).toContain('sentra finds no secret at src/b.js:1')
    expect(reasons['src/gone.js:generic-api-key:1']).toContain('cannot read src/gone.js')

    const entries = parseIgnoreFile(read(dir, '.sentraignore'))
    // Both rules' findings of the one secret on src/b.js:3: the old entry meant the secret.
    for (const finding of onLine3) expect(entries.map((e: { fingerprint: string }) => e.fingerprint)).toContain(finding.fingerprint)
    expect(entries.length).toBe(summary.added)
    expect(entries.every((e: { glob?: string }) => e.glob === undefined)).toBe(true)
    // The work-tree secret is now ignored wherever it goes; so is the one only history held.
    expect(scanJson(dir).result.status).toBe(0)
    writeFiles(dir, { 'elsewhere.txt': `${historic}\n${current}\n` })
    const moved = scanJson(dir)
    expect(moved.result.status).toBe(0)
    expect(moved.report.findings).toEqual([])

    const again = JSON.parse(sentra(['import', 'gitleaks-ignore', '--json'], { cwd: dir }).stdout)
    expect(again).toMatchObject({ added: 0, written: false })
  })

  it('--keep-paths limits each entry to its file', () => {
    const secret = token('dmo_', 43)
    const dir = demoRepo({ 'src/b.js': `const key = "${secret}"\n` })
    writeFiles(dir, { '.gitleaksignore': 'src/b.js:some-rule:1\n' })
    expect(sentra(['import', 'gitleaks-ignore', '--keep-paths'], { cwd: dir }).status).toBe(0)
    expect(parseIgnoreFile(read(dir, '.sentraignore'))[0].glob).toBe('src/b.js')
    writeFiles(dir, { 'src/c.js': `const key = "${secret}"\n` })
    expect(scanJson(dir).report.findings.map((f) => f.file)).toEqual(['src/c.js'])
  })
})
