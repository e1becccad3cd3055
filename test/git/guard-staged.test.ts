import { chmodSync, existsSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTemp, tempDir, tempRepo } from '../helpers/repo.js'
import { RULE_ID, PEM_RULE_ID, git, gitOut, guardJson, guardRepo, keyBlock, ours, run, testConfig, token, write } from './fixture.js'

afterAll(cleanupTemp)

describe('sentra guard on the staged change', () => {
  it('blocks a staged secret, reported at its line in the new file, with how to proceed', () => {
    const repo = guardRepo({ 'app.txt': 'one\ntwo\nthree\n' })
    write(repo, 'app.txt', `one\ntwo\nvalue ${token(1)}\nthree\n`)
    git(repo, ['add', 'app.txt'])
    const text = run(repo, ['guard'])
    expect(text.status).toBe(1)
    expect(text.stdout).toContain('app.txt:3:7')
    expect(text.stdout).toContain(RULE_ID)
    expect(text.stdout).toContain('Commit blocked')
    expect(text.stdout).toMatch(/sentra encrypt/)
    expect(text.stdout).toMatch(/sentra:allow/)
    // Redacted: the token never appears in the output.
    expect(text.stdout).not.toContain(token(1))
    const { report } = guardJson(repo)
    expect(ours(report).map((f) => [f.file, f.line, f.column])).toEqual([['app.txt', 3, 7]])
  })

  it('prints nothing and exits 0 on a clean change', () => {
    const repo = guardRepo()
    write(repo, 'notes.txt', 'nothing to see\n')
    git(repo, ['add', 'notes.txt'])
    const result = run(repo, ['guard'])
    expect(result).toMatchObject({ status: 0, stdout: '' })
    expect(run(repo, ['guard', '--verbose']).stdout).toMatch(/No secrets found in 1 file/)
  })

  it('scans the index, never the work tree', () => {
    const repo = guardRepo({ 'a.txt': 'a\n' })
    // Unstaged: not reported.
    write(repo, 'a.txt', `a\n${token(2)}\n`)
    expect(guardJson(repo).status).toBe(0)
    // Staged, then removed from the work tree: still reported (it is what would be committed).
    write(repo, 'b.txt', `b\n${token(3)}\n`)
    git(repo, ['add', 'b.txt'])
    unlinkSync(join(repo, 'b.txt'))
    const { status, report } = guardJson(repo)
    expect(status).toBe(1)
    expect(ours(report).map((f) => [f.file, f.line])).toEqual([['b.txt', 2]])
  })

  it('reports only added lines: a secret already committed is not reported again', () => {
    const repo = guardRepo({ 'old.txt': `keep ${token(4)}\nline\n` })
    write(repo, 'old.txt', `keep ${token(4)}\nline\nmore\n`)
    git(repo, ['add', 'old.txt'])
    expect(guardJson(repo).status).toBe(0)
  })

  it('works on the first commit of a repository (no HEAD)', () => {
    const repo = tempRepo()
    write(repo, '.sentra/config.json', testConfig())
    write(repo, 'first.txt', `x\n${token(5)}\n`)
    git(repo, ['add', '-A'])
    const { status, report } = guardJson(repo)
    expect(status).toBe(1)
    expect(ours(report).map((f) => [f.file, f.line])).toEqual([['first.txt', 2]])
    // A clean first commit passes; the fingerprint salt needs no root commit until something is found.
    const clean = tempRepo()
    write(clean, 'first.txt', 'hello\n')
    git(clean, ['add', '-A'])
    expect(run(clean, ['guard'])).toMatchObject({ status: 0, stdout: '' })
  })

  it('honours a next-line allow marker on the unchanged line above an added line', () => {
    const repo = guardRepo({ 'cfg.txt': 'a\n# sentra:allow-next-line\nb\n' })
    // The marker line is context, not part of the change.
    write(repo, 'cfg.txt', `a\n# sentra:allow-next-line\nvalue ${token(6)}\nb\n`)
    git(repo, ['add', 'cfg.txt'])
    expect(guardJson(repo).status).toBe(0)
    // The same with the detect-secrets marker, and a same-line marker on an added line.
    write(repo, 'cfg.txt', `a\n# pragma: allowlist nextline secret\nvalue ${token(6)}\nb ${token(7)} # gitleaks:allow\n`)
    git(repo, ['add', 'cfg.txt'])
    expect(guardJson(repo).status).toBe(0)
    // Without a marker the same secret is reported.
    write(repo, 'cfg.txt', `a\n# ordinary comment\nvalue ${token(6)}\nb\n`)
    git(repo, ['add', 'cfg.txt'])
    expect(ours(guardJson(repo).report).map((f) => f.line)).toEqual([3])
  })

  it('finds a multi-line secret added across lines, and one line changed inside an existing block', () => {
    const repo = guardRepo({ 'keys/a.pem': `header\n${keyBlock(1)}\nfooter\n` })
    write(repo, 'keys/b.pem', `intro\n${keyBlock(2)}\n`)
    git(repo, ['add', '-A'])
    const added = guardJson(repo)
    expect(ours(added.report).map((f) => [f.rule, f.file, f.line, f.endLine])).toEqual([[PEM_RULE_ID, 'keys/b.pem', 2, 7]])
    git(repo, ['reset', '-q'])
    rmSync(join(repo, 'keys/b.pem'))
    // One body line of the committed block changes: the block now holds a new key.
    const lines = `header\n${keyBlock(1)}\nfooter\n`.split('\n')
    lines[3] = lines[3]!.split('').reverse().join('')
    write(repo, 'keys/a.pem', lines.join('\n'))
    git(repo, ['add', '-A'])
    expect(ours(guardJson(repo).report).map((f) => [f.file, f.line, f.endLine])).toEqual([['keys/a.pem', 2, 7]])
  })

  it('handles renames and copies: the new path, only the added lines', () => {
    const content = `line 1\nsecret ${token(8)}\n${Array.from({ length: 20 }, (_, i) => `filler ${i}`).join('\n')}\n`
    const repo = guardRepo({ 'src/orig.txt': content })
    // A pure rename adds nothing.
    git(repo, ['mv', 'src/orig.txt', 'src/renamed.txt'])
    expect(gitOut(repo, ['diff', '--cached', '--name-status', '-M'])).toMatch(/^R100/)
    expect(guardJson(repo).status).toBe(0)
    // A rename with a new secret: reported at the new path and its line there.
    write(repo, 'src/renamed.txt', content.replace('filler 5', `filler 5 ${token(9)}`))
    git(repo, ['add', '-A'])
    expect(gitOut(repo, ['diff', '--cached', '--name-status', '-M'])).toMatch(/^R0\d\d\tsrc\/orig.txt\tsrc\/renamed.txt/)
    expect(ours(guardJson(repo).report).map((f) => [f.file, f.line])).toEqual([['src/renamed.txt', 8]])
    git(repo, ['reset', '-q', '--hard'])
    // A copy is a new file: scanned whole, so a copied secret is reported in the copy.
    write(repo, 'src/copy.txt', content)
    git(repo, ['add', '-A'])
    expect(ours(guardJson(repo).report).map((f) => [f.file, f.line])).toEqual([['src/copy.txt', 2]])
  })

  it('ignores deletions and mode changes', () => {
    const repo = guardRepo({ 'gone.txt': `x ${token(10)}\n`, 'run.sh': `echo ${token(11)}\n` })
    git(repo, ['rm', '-q', 'gone.txt'])
    chmodSync(join(repo, 'run.sh'), 0o755)
    git(repo, ['add', 'run.sh'])
    expect(gitOut(repo, ['diff', '--cached', '--summary'])).toMatch(/mode change 100644 => 100755/)
    expect(guardJson(repo)).toMatchObject({ status: 0 })
  })

  it('skips binary files with a notice, but reads text that .gitattributes calls binary', () => {
    const repo = guardRepo()
    write(repo, 'blob.dat', Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(`\n${token(12)}\n`)]))
    git(repo, ['add', 'blob.dat'])
    const binary = guardJson(repo)
    expect(binary.status).toBe(0)
    expect(binary.report.notices).toContainEqual(expect.objectContaining({ file: 'blob.dat', kind: 'binary' }))
    // An attribute must not hide a secret: text marked binary (or -diff) is diffed again as text.
    write(repo, '.gitattributes', '*.secret binary\n*.nodiff -diff\n')
    write(repo, 'a.secret', `one\n${token(13)}\n`)
    write(repo, 'b.nodiff', `${token(14)}\n`)
    git(repo, ['add', '-A'])
    expect(gitOut(repo, ['diff', '--cached', 'a.secret'])).toMatch(/Binary files/)
    expect(ours(guardJson(repo).report).map((f) => [f.file, f.line])).toEqual([['a.secret', 2], ['b.nodiff', 1]])
  })

  it('gets lines right in CRLF and non-UTF-8 files', () => {
    const repo = guardRepo({ 'win.txt': 'a\r\nb\r\n' })
    write(repo, 'win.txt', `a\r\nb\r\nvalue ${token(15)}\r\n${keyBlock(3, '\r\n')}\r\n`)
    write(repo, 'latin1.txt', Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9, 0x0a, 0xff, 0xfe, 0x0a]), Buffer.from(`x ${token(16)}\n`)]))
    git(repo, ['add', '-A'])
    const found = ours(guardJson(repo).report).map((f) => [f.file, f.rule, f.line])
    expect(found).toEqual([
      ['latin1.txt', RULE_ID, 3],
      ['win.txt', RULE_ID, 3],
      ['win.txt', PEM_RULE_ID, 4],
    ])
  })

  it('reports file names with spaces, non-ASCII characters, quotes and tabs exactly', () => {
    const repo = guardRepo()
    const names = ['dir with space/file name.txt', 'ünïcødé/日本.txt', 'we"ird\tname.txt', 'back\\slash.txt']
    for (const name of names) write(repo, name, `x\n${token(17)}\n`)
    git(repo, ['add', '-A'])
    const files = ours(guardJson(repo).report).map((f) => f.file)
    expect(files.sort()).toEqual([...names].sort())
  })

  it('ignores a submodule pointer change', () => {
    const repo = guardRepo()
    const other = guardRepo({ 'x.txt': `${token(18)}\n` })
    const head = gitOut(other, ['rev-parse', 'HEAD']).trim()
    git(repo, ['update-index', '--add', '--cacheinfo', `160000,${head},vendor/lib`])
    expect(guardJson(repo).status).toBe(0)
    git(repo, ['commit', '-q', '-m', 'submodule'])
    write(other, 'y.txt', 'y\n')
    git(other, ['add', '-A'])
    git(other, ['commit', '-q', '-m', 'next'])
    const next = gitOut(other, ['rev-parse', 'HEAD']).trim()
    git(repo, ['update-index', '--cacheinfo', `160000,${next},vendor/lib`])
    expect(gitOut(repo, ['diff', '--cached'])).toMatch(/Subproject commit/)
    expect(guardJson(repo)).toMatchObject({ status: 0 })
  })

  it('reads staged content the same way in a linked worktree', () => {
    const repo = guardRepo()
    const tree = join(tempDir('sentra-wt-'), 'wt')
    git(repo, ['worktree', 'add', '-q', '-b', 'side', tree])
    write(tree, 'side.txt', `${token(19)}\n`)
    git(tree, ['add', 'side.txt'])
    expect(ours(guardJson(tree).report).map((f) => [f.file, f.line])).toEqual([['side.txt', 1]])
    expect(guardJson(repo).status).toBe(0)
  })

  it('is not fooled by hostile git settings, and never runs diff drivers', () => {
    const repo = guardRepo({ 'conf.txt': 'a\nb\nc\nd\ne\nf\ng\n', 'allow.txt': 'x\n# sentra:allow-next-line\ny\n' })
    const marker = join(repo, '..', `driver-ran-${Date.now()}`)
    const driver = join(tempDir('sentra-driver-'), 'driver.sh')
    writeFileSync(driver, `#!/bin/sh\necho ran >> '${marker}'\necho 'fake output'\n`, { mode: 0o755 })
    const settings: [string, string][] = [
      ['diff.noprefix', 'true'], ['diff.mnemonicPrefix', 'true'], ['color.ui', 'always'], ['color.diff', 'always'],
      ['diff.external', driver], ['diff.txt.textconv', driver], ['diff.txt.cachetextconv', 'true'], ['diff.renames', 'copies'],
      ['diff.context', '10'], ['diff.interHunkContext', '10'], ['diff.suppressBlankEmpty', 'true'], ['diff.relative', 'true'],
      ['core.quotePath', 'true'], ['diff.submodule', 'log'], ['core.pager', 'false'], ['diff.algorithm', 'patience'],
    ]
    for (const [key, value] of settings) git(repo, ['config', key, value])
    write(repo, '.gitattributes', '*.txt diff=txt\n')
    write(repo, 'conf.txt', `a\nb\n\nc ${token(20)}\nd\ne\nf\ng\n\nvalue ${token(21)}\n`)
    write(repo, 'sub dir/ünï.txt', `${token(22)}\n`)
    // GIT_DIFF_OPTS would override the context sentra asks for and hide the marker above.
    write(repo, 'allow.txt', `x\n# sentra:allow-next-line\nvalue ${token(29)}\ny\n`)
    git(repo, ['add', '-A'])
    const { status, report } = guardJson(repo, [], { env: { GIT_DIFF_OPTS: '--unified=0', GIT_EXTERNAL_DIFF: driver } })
    expect(status).toBe(1)
    expect(ours(report).map((f) => [f.file, f.line])).toEqual([['conf.txt', 4], ['conf.txt', 10], ['sub dir/ünï.txt', 1]])
    expect(existsSync(marker)).toBe(false)
    // From a subdirectory (diff.relative=true would hide the rest of the repository).
    mkdirSync(join(repo, 'sub dir'), { recursive: true })
    expect(ours(guardJson(join(repo, 'sub dir')).report)).toHaveLength(3)
    expect(existsSync(marker)).toBe(false)
  })

  it('fails closed: exit 2 with one clear line when git fails or the repository is unusable', () => {
    const repo = guardRepo()
    write(repo, 'a.txt', 'a\n')
    git(repo, ['add', 'a.txt'])
    writeFileSync(join(repo, '.git/index'), 'not an index')
    const broken = run(repo, ['guard'])
    expect(broken.status).toBe(2)
    expect(broken.stderr).toMatch(/^sentra: error: git diff .*failed: .*index/m)
    expect(broken.stderr.split('\n').filter(Boolean)).toHaveLength(1)
    const outside = run(tempDir(), ['guard'])
    expect(outside.status).toBe(2)
    expect(outside.stderr).toMatch(/not inside a git work tree/)
    expect(run(repo, ['guard', '--bogus'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown flag --bogus/) })
    // A broken config is an error too, never a silent pass.
    const badConfig = guardRepo()
    write(badConfig, '.sentra/config.json', '{ "version": 1, "nope": true }')
    expect(run(badConfig, ['guard']).status).toBe(2)
  })

  it('skips the paths a scan skips: fixtures, allowlisted paths, lock files', () => {
    const repo = guardRepo({}, testConfig({ fixtures: ['fixtures/**'], allowlist: { paths: ['docs/examples/**'] } }))
    write(repo, 'fixtures/sample.txt', `${token(23)}\n`)
    write(repo, 'docs/examples/demo.txt', `${token(24)}\n`)
    write(repo, 'package-lock.json', `{"x": "${token(25)}"}\n`)
    write(repo, 'real.txt', `${token(26)}\n`)
    git(repo, ['add', '-A'])
    const { report } = guardJson(repo)
    expect(ours(report).map((f) => f.file)).toEqual(['real.txt'])
    expect(report.stats.skipped).toBe(3)
  })

  it('gives the same answer through oclif (SENTRA_FAST_GUARD=0) as through the fast entry', () => {
    const repo = guardRepo()
    write(repo, 'a.txt', `x ${token(27)}\n`)
    git(repo, ['add', 'a.txt'])
    const fast = guardJson(repo)
    const oclif = guardJson(repo, [], { env: { SENTRA_FAST_GUARD: '0' } })
    expect(oclif.status).toBe(fast.status)
    expect(ours(oclif.report)).toEqual(ours(fast.report))
    expect(run(repo, ['guard', '--help']).stdout).toMatch(/Block a commit \(or push\) that adds a secret/)
  })

  it('sentra scan --staged uses the same engine', () => {
    const repo = guardRepo({ 'a.txt': 'a\n' })
    write(repo, 'a.txt', `a\nb ${token(28)}\n`)
    git(repo, ['add', 'a.txt'])
    write(repo, 'a.txt', 'a\n')
    const result = run(repo, ['scan', '--staged', '--json'])
    expect(result.status).toBe(1)
    const findings = (JSON.parse(result.stdout) as { findings: { rule: string; file: string; line: number }[] }).findings
    expect(findings.filter((f) => f.rule === RULE_ID).map((f) => [f.file, f.line])).toEqual([['a.txt', 2]])
    expect(run(repo, ['scan', '--staged', 'a.txt']).status).toBe(2)
  })
})
