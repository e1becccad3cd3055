import { afterAll, describe, expect, it } from 'vitest'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp, writeFiles } from '../helpers/repo.js'
import { demoRepo, scanJson, token } from './fixture.js'

afterAll(cleanupTemp)

describe('--fail-on', () => {
  it('fails only for findings at or above the threshold, and still reports the others', () => {
    const dir = demoRepo({ 'a.env': `LOW=${token('dlo_', 1)}\nHIGH=${token('dmo_', 2)}\nCRIT=${token('dcr_', 3)}\n` })
    const all = scanJson(dir)
    expect(all.result.status).toBe(1)
    expect(all.report.findings.map((f) => f.severity).sort()).toEqual(['critical', 'high', 'low'])

    const critical = scanJson(dir, ['--fail-on', 'critical'])
    expect(critical.result.status).toBe(1)
    expect(critical.report.findings).toHaveLength(3)
    expect(critical.report.notices.map((n) => n.message)).toContain('2 findings below --fail-on critical reported without failing')

    writeFiles(dir, { 'a.env': `LOW=${token('dlo_', 1)}\nHIGH=${token('dmo_', 2)}\n` })
    const text = sentra(['scan', '--fail-on', 'critical'], { cwd: dir })
    expect(text.status).toBe(0)
    expect(text.stdout).toContain('2 secrets found')
    expect(text.stdout).toContain('a.env:1:5')
    expect(scanJson(dir, ['--fail-on', 'high']).result.status).toBe(1)
    expect(scanJson(dir, ['--fail-on', 'low']).result.status).toBe(1)
  })

  it('rejects an unknown severity as a usage error', () => {
    const dir = demoRepo({ 'a.txt': 'x\n' })
    const result = sentra(['scan', '--fail-on', 'severe'], { cwd: dir })
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/--fail-on/)
  })
})
