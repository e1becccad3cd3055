import { afterAll, describe, expect, it } from 'vitest'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp, tempRepo, writeFiles } from '../helpers/repo.js'
import { demoConfig, token } from '../suppress/fixture.js'

afterAll(cleanupTemp)

function repo(config = demoConfig(), files: Record<string, string> = {}): string {
  const dir = tempRepo()
  writeFiles(dir, { '.sentra/config.json': config, ...files })
  return dir
}

describe('sentra patterns list', () => {
  it('lists library and custom rules with the config applied', () => {
    const dir = repo(demoConfig({ disabledRules: ['demo-low'], ruleOverrides: { 'demo-token': { severity: 'critical' } } }))
    const rules = JSON.parse(sentra(['patterns', 'list', '--json'], { cwd: dir }).stdout) as { id: string; severity: string; source: string; status: string }[]
    expect(rules.find((r) => r.id === 'demo-token')).toMatchObject({ severity: 'critical', source: '.sentra/config.json', status: 'active' })
    expect(rules.find((r) => r.id === 'demo-low')).toBeUndefined()
    expect(rules.some((r) => r.source.startsWith('patterns/'))).toBe(true)
    const all = JSON.parse(sentra(['patterns', 'list', '--all', '--json', '--tag', 'demo'], { cwd: dir }).stdout) as { id: string; status: string }[]
    expect(all.map((r) => `${r.id}:${r.status}`).sort()).toEqual(['demo-critical:active', 'demo-low:disabled', 'demo-token:active'])
    const text = sentra(['patterns', 'list', '--tag', 'demo'], { cwd: dir })
    expect(text.status).toBe(0)
    expect(text.stdout).toMatch(/^demo-token\s+critical\s+Demo high token/m)
  })
})

describe('sentra patterns test', () => {
  it('shows which rule matched, and why others were dropped or did not run', () => {
    const dir = repo(demoConfig({ disabledRules: ['demo-critical'], ruleOverrides: { 'demo-low': { allowPaths: ['docs/**'] } } }))
    const text = [
      `key = "${token('dmo_', 1)}"`,
      'key = "dmo_xxxxxxxxxxxxxxxxxxxxxxxx"',
      `crit = "${token('dcr_', 2)}"`,
      `low = "${token('dlo_', 3)}"`,
      `allowed = "${token('dmo_', 4)}" # sentra:allow`,
    ].join('\n')
    const result = sentra(['patterns', 'test', '--json', '--path', 'docs/a.md', text], { cwd: dir })
    expect(result.status, result.stderr).toBe(1)
    const { explanations } = JSON.parse(result.stdout) as { explanations: { rule: string; verdict: string; line: number; reason?: string; secret: string; fingerprint?: string }[] }
    const by = (line: number) => explanations.find((e) => e.line === line)!
    expect(by(1)).toMatchObject({ rule: 'demo-token', verdict: 'found', secret: 'dmo_********' })
    expect(by(1).fingerprint).toMatch(/^demo-token:[0-9a-f]{16}$/)
    expect(by(2)).toMatchObject({ verdict: 'dropped', reason: 'placeholder or template value' })
    expect(by(3)).toMatchObject({ rule: 'demo-critical', verdict: 'skipped', reason: 'disabled in the config (disabledRules)' })
    expect(by(4)).toMatchObject({ rule: 'demo-low', verdict: 'skipped', reason: 'its paths/allowPaths exclude "docs/a.md"' })
    expect(by(5)).toMatchObject({ verdict: 'suppressed', reason: 'inline allow marker' })
    expect(result.stdout).not.toContain(token('dmo_', 1))

    const plain = sentra(['patterns', 'test', '--rule', 'demo-token', 'key = "dmo_xxxxxxxxxxxxxxxxxxxxxxxx"'], { cwd: dir })
    expect(plain.status).toBe(0)
    expect(plain.stdout).toMatch(/^DROPPED\s+demo-token \(high\) 1:8\s+dmo_\*+\s+placeholder or template value$/m)
  })

  it('reads a file or stdin, and refuses ambiguous or unknown input', () => {
    const dir = repo(demoConfig(), { 'conf/app.env': `A=${token('dmo_', 5)}\n` })
    const file = sentra(['patterns', 'test', '--file', 'conf/app.env'], { cwd: dir })
    expect(file.status).toBe(1)
    expect(file.stdout).toMatch(/^FOUND\s+demo-token \(high\) 1:3/m)
    const stdin = sentra(['patterns', 'test', '--stdin'], { cwd: dir, input: 'nothing to see\n' })
    expect(stdin.status).toBe(0)
    expect(stdin.stdout).toBe('No rule matches.\n')
    expect(sentra(['patterns', 'test'], { cwd: dir }).status).toBe(2)
    const unknown = sentra(['patterns', 'test', '--rule', 'nope', 'x'], { cwd: dir })
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('unknown rule "nope"')
  })
})
