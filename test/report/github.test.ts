import { afterAll, describe, expect, it } from 'vitest'
import { renderGithub } from '../../dist/report/github.js'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp } from '../helpers/repo.js'
import { demoRepo, token } from '../suppress/fixture.js'

afterAll(cleanupTemp)

interface Annotation {
  level: string
  properties: Record<string, string>
  message: string
}

/** Parses workflow commands the way the Actions runner does, undoing its escapes. */
function parseCommands(text: string): Annotation[] {
  const unescape = (value: string) => value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')
  return text
    .split('\n')
    .filter((line) => line.startsWith('::'))
    .map((line) => {
      const match = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
      if (!match) throw new Error(`not a workflow command: ${line}`)
      const properties: Record<string, string> = {}
      for (const pair of (match[2] ?? '').split(',').filter(Boolean)) {
        const eq = pair.indexOf('=')
        if (eq === -1) throw new Error(`bad property ${pair}`)
        properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1))
      }
      return { level: match[1]!, properties, message: unescape(match[3]!) }
    })
}

function finding(overrides: Record<string, unknown> = {}) {
  return {
    rule: 'demo-token', description: 'Demo token', severity: 'high', tags: [], file: 'src/app.js', line: 3, column: 7, endLine: 3, endColumn: 35,
    secret: 'dmo_********', fingerprint: 'demo-token:0123456789abcdef', ...overrides,
  }
}

describe('GitHub annotations', () => {
  it('one annotation per finding, escaped so the runner reads back the exact values', () => {
    const text = renderGithub({
      findings: [finding({ file: 'dir,with:odd%chars\nname.txt' }), finding({ severity: 'low', rule: 'demo-low', line: 9, endLine: 12 })],
      notices: [{ kind: 'long-line', file: 'min.js', message: 'line 1: 50% scanned' }, { kind: 'binary', file: 'a.png', message: 'binary' }],
      stats: { files: 3, bytes: 1, skipped: 0, findings: 2, durationMs: 1 },
    } as never, { failOn: 'high' })
    const annotations = parseCommands(text)
    expect(annotations).toHaveLength(3)
    expect(annotations[0]).toMatchObject({
      level: 'error',
      properties: { file: 'dir,with:odd%chars\nname.txt', line: '3', endLine: '3', col: '7', endColumn: '35', title: 'sentra: demo-token (high)' },
    })
    expect(annotations[0]!.message.split('\n')[0]).toBe('Demo token: dmo_********')
    expect(annotations[0]!.message).toContain('fingerprint demo-token:0123456789abcdef')
    // Below --fail-on: reported, not as an error; a multi-line region has no columns.
    expect(annotations[1]!.level).toBe('notice')
    expect(annotations[1]!.properties).toEqual({ file: 'src/app.js', line: '9', endLine: '12', title: 'sentra: demo-low (low)' })
    expect(annotations[2]).toEqual({ level: 'notice', properties: { file: 'min.js', title: 'sentra' }, message: 'line 1: 50% scanned' })
    expect(text.trimEnd().split('\n').pop()).toBe('sentra: 2 secrets found in 3 files.')
  })

  it('sentra scan --format github, with --fail-on deciding the exit code', () => {
    const dir = demoRepo({ 'a.env': `A=${token('dlo_', 1)}\n` })
    const result = sentra(['scan', '--format', 'github', '--fail-on', 'medium'], { cwd: dir })
    expect(result.status).toBe(0)
    const [annotation] = parseCommands(result.stdout)
    expect(annotation).toMatchObject({ level: 'notice', properties: { file: 'a.env', line: '1', col: '3' } })
    expect(sentra(['scan', '--format', 'github'], { cwd: dir }).status).toBe(1)
  })
})
