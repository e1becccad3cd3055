import { afterAll, describe, expect, it } from 'vitest'
import { allowedInline } from '../../dist/scan/inline-allow.js'
import { cleanupTemp } from '../helpers/repo.js'
import { demoRepo, scanJson, token } from './fixture.js'

afterAll(cleanupTemp)

/** Every comment syntax the issue lists, with a file type that uses it. */
const SYNTAXES = [
  { name: '#', file: 'app.py', comment: (text: string) => `# ${text}` },
  { name: '//', file: 'app.js', comment: (text: string) => `// ${text}` },
  { name: '/* */', file: 'app.css', comment: (text: string) => `/* ${text} */` },
  { name: '<!-- -->', file: 'page.html', comment: (text: string) => `<!-- ${text} -->` },
  { name: '--', file: 'schema.sql', comment: (text: string) => `-- ${text}` },
  { name: ';', file: 'app.ini', comment: (text: string) => `; ${text}` },
]

const MARKERS = [
  { same: 'sentra:allow', next: 'sentra:allow-next-line' },
  { same: 'gitleaks:allow', next: undefined },
  { same: 'pragma: allowlist secret', next: 'pragma: allowlist nextline secret' },
]

describe('inline allow markers', () => {
  it('work in every comment syntax, same line and next line, and suppress nothing else', () => {
    const files: Record<string, string> = {}
    const expected: { file: string; line: number }[] = []
    let seed = 1
    for (const syntax of SYNTAXES) {
      const lines: string[] = []
      for (const marker of MARKERS) {
        // Same-line marker: suppressed.
        lines.push(`key = "${token('dmo_', seed++)}" ${syntax.comment(marker.same)}`)
        // The line right after a same-line marker is not covered by it.
        lines.push(`key = "${token('dmo_', seed++)}"`)
        expected.push({ file: syntax.file, line: lines.length })
        if (marker.next) {
          lines.push(syntax.comment(marker.next))
          lines.push(`key = "${token('dmo_', seed++)}"`)
          // Only the one next line: the line after it is reported.
          lines.push(`key = "${token('dmo_', seed++)}"`)
          expected.push({ file: syntax.file, line: lines.length })
        }
      }
      files[syntax.file] = `${lines.join('\n')}\n`
    }
    const dir = demoRepo(files)
    const { result, report } = scanJson(dir)
    expect(result.status, result.stderr).toBe(1)
    const got = report.findings.map((f) => ({ file: f.file, line: f.line })).sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
    expect(got).toEqual(expected.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line))
  })

  it('a next-line marker covers exactly the next line: not its own line, not after a blank line', () => {
    const dir = demoRepo({
      'a.sh': [
        `export A="${token('dmo_', 50)}" # sentra:allow-next-line`,
        `export B="${token('dmo_', 51)}"`,
        '# pragma: allowlist nextline secret',
        '',
        `export C="${token('dmo_', 52)}"`,
      ].join('\n'),
    })
    const { report } = scanJson(dir)
    expect(report.findings.map((f) => f.line).sort()).toEqual([1, 5])
  })

  it('markers need their exact words', () => {
    expect(allowedInline('x # sentra:allow', undefined)).toBe(true)
    expect(allowedInline('x # SENTRA:ALLOW', undefined)).toBe(true)
    expect(allowedInline('x # sentra:allowed', undefined)).toBe(false)
    expect(allowedInline('x # sentra:allow-next-line', undefined)).toBe(false)
    expect(allowedInline('x', '# sentra:allow')).toBe(false)
    expect(allowedInline('x', '# sentra:allow-next-lines')).toBe(false)
    expect(allowedInline('x', '# sentra:allow-next-line')).toBe(true)
    expect(allowedInline('x # pragma: allowlist-secret', undefined)).toBe(true)
    expect(allowedInline('x', '# pragma:allowlist nextline secret')).toBe(true)
    expect(allowedInline('x # pragma: allowlist nextline secret', undefined)).toBe(false)
  })
})
