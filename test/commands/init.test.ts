import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sentra } from '../helpers/cli.js'
import { cleanupTemp, git, tempDir, tempRepo, writeFiles } from '../helpers/repo.js'
import { fakeChars, joined } from '../helpers/samples.js'

afterAll(cleanupTemp)

const FILES = ['.sentra/config.json', '.sentraignore', '.gitattributes', '.gitignore', '.git/hooks/pre-commit', '.git/hooks/pre-merge-commit']

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(FILES.map((file) => [file, readFileSync(join(dir, file), 'utf8')]))
}

describe('sentra init', () => {
  it('sets up a clone, keeps what is there, and a second run changes nothing', () => {
    const dir = tempRepo()
    writeFiles(dir, { '.gitignore': 'node_modules/\n.env', '.gitattributes': '*.png binary\n' })
    const first = sentra(['init', '--json'], { cwd: dir })
    expect(first.status, first.stderr).toBe(0)
    const { actions } = JSON.parse(first.stdout) as { actions: { target: string; action: string }[] }
    expect(Object.fromEntries(actions.map((a) => [a.target, a.action]))).toEqual({
      '.sentra/config.json': 'created',
      '.sentraignore': 'created',
      '.gitattributes': 'updated',
      '.gitignore': 'updated',
      '.git/hooks/pre-commit': 'installed',
      '.git/hooks/pre-merge-commit': 'installed',
      'git config diff.sentra.textconv': 'created',
      'git config merge.sentra.name': 'created',
      'git config merge.sentra.driver': 'created',
    })
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.env\n\n# sentra: leftovers of interrupted writes (may hold decrypted plaintext)\n.*.????????????.tmp\n')
    expect(readFileSync(join(dir, '.gitattributes'), 'utf8')).toMatch(/^\*\.png binary\n\n# sentra: .*\n\*\.age binary\n\*\.age\.sig binary\n$/)
    expect(sentra(['config', 'validate'], { cwd: dir }).status).toBe(0)

    const before = snapshot(dir)
    const mtime = statSync(join(dir, '.sentra/config.json')).mtimeMs
    const second = sentra(['init'], { cwd: dir })
    expect(second.status).toBe(0)
    expect(second.stdout).toMatch(/^sentra is already set up in /)
    expect(second.stdout).not.toMatch(/^\s+(created|updated|installed)\s/m)
    expect(snapshot(dir)).toEqual(before)
    expect(statSync(join(dir, '.sentra/config.json')).mtimeMs).toBe(mtime)
  })

  it('the installed hook guards commits', () => {
    const dir = tempRepo()
    expect(sentra(['init'], { cwd: dir }).status).toBe(0)
    git(dir, ['add', '-A'])
    git(dir, ['commit', '-q', '-m', 'set up sentra'])
    const aws = joined('AKIA', fakeChars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 3))
    writeFiles(dir, { 'creds.env': `AWS_ACCESS_KEY_ID=${aws}\n` })
    git(dir, ['add', 'creds.env'])
    let output = ''
    try {
      git(dir, ['commit', '-q', '-m', 'oops'])
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string }
      output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`
    }
    expect(output).toContain('Commit blocked')
    expect(output).not.toContain(aws)
    expect(git(dir, ['log', '--oneline']).trim().split('\n')).toHaveLength(1)
  })

  it('keeps an existing config as it is, and refuses a broken one', () => {
    const dir = tempRepo()
    writeFiles(dir, { '.sentra/config.json': '{"version": 1, "minSeverity": "high"}\n' })
    expect(sentra(['init', '--no-hooks'], { cwd: dir }).status).toBe(0)
    expect(readFileSync(join(dir, '.sentra/config.json'), 'utf8')).toBe('{"version": 1, "minSeverity": "high"}\n')
    expect(existsSync(join(dir, '.git/hooks/pre-commit'))).toBe(false)

    writeFiles(dir, { '.sentra/config.json': '{"version": 1, "colour": "red"}\n' })
    const broken = sentra(['init'], { cwd: dir })
    expect(broken.status).toBe(2)
    expect(broken.stderr).toContain('.sentra/config.json: top level: unknown key "colour"')
    expect(readFileSync(join(dir, '.sentra/config.json'), 'utf8')).toBe('{"version": 1, "colour": "red"}\n')
  })

  it('needs a git repository', () => {
    const result = sentra(['init'], { cwd: tempDir() })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('not inside a git repository')
  })
})
