import { spawnSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { renderJunit } from '../../dist/report/junit.js'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp } from '../helpers/repo.js'
import { demoRepo, token } from '../suppress/fixture.js'
import { parseXml, type XmlElement } from './xml.js'

afterAll(cleanupTemp)

const hasPython = spawnSync('python3', ['-c', 'import xml.dom.minidom'], { stdio: 'ignore' }).status === 0

/** Where Python is installed, its expat parser checks well-formedness too: a second opinion. */
function expatAccepts(xml: string): boolean {
  const result = spawnSync('python3', ['-c', 'import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())'], { input: xml })
  return result.status === 0
}

function finding(overrides: Record<string, unknown> = {}) {
  return {
    rule: 'demo-token', description: 'Demo token', severity: 'high', tags: [], file: 'src/app.js', line: 3, column: 7, endLine: 3, endColumn: 35,
    secret: 'dmo_********', fingerprint: 'demo-token:0123456789abcdef', ...overrides,
  }
}

const stats = { files: 2, bytes: 10, skipped: 0, findings: 0, durationMs: 1234 }
const cases = (suite: XmlElement) => suite.children.filter((child) => child.name === 'testcase')

describe('JUnit report', () => {
  it('is well-formed XML with consistent counts, one case per finding', () => {
    const xml = renderJunit({
      findings: [
        finding(),
        finding({ severity: 'low', rule: 'demo-low', file: 'a<b>&"c\'.txt', secret: 'x\u0001y' }),
        finding({ file: 'src/other.js', commit: { commit: 'a'.repeat(40), author: 'Ann <ann@example.invalid>', email: 'ann@example.invalid', date: '2024-01-01' } }),
      ],
      notices: [{ kind: 'long-line', file: 'big.min.js', message: 'line 1 is long & <odd>' }],
      stats,
    } as never, { failOn: 'medium' })
    const root = parseXml(xml)
    expect(root.name).toBe('testsuites')
    const suite = root.children.find((child) => child.name === 'testsuite')!
    expect(suite.attributes).toMatchObject({ tests: '3', failures: '2', errors: '0', skipped: '1', time: '1.234' })
    expect(root.attributes).toMatchObject({ tests: '3', failures: '2', skipped: '1' })
    const all = cases(suite)
    expect(all).toHaveLength(3)
    const odd = all.find((c) => c.attributes.file === 'a<b>&"c\'.txt')!
    expect(odd.children.map((c) => c.name)).toEqual(['skipped', 'system-out'])
    expect(odd.children[0]!.attributes.message).toContain('below --fail-on medium')
    expect(odd.children[1]!.text).toContain('secret: x\uFFFDy')
    const failure = all[0]!.children[0]!
    expect(failure.name).toBe('failure')
    expect(failure.attributes.type).toBe('demo-token')
    expect(failure.text).toContain('fingerprint: demo-token:0123456789abcdef')
    expect(all[2]!.children[0]!.text).toContain('by Ann <ann@example.invalid>')
    expect(suite.children.find((c) => c.name === 'system-out')!.text).toContain('big.min.js: line 1 is long & <odd>')
    if (hasPython) expect(expatAccepts(xml)).toBe(true)
  })

  it('a clean scan still has one passing test case', () => {
    const xml = renderJunit({ findings: [], notices: [], stats } as never)
    const suite = parseXml(xml).children[0]!
    expect(suite.attributes).toMatchObject({ tests: '1', failures: '0', skipped: '0' })
    expect(cases(suite)[0]!.children).toEqual([])
  })

  it('the test parser itself rejects malformed XML', () => {
    for (const bad of ['<a><b></a></b>', '<a x=1/>', '<a>&nbsp;</a>', '<a>1 < 2</a>', '<a/><b/>', '<a x="1" x="2"/>', '<a>\u0001</a>', '<a>']) {
      expect(() => parseXml(bad), bad).toThrow()
    }
  })

  it('sentra scan --format junit writes it, exit code unchanged', () => {
    const dir = demoRepo({ 'a.env': `A=${token('dmo_', 1)}\nB=${token('dlo_', 2)}\n` })
    const result = sentra(['scan', '--format', 'junit', '--fail-on', 'high'], { cwd: dir })
    expect(result.status).toBe(1)
    const suite = parseXml(result.stdout).children[0]!
    expect(suite.attributes).toMatchObject({ tests: '2', failures: '1', skipped: '1' })
    if (hasPython) expect(expatAccepts(result.stdout)).toBe(true)
  })
})
