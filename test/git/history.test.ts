import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTemp, tempDir } from '../helpers/repo.js'
import { GIT_ENV, git, gitOut, gitTry, guardJson, guardRepo, ours, run, token, write, type JsonReport } from './fixture.js'

afterAll(cleanupTemp)

function scanJson(repo: string, args: string[]): { status: number | null; report: JsonReport; stderr: string } {
  const result = run(repo, ['scan', '--json', ...args])
  if (result.status === 2) return { status: 2, report: { findings: [], notices: [], stats: { files: 0, skipped: 0 } }, stderr: result.stderr }
  return { status: result.status, report: JSON.parse(result.stdout) as JsonReport, stderr: result.stderr }
}

function commitAll(repo: string, message: string, date: string): string {
  git(repo, ['add', '-A'])
  execFileSync('git', ['commit', '-q', '--no-verify', '-m', message], { cwd: repo, env: { ...process.env, ...GIT_ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } })
  return gitOut(repo, ['rev-parse', 'HEAD']).trim()
}

/** main: base -> c2 (adds secret A at a.txt:2) -> c3 (edits around it) -> c4 (copies A, adds B in b.txt) -> c5 (removes all). */
function history() {
  const repo = guardRepo({ 'a.txt': 'start\n' })
  write(repo, 'a.txt', `start\nkey ${token(1)}\n`)
  const c2 = commitAll(repo, 'add A', '2024-01-02T10:00:00Z')
  write(repo, 'a.txt', `begin\nkey ${token(1)}\nend\n`)
  const c3 = commitAll(repo, 'edit', '2024-01-03T10:00:00Z')
  write(repo, 'copy.txt', `again ${token(1)}\n`)
  write(repo, 'b.txt', `one\ntwo\nthree ${token(2)}\n`)
  const c4 = commitAll(repo, 'copy A, add B', '2024-01-04T10:00:00Z')
  git(repo, ['rm', '-q', 'a.txt', 'copy.txt', 'b.txt'])
  const c5 = commitAll(repo, 'remove', '2024-01-05T10:00:00Z')
  return { repo, c2, c3, c4, c5 }
}

describe('sentra scan --history / --since / --range / --commits', () => {
  it('reports each secret once, in the commit that introduced it, with author, date, file and line', () => {
    const { repo, c2, c4 } = history()
    const { status, report } = scanJson(repo, ['--history'])
    expect(status).toBe(1)
    const found = ours(report).map((f) => [f.file, f.line, f.commit?.commit, f.commit?.author, f.commit?.email, f.commit?.date])
    expect(found).toEqual([
      ['a.txt', 2, c2, 'Test', 'test@example.invalid', '2024-01-02T10:00:00+00:00'],
      ['b.txt', 3, c4, 'Test', 'test@example.invalid', '2024-01-04T10:00:00+00:00'],
    ])
    expect(report.notices.some((n) => /later sighting/.test(n.message))).toBe(true)
    // Text output names the commit too; the secret itself never appears.
    const text = run(repo, ['scan', '--history'])
    expect(text.stdout).toContain(`commit ${c2.slice(0, 12)} by Test on 2024-01-02T10:00:00+00:00`)
    expect(text.stdout).not.toContain(token(1))
    expect(text.stderr).toBe('')
  })

  it('selects commits with --since, --range and --commits', () => {
    const { repo, c2, c3, c4 } = history()
    expect(ours(scanJson(repo, ['--since', c3]).report).map((f) => [f.file, f.commit?.commit])).toEqual([
      ['b.txt', c4],
      ['copy.txt', c4],
    ])
    expect(ours(scanJson(repo, ['--range', `${c2}..${c3}`]).report)).toEqual([])
    expect(ours(scanJson(repo, ['--range', `${c2}~1..${c2}`]).report).map((f) => f.commit?.commit)).toEqual([c2])
    expect(ours(scanJson(repo, ['--commits', '2']).report).map((f) => f.file)).toEqual(['b.txt', 'copy.txt'])
    expect(scanJson(repo, ['--commits', '1']).status).toBe(0)
  })

  it('scans every branch and tag but not the stash, and the root commit', () => {
    const repo = guardRepo({ 'root.txt': `${token(3)}\n` })
    git(repo, ['checkout', '-q', '-b', 'side'])
    write(repo, 'side.txt', `${token(4)}\n`)
    commitAll(repo, 'side', '2024-02-01T00:00:00Z')
    git(repo, ['checkout', '-q', 'main'])
    write(repo, 'stashed.txt', `${token(5)}\n`)
    git(repo, ['add', 'stashed.txt'])
    git(repo, ['stash', '-q'])
    const files = ours(scanJson(repo, ['--history']).report).map((f) => f.file).sort()
    expect(files).toEqual(['root.txt', 'side.txt'])
  })

  it('finds what a merge commit itself adds (an "evil" merge), attributed to the merge', () => {
    const repo = guardRepo({ 'f.txt': 'base\n' })
    git(repo, ['checkout', '-q', '-b', 'feature'])
    write(repo, 'f.txt', 'feature\n')
    commitAll(repo, 'feature', '2024-03-01T00:00:00Z')
    git(repo, ['checkout', '-q', 'main'])
    write(repo, 'g.txt', 'main\n')
    commitAll(repo, 'main', '2024-03-02T00:00:00Z')
    gitTry(repo, ['merge', '--no-commit', '--no-ff', 'feature'])
    write(repo, 'f.txt', `feature\nevil ${token(6)}\n`)
    const merge = commitAll(repo, 'merge', '2024-03-03T00:00:00Z')
    expect(gitOut(repo, ['rev-list', '--parents', '-n1', 'HEAD']).trim().split(' ')).toHaveLength(3)
    expect(ours(scanJson(repo, ['--history']).report).map((f) => [f.file, f.line, f.commit?.commit])).toEqual([['f.txt', 2, merge]])
  })

  it('honours next-line allow markers on context lines and skips binary files with one notice', () => {
    const repo = guardRepo({ 'm.txt': 'x\n# sentra:allow-next-line\ny\n' })
    write(repo, 'm.txt', `x\n# sentra:allow-next-line\nk ${token(7)}\ny\n`)
    write(repo, 'bin.dat', Buffer.concat([Buffer.from([0, 0, 1]), Buffer.from(token(8))]))
    write(repo, '.gitattributes', '*.hidden -diff\n')
    write(repo, 'text.hidden', `${token(9)}\n`)
    commitAll(repo, 'markers', '2024-04-01T00:00:00Z')
    const { report } = scanJson(repo, ['--history'])
    expect(ours(report).map((f) => f.file)).toEqual(['text.hidden'])
    expect(report.notices).toContainEqual(expect.objectContaining({ kind: 'binary', message: '1 binary file version skipped' }))
  })

  it('gives the same findings with worker threads as on one thread', () => {
    const repo = guardRepo()
    for (let i = 0; i < 40; i++) {
      write(repo, `f${i % 7}.txt`, `${Array.from({ length: 200 }, (_, k) => `line ${i} ${k}`).join('\n')}\n${i % 5 === 0 ? `s ${token(100 + i)}` : ''}\n`)
      commitAll(repo, `c${i}`, `2024-05-01T00:${String(i).padStart(2, '0')}:00Z`)
    }
    const one = scanJson(repo, ['--history', '--threads', '0'])
    const two = scanJson(repo, ['--history', '--threads', '2'])
    expect(ours(one.report)).toHaveLength(8)
    expect(ours(two.report)).toEqual(ours(one.report))
  })

  it('reads a long history with several git processes and still reports each secret where it was introduced', () => {
    // 450 commits (written by git fast-import): enough for the commit list to be cut into parts.
    const repo = guardRepo()
    const chunks: string[] = []
    for (let c = 0; c < 450; c++) {
      const content = c === 50 || c === 350 ? `b ${token(40)}\n` : c === 300 ? `a ${token(41)}\n` : `n ${c}\n`
      const file = c === 350 ? 'other.txt' : 'f.txt'
      chunks.push(`commit refs/heads/main\ncommitter T <t@example.invalid> ${1_700_000_000 + c * 60} +0000\ndata 2\nc\n${c === 0 ? 'from refs/heads/main^0\n' : ''}M 100644 inline ${file}\ndata ${Buffer.byteLength(content)}\n${content}\n`)
    }
    execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: chunks.join(''), env: { ...process.env, ...GIT_ENV } })
    // The base commit first, then commit c of the import at c + 1. B is seen at 50 and again at 350.
    const list = gitOut(repo, ['rev-list', '--reverse', 'main']).trim().split('\n')
    expect(list).toHaveLength(451)
    for (const threads of ['0', '2']) {
      const found = ours(scanJson(repo, ['--history', '--threads', threads]).report).map((f) => [f.commit?.commit, f.file])
      expect(found).toEqual([[list[51], 'f.txt'], [list[301], 'f.txt']])
    }
  })

  it('shows a progress bar on a terminal only', () => {
    const repo = guardRepo()
    for (let i = 0; i < 3; i++) {
      write(repo, 'n.txt', `${i}\n`)
      commitAll(repo, `c${i}`, '2024-06-01T00:00:00Z')
    }
    const piped = run(repo, ['scan', '--history'])
    expect(piped.stderr).toBe('')
    // `script` gives the command a terminal.
    const bin = join(process.cwd(), 'bin/run.js')
    const tty = spawnSync('script', ['-qec', `'${process.execPath}' '${bin}' scan --history --no-color`, '/dev/null'], {
      cwd: repo,
      env: { ...process.env, ...GIT_ENV, TERM: 'xterm' },
      encoding: 'utf8',
    })
    expect(tty.stdout).toMatch(/history \|.*\| \d+\/4 commits/)
    const json = spawnSync('script', ['-qec', `'${process.execPath}' '${bin}' scan --history --json`, '/dev/null'], { cwd: repo, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' })
    expect(json.stdout).not.toMatch(/commits \|/)
  })

  it('rejects bad ranges with exit 2 and never passes them to git as options', () => {
    const { repo } = history()
    const injected = run(repo, ['scan', '--range', '--output=/tmp/x'])
    expect(injected.status).toBe(2)
    const dashed = run(repo, ['scan', '--range=-p..HEAD'])
    expect(dashed.status).toBe(2)
    expect(dashed.stderr).toMatch(/not a valid revision/)
    expect(run(repo, ['scan', '--range', 'HEAD']).stderr).toMatch(/expected A\.\.B/)
    const unknown = run(repo, ['scan', '--since', 'no-such-ref'])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/^sentra: error: git .*failed: fatal: .*no-such-ref/m)
    expect(run(repo, ['scan', '--history', '--staged']).status).toBe(2)
    expect(run(tempDir(), ['scan', '--history']).stderr).toMatch(/not inside a git work tree/)
  })

  it('in a blob-less partial clone: the guard works and nothing is ever fetched', () => {
    const source = guardRepo({ 'old.txt': `${token(10)}\n` })
    git(source, ['config', 'uploadpack.allowFilter', 'true'])
    const oldBlob = gitOut(source, ['rev-parse', 'HEAD:old.txt']).trim()
    git(source, ['rm', '-q', 'old.txt'])
    write(source, 'cur.txt', 'current\n')
    commitAll(source, 'current', '2024-07-01T00:00:00Z')
    const clone = join(tempDir('sentra-partial-'), 'clone')
    git(tempDir(), ['clone', '-q', '--filter=blob:none', `file://${source}`, clone])
    const missing = () => spawnSync('git', ['cat-file', '-e', oldBlob], { cwd: clone, env: { ...process.env, ...GIT_ENV, GIT_NO_LAZY_FETCH: '1' } }).status !== 0
    expect(missing()).toBe(true)
    write(clone, 'cur.txt', `current\nnew ${token(11)}\n`)
    git(clone, ['add', 'cur.txt'])
    const { status, report } = guardJson(clone)
    expect(status).toBe(1)
    expect(ours(report).map((f) => [f.file, f.line])).toEqual([['cur.txt', 2]])
    const history = run(clone, ['scan', '--history'])
    expect(history.status).toBe(2)
    expect(history.stderr).toMatch(/partial clone .* never downloads/)
    expect(missing()).toBe(true)
  })
})

