import { describe, expect, it } from 'vitest'
import { sentra } from './helpers/cli.js'

describe('dogfood', () => {
  it('sentra scan . on sentra itself is clean (fixtures allowlisted by .sentra/config.json, no rule weakened)', () => {
    const result = sentra(['scan', '.', '--json'])
    const report = JSON.parse(result.stdout)
    expect(report.findings.map((f: { file: string; line: number; rule: string }) => `${f.file}:${f.line} ${f.rule}`)).toEqual([])
    expect(result.status).toBe(0)
  })
})
