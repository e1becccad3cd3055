import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { baselineFromFindings, parseBaseline, serializeBaseline, updateBaseline } from '../../dist/suppress/baseline.js'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp, git, writeFiles } from '../helpers/repo.js'
import { demoRepo, read, scanJson, token } from './fixture.js'

afterAll(cleanupTemp)

const f = (fingerprint: string, file: string, rule = fingerprint.split(':')[0]!) => ({ fingerprint, rule, file })

describe('baseline file format', () => {
  it('is sorted, one entry per line, with no timestamps, line numbers or counts', () => {
    const text = serializeBaseline(
      baselineFromFindings([f('zz-rule:00000000000000aa', 'b.txt'), f('aa-rule:ffffffffffffffff', 'z.txt'), f('zz-rule:00000000000000aa', 'a.txt')]),
    )
    expect(text).toBe(
      [
        '{',
        '  "version": 1,',
        '  "findings": [',
        '    {"fingerprint":"aa-rule:ffffffffffffffff","rule":"aa-rule","files":["z.txt"]},',
        '    {"fingerprint":"zz-rule:00000000000000aa","rule":"zz-rule","files":["a.txt","b.txt"]}',
        '  ]',
        '}',
        '',
      ].join('\n'),
    )
    // Order of input does not matter: the same findings give the same bytes.
    expect(serializeBaseline(baselineFromFindings([f('zz-rule:00000000000000aa', 'a.txt'), f('aa-rule:ffffffffffffffff', 'z.txt'), f('zz-rule:00000000000000aa', 'b.txt')]))).toBe(text)
    expect(serializeBaseline(parseBaseline(text, 'b.json'))).toBe(text)
    expect(serializeBaseline(baselineFromFindings([]))).toBe('{\n  "version": 1,\n  "findings": []\n}\n')
  })

  it('rejects files that are not baselines', () => {
    expect(() => parseBaseline('{', 'b.json')).toThrow(/^b\.json: not valid JSON/)
    expect(() => parseBaseline('{"version":2,"findings":[]}', 'b.json')).toThrow(/unsupported baseline version 2/)
    expect(() => parseBaseline('{"version":1,"findings":[],"generated":"2024-01-01"}', 'b.json')).toThrow(/unknown key "generated"/)
    expect(() => parseBaseline('{"version":1,"findings":[{"fingerprint":"nope"}]}', 'b.json')).toThrow(/findings\[0\]/)
  })

  it('update adds new findings and removes only entries the scan covered', () => {
    const previous = baselineFromFindings([f('r:1111111111111111', 'src/a.js'), f('r:2222222222222222', 'docs/b.md'), f('r:3333333333333333', 'src/c.js')])
    const underSrc = (entry: { files: string[] }) => entry.files.every((file) => file.startsWith('src/'))
    const update = updateBaseline(previous, [f('r:1111111111111111', 'src/a.js'), f('r:4444444444444444', 'src/d.js')], underSrc)
    expect(update.added.map((e: { fingerprint: string }) => e.fingerprint)).toEqual(['r:4444444444444444'])
    expect(update.removed.map((e: { fingerprint: string }) => e.fingerprint)).toEqual(['r:3333333333333333'])
    expect(update.baseline.findings.map((e: { fingerprint: string }) => e.fingerprint)).toEqual(['r:1111111111111111', 'r:2222222222222222', 'r:4444444444444444'])
  })
})

describe('sentra baseline create/update and --baseline', () => {
  it('only findings not in the baseline fail, and the file stays byte-stable', () => {
    const dir = demoRepo({ 'a.env': `A=${token('dmo_', 1)}\nB=${token('dlo_', 2)}\n`, 'docs/x.md': `see ${token('dmo_', 1)}\n` })
    const created = sentra(['baseline', 'create'], { cwd: dir })
    expect(created.status, created.stderr).toBe(0)
    expect(created.stdout).toContain('Wrote .sentra/baseline.json: 2 findings accepted (3 occurrences)')
    const first = read(dir, '.sentra/baseline.json')
    expect(JSON.parse(first).findings).toHaveLength(2)
    expect(first).not.toMatch(/"line"|"date"|"time"|generated/i)

    expect(scanJson(dir, ['--baseline', '.sentra/baseline.json']).result.status).toBe(0)
    expect(scanJson(dir).result.status).toBe(1)

    // A new secret fails, alone; the accepted ones stay quiet.
    writeFiles(dir, { 'b.env': `C=${token('dmo_', 3)}\n` })
    const withNew = scanJson(dir, ['--baseline', '.sentra/baseline.json'])
    expect(withNew.result.status).toBe(1)
    expect(withNew.report.findings.map((x) => x.file)).toEqual(['b.env'])

    // create refuses to overwrite; update is the way, and running it twice changes nothing.
    const again = sentra(['baseline', 'create'], { cwd: dir })
    expect(again.status).toBe(2)
    expect(again.stderr).toContain('already exists: use `sentra baseline update`')
    const updated = sentra(['baseline', 'update', '--json'], { cwd: dir })
    expect(updated.status, updated.stderr).toBe(0)
    expect(JSON.parse(updated.stdout)).toMatchObject({ changed: true, removed: [], kept: 2, total: 3 })
    const second = read(dir, '.sentra/baseline.json')
    const mtime = statSync(join(dir, '.sentra/baseline.json')).mtimeMs
    const noop = sentra(['baseline', 'update'], { cwd: dir })
    expect(noop.stdout).toContain('Unchanged .sentra/baseline.json: 0 added, 0 removed, 3 kept')
    expect(read(dir, '.sentra/baseline.json')).toBe(second)
    expect(statSync(join(dir, '.sentra/baseline.json')).mtimeMs).toBe(mtime)

    // A fixed secret leaves the baseline on update, unless --no-prune.
    writeFiles(dir, { 'b.env': 'C=\n' })
    expect(JSON.parse(sentra(['baseline', 'update', '--no-prune', '--json'], { cwd: dir }).stdout).removed).toEqual([])
    const pruned = JSON.parse(sentra(['baseline', 'update', '--json'], { cwd: dir }).stdout)
    expect(pruned.removed).toHaveLength(1)
    expect(pruned.total).toBe(2)

    // A fresh create gives the same bytes as the updates arrived at.
    expect(sentra(['baseline', 'create', '--force'], { cwd: dir }).status).toBe(0)
    expect(read(dir, '.sentra/baseline.json')).toBe(first)
  })

  it('a scan of some paths prunes only entries under them', () => {
    const dir = demoRepo({ 'src/a.js': `x = "${token('dmo_', 11)}"\n`, 'docs/b.md': `${token('dmo_', 12)}\n` })
    expect(sentra(['baseline', 'create'], { cwd: dir }).status).toBe(0)
    writeFiles(dir, { 'src/a.js': 'x = 1\n' })
    const update = JSON.parse(sentra(['baseline', 'update', 'src', '--json'], { cwd: dir }).stdout)
    expect(update.removed).toHaveLength(1)
    expect(update.total).toBe(1)
    expect(read(dir, '.sentra/baseline.json')).toContain('docs/b.md')
  })

  it('accepts what a saved JSON report found (e.g. of a history scan)', () => {
    const dir = demoRepo({ 'a.env': `A=${token('dmo_', 21)}\n` })
    const report = sentra(['scan', '--json', '-o', 'report.json'], { cwd: dir })
    expect(report.status).toBe(1)
    writeFiles(dir, { 'a.env': 'A=\n' })
    const created = sentra(['baseline', 'create', '--from-report', 'report.json', '--json'], { cwd: dir })
    expect(created.status, created.stderr).toBe(0)
    expect(JSON.parse(created.stdout).accepted).toBe(1)
    writeFileSync(join(dir, 'bad.json'), '{"findings": []}')
    const bad = sentra(['baseline', 'create', '--force', '--from-report', 'bad.json'], { cwd: dir })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('bad.json: not a sentra JSON report')
    const missing = sentra(['scan', '--baseline', 'nope.json'], { cwd: dir })
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('nope.json: no such baseline file')
  })

  it('the guard honours --baseline and never rewrites the file', () => {
    const accepted = token('dmo_', 31)
    const dir = demoRepo({ 'a.env': `A=${accepted}\n` })
    expect(sentra(['baseline', 'create'], { cwd: dir }).status).toBe(0)
    git(dir, ['add', '-A'])
    git(dir, ['commit', '-q', '-m', 'baseline'])
    const before = readFileSync(join(dir, '.sentra/baseline.json'))
    const mtime = statSync(join(dir, '.sentra/baseline.json')).mtimeMs

    writeFiles(dir, { 'b.env': `B=${accepted}\n` })
    git(dir, ['add', 'b.env'])
    const known = sentra(['guard', '--baseline', '.sentra/baseline.json'], { cwd: dir })
    expect(known.status, known.stdout + known.stderr).toBe(0)
    expect(sentra(['guard'], { cwd: dir }).status).toBe(1)

    writeFiles(dir, { 'c.env': `C=${token('dmo_', 32)}\n` })
    git(dir, ['add', 'c.env'])
    const fresh = sentra(['guard', '--baseline', '.sentra/baseline.json'], { cwd: dir })
    expect(fresh.status).toBe(1)
    expect(fresh.stdout).toContain('c.env')
    expect(fresh.stdout).not.toContain('b.env')
    expect(readFileSync(join(dir, '.sentra/baseline.json')).equals(before)).toBe(true)
    expect(statSync(join(dir, '.sentra/baseline.json')).mtimeMs).toBe(mtime)
  })
})
