import { createHash } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { parseBaseline } from '../../dist/suppress/baseline.js'
import { parseIgnoreFile } from '../../dist/suppress/ignore-file.js'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp, writeFiles } from '../helpers/repo.js'
import { demoRepo, read, scanJson, token } from '../suppress/fixture.js'

afterAll(cleanupTemp)

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')

/** A detect-secrets 1.x baseline as `detect-secrets scan` writes it. */
function secretsBaseline(results: Record<string, object[]>): string {
  return JSON.stringify(
    {
      version: '1.5.0',
      plugins_used: [{ name: 'ArtifactoryDetector' }, { name: 'AWSKeyDetector' }, { name: 'Base64HighEntropyString', limit: 4.5 }, { name: 'KeywordDetector' }],
      filters_used: [{ path: 'detect_secrets.filters.allowlist.is_line_allowlisted' }, { path: 'detect_secrets.filters.heuristic.is_likely_id_string' }],
      results,
      generated_at: '2024-05-01T10:00:00Z',
    },
    null,
    2,
  )
}

describe('sentra import detect-secrets', () => {
  it('false positives go to .sentraignore, the rest to the baseline, matched by the secret hash', () => {
    const dismissed = token('dmo_', 61)
    const known = token('dmo_', 62)
    const moved = token('dmo_', 63)
    const dir = demoRepo({ 'settings.py': `DEMO = "${dismissed}"\n\nOTHER = "${known}"\n\nMOVED = "${moved}"\n` })
    const entry = (type: string, line: number, secret: string, extra: object = {}) => ({
      type, filename: 'settings.py', hashed_secret: sha1(secret), is_verified: false, line_number: line, ...extra,
    })
    writeFiles(dir, {
      '.secrets.baseline': secretsBaseline({
        'settings.py': [
          entry('Secret Keyword', 1, dismissed, { is_secret: false }),
          entry('Base64 High Entropy String', 3, known),
          // The line moved since the baseline was written: the hash still finds it.
          entry('Secret Keyword', 2, moved, { is_secret: true }),
          // Nothing there and the hash matches nothing.
          entry('Secret Keyword', 4, 'not-in-the-file'),
        ],
        'gone.py': [{ type: 'AWS Access Key', filename: 'gone.py', hashed_secret: sha1('x'), is_verified: false, line_number: 1 }],
      }),
    })
    // Only settings.py: the library's generic rules may flag the SHA-1 hashes in .secrets.baseline.
    const fingerprints = Object.fromEntries(scanJson(dir, ['settings.py']).report.findings.map((f) => [f.line, f.fingerprint]))
    expect(Object.keys(fingerprints)).toEqual(['1', '3', '5'])
    const result = sentra(['import', 'detect-secrets', '--json'], { cwd: dir })
    expect(result.status, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout)
    expect(summary).toMatchObject({ entries: 5, recovered: 3, ignoreFile: { added: 1, written: true }, baseline: { added: 2, written: true } })
    expect(summary.unrecovered.map((u: { entry: string }) => u.entry).sort()).toEqual(['AWS Access Key at gone.py:1', 'Secret Keyword at settings.py:4'])

    expect(parseIgnoreFile(read(dir, '.sentraignore')).map((e: { fingerprint: string }) => e.fingerprint)).toEqual([fingerprints[1]])
    expect(parseBaseline(read(dir, '.sentra/baseline.json'), 'b').findings.map((e: { fingerprint: string }) => e.fingerprint).sort()).toEqual(
      [fingerprints[3], fingerprints[5]].sort(),
    )

    const plain = scanJson(dir, ['settings.py'])
    expect(plain.result.status).toBe(1)
    expect(plain.report.findings.map((f) => f.line)).toEqual([3, 5])
    expect(scanJson(dir, ['--baseline', '.sentra/baseline.json', 'settings.py']).result.status).toBe(0)

    const again = JSON.parse(sentra(['import', 'detect-secrets', '--json'], { cwd: dir }).stdout)
    expect(again).toMatchObject({ ignoreFile: { added: 0, written: false }, baseline: { added: 0, written: false } })
  })

  it('rejects what is not a detect-secrets baseline', () => {
    const dir = demoRepo({ 'a.txt': 'x\n' })
    writeFiles(dir, { '.secrets.baseline': '{"version": "1.5.0"}' })
    const result = sentra(['import', 'detect-secrets'], { cwd: dir })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('.secrets.baseline: not a detect-secrets baseline: no "results" object')
  })
})
