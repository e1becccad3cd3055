// `sentra scan` runs through a fast entry that skips oclif (src/fast/scan.ts). These tests hold it to
// the oclif command: the same flag table, and the same output, files and exit codes for the same
// arguments (SENTRA_FAST_SCAN=0 takes the oclif path).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import Scan from '../../dist/commands/scan.js'
import { SentraCommand } from '../../dist/cli/base.js'
import { SCAN_FLAG_TABLE, parseScanArgs } from '../../dist/fast/scan-args.js'
import { PROJECT_ROOT, sentra, type CliResult } from '../helpers/cli.js'
import { cleanupTemp, git, tempRepo, writeFiles } from '../helpers/repo.js'
import { fakeChars, joined } from '../helpers/samples.js'

afterAll(cleanupTemp)

interface OclifFlag {
  type: 'boolean' | 'option'
  char?: string
  allowNo?: boolean
  default?: unknown
  options?: string[]
  exclusive?: string[]
  dependsOn?: string[]
  parse?: (input: string, context: unknown, flag: unknown) => Promise<unknown>
}

describe('the fast entry\'s flag table', () => {
  const oclifFlags = { ...Scan.flags, ...SentraCommand.baseFlags } as unknown as Record<string, OclifFlag>

  it('has exactly the oclif command\'s flags', () => {
    expect(Object.keys(SCAN_FLAG_TABLE).sort()).toEqual(Object.keys(oclifFlags).sort())
  })

  it.each(Object.keys(SCAN_FLAG_TABLE))('declares --%s as oclif does', async (name) => {
    const spec = SCAN_FLAG_TABLE[name]!
    const flag = oclifFlags[name]!
    expect(spec.char).toBe(flag.char)
    expect(spec.allowNo ?? false).toBe(flag.allowNo ?? false)
    expect(spec.default).toEqual(flag.default)
    expect(spec.options ? [...spec.options] : undefined).toEqual(flag.options)
    expect([...(spec.exclusive ?? [])].sort()).toEqual([...(flag.exclusive ?? [])].sort())
    expect([...(spec.dependsOn ?? [])].sort()).toEqual([...(flag.dependsOn ?? [])].sort())
    if (spec.type === 'boolean') {
      expect(flag.type).toBe('boolean')
      return
    }
    expect(flag.type).toBe('option')
    // An integer flag is an option flag whose parse gives numbers within its bounds.
    const parse = (input: string) => flag.parse!(input, {}, flag)
    if (spec.type === 'string') {
      expect(await parse('5')).toBe('5')
      return
    }
    expect(await parse('5')).toBe(5)
    expect(spec.min).toBeDefined()
    await expect(parse(String(spec.min))).resolves.toBe(spec.min)
    await expect(parse(String(spec.min! - 1))).rejects.toThrow()
    if (spec.max === undefined) await expect(parse('100000')).resolves.toBe(100000)
    else {
      await expect(parse(String(spec.max))).resolves.toBe(spec.max)
      await expect(parse(String(spec.max + 1))).rejects.toThrow()
    }
  })
})

describe('parseScanArgs', () => {
  it('parses the plain forms as oclif does', () => {
    expect(parseScanArgs([])).toEqual({ flags: { format: 'text', redact: true }, paths: [] })
    expect(parseScanArgs(['src', '-f', 'sarif', '--no-redact', '--threads=2', 'a b', '-v', '--no-color', '--fail-on', 'high'])).toEqual({
      flags: { format: 'sarif', redact: false, threads: 2, verbose: true, color: false, 'fail-on': 'high' },
      paths: ['src', 'a b'],
    })
    expect(parseScanArgs(['--stdin', '--stdin-filename', '.env', '--json', '--debug'])?.flags).toEqual({
      stdin: true, 'stdin-filename': '.env', json: true, debug: true, format: 'text', redact: true,
    })
    expect(parseScanArgs(['--commits', '3', '--config', 'c.json', '-o', 'out.json'])?.flags).toEqual({
      commits: 3, config: 'c.json', output: 'out.json', format: 'text', redact: true,
    })
  })

  it.each([
    [['--foo']], [['-x']], [['--format', 'yaml']], [['--format']], [['--threads', '65']], [['--threads', '-1']], [['--threads', '1.5']],
    [['--threads', '007']], [['--threads=']], [['--commits', '0']], [['--fail-on', 'severe']], [['--stdin-filename', 'x']],
    [['--staged', '--history']], [['--staged', '--stdin']], [['--since', 'HEAD~1', '--commits', '2']], [['--json', '--json']],
    [['--color', '--no-color']], [['-f', 'json', '--format', 'text']], [['-vf', 'json']], [['-fjson']], [['-f=json']],
    [['--color=true']], [['--verbose=']], [['--no-json']], [['--no-debug']], [['--', 'a']], [['-']], [['--config', '-x']],
    [['--config=']], [['--stdin=1']],
  ])('leaves %j to oclif', (argv) => {
    expect(parseScanArgs(argv)).toBeUndefined()
  })
})

describe('sentra scan: the fast entry and the oclif command agree', () => {
  const secret = joined('dmo_', fakeChars('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789', 24, 7))
  const other = joined('dmo_', fakeChars('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789', 24, 8))
  const repo = tempRepo()
  writeFiles(repo, {
    '.sentra/config.json': JSON.stringify({
      version: 1,
      rules: [{ id: 'demo-token', description: 'Demo token', regex: '\\b(dmo_[A-Za-z0-9]{24})\\b', keywords: ['dmo_'], severity: 'high', tags: ['demo'], examples: ['b64:ZG1vX2FiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eA=='], negatives: ['dmo_short'] }],
      fixtures: ['fixtures/**'],
      disabledRules: ['generic-secret-assignment'],
    }),
    'src/app.js': `const config = {\n  token: "${secret}",\n}\n`,
    'clean.txt': 'nothing to see\n',
    '.sentraignore': 'demo-token:aaaaaaaaaaaaaaaa  # matches nothing: stale\n',
    'broken.json': '{ "version": 1,\n',
    'fixtures/sample.env': `TOKEN=${secret}\n`,
    'image.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]),
    ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`many/file${i}.txt`, i % 10 === 0 ? `key ${secret}\n` : `line ${i}\n`])),
  })
  git(repo, ['add', '-A'])
  git(repo, ['commit', '-qm', 'init'])
  writeFiles(repo, { 'src/later.js': `export const t = "${other}"\n` })
  git(repo, ['add', 'src/later.js'])
  git(repo, ['commit', '-qm', 'later'])
  writeFiles(repo, { 'src/staged.js': `export const s = "${other}"\n` })
  git(repo, ['add', 'src/staged.js'])

  /** Timings differ from run to run: everything else must not. */
  const steady = (text: string) =>
    text
      .replace(/\b\d+ ms\b/g, 'N ms')
      .replace(/"durationMs": \d+/g, '"durationMs": N')
      .replace(/time="[\d.]+"/g, 'time="N"')
  const normal = (result: CliResult) => ({ status: result.status, stdout: steady(result.stdout), stderr: steady(result.stderr) })

  function both(args: string[], options: { input?: string } = {}) {
    const fast = sentra(['scan', ...args], { cwd: repo, env: { NODE_DEBUG: 'module' }, ...options })
    const oclif = sentra(['scan', ...args], { cwd: repo, env: { SENTRA_FAST_SCAN: '0' }, ...options })
    // NODE_DEBUG=module traces CommonJS loads on stderr: oclif's show when the oclif path ran.
    const usedOclif = /@oclif[\\/]core/.test(fast.stderr)
    const fastClean = { ...fast, stderr: fast.stderr.split('\n').filter((line) => !/^MODULE \d+:/.test(line)).join('\n') }
    return { fast: normal(fastClean), oclif: normal(oclif), usedOclif }
  }

  it.each([['text'], ['json'], ['sarif'], ['github'], ['junit']])('prints the same %s report, with the same exit code', (format) => {
    for (const args of [['--format', format], ['--format', format, 'clean.txt'], ['--format', format, '--verbose', '--include-fixtures', '--no-redact']]) {
      const { fast, oclif, usedOclif } = both(args)
      expect(usedOclif).toBe(false)
      expect(fast).toEqual(oclif)
      expect(fast.status).toBe(args.includes('clean.txt') ? 0 : 1)
    }
  })

  it.each([
    ['--json and a fail-on threshold above every finding', ['--json', '--fail-on', 'critical']],
    ['worker threads', ['--json', '--threads', '2', 'many', 'src']],
    ['stdin', ['--stdin', '--stdin-filename', 'config/.env', '-f', 'github']],
    ['unused ignores', ['--report-unused-ignores', 'clean.txt']],
    ['the staged change', ['--staged', '--json']],
    ['the last commit', ['--commits', '1', '--format', 'sarif']],
    ['the whole history', ['--history']],
    ['a range', ['--range', 'HEAD~1..HEAD', '--json']],
  ])('scans the same with %s', (_, args) => {
    const { fast, oclif, usedOclif } = both(args, { input: `A=1\nT=${secret}\n` })
    expect(fast).toEqual(oclif)
    // --fail-on critical: every finding is below it; --report-unused-ignores: the stale entry fails.
    expect(fast.status).toBe(args.includes('critical') ? 0 : 1)
    // Only the git-sourced scans load oclif (their module declares oclif flags).
    expect(usedOclif).toBe(args.some((arg) => ['--staged', '--commits', '--history', '--range'].includes(arg)))
  })

  it('writes the same report file with --output', () => {
    const fast = sentra(['scan', '--format', 'sarif', '--output', 'fast.sarif'], { cwd: repo })
    const oclif = sentra(['scan', '--format', 'sarif', '--output', 'oclif.sarif'], { cwd: repo, env: { SENTRA_FAST_SCAN: '0' } })
    expect([fast.status, fast.stdout, fast.stderr]).toEqual([oclif.status, oclif.stdout, oclif.stderr])
    expect(fast.status).toBe(1)
    expect(readFileSync(join(repo, 'fast.sarif'), 'utf8')).toBe(readFileSync(join(repo, 'oclif.sarif'), 'utf8'))
  })

  it.each([
    [['--format', 'yaml']], [['--foo']], [['-x', 'src']], [['--threads', 'abc']], [['--threads', '99']], [['--commits', '0']],
    [['--fail-on', 'severe']], [['--stdin-filename', 'x.env']], [['--staged', '--history']], [['--staged', '--stdin']],
    [['-f', 'json', '-f', 'text']], [['--no-json']], [['--debug', '--foo']],
  ])('fails the same way on the usage error %j', (args) => {
    const { fast, oclif } = both(args)
    expect(fast).toEqual(oclif)
    expect(fast.status).toBe(2)
    expect(fast.stderr).toMatch(/^sentra: error: /)
  })

  it.each([
    ['a missing path', ['nope.txt']],
    ['a malformed config file', ['--config', 'broken.json']],
    ['paths with --stdin', ['--stdin', 'src']],
    ['paths with --staged', ['--staged', 'src']],
    ['a bad revision', ['--since', 'no-such-ref']],
    ['a missing baseline', ['--baseline', 'missing-baseline.json']],
  ])('fails the same way on %s, without oclif', (_, args) => {
    const { fast, oclif, usedOclif } = both(args)
    expect(fast).toEqual(oclif)
    expect(fast.status).toBe(2)
    expect(fast.stderr).toMatch(/^sentra: error: .+\n$/)
    expect(usedOclif).toBe(args.includes('--staged') || args.includes('--since'))
  })

  it('leaves --help to oclif', () => {
    const help = sentra(['scan', '--help'], { cwd: repo })
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('--stdin-filename')
  })

  it('is bundled by the build', () => {
    expect(existsSync(join(PROJECT_ROOT, 'dist/scan-entry/scan.mjs'))).toBe(true)
  })
})
