import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN, PROJECT_ROOT } from '../helpers/cli.js'
import { cleanupTemp, tempDir } from '../helpers/repo.js'
import { GIT_ENV, git, gitOut, gitTry, guardRepo, run, token, write } from './fixture.js'

afterAll(cleanupTemp)

/** A directory holding a `sentra` command that runs this checkout, for hooks that look on PATH. */
function sentraOnPath(): NodeJS.ProcessEnv {
  const dir = tempDir('sentra-path-')
  writeFileSync(join(dir, 'sentra'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 })
  return { PATH: `${dir}:${process.env.PATH}` }
}

/** `git commit`; git shows a hook's output on its stderr, so `output` joins both streams. */
function commit(repo: string, message: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const result = gitTry(repo, ['commit', '-m', message, ...extra], env)
  return { ...result, output: result.stdout + result.stderr }
}

function push(repo: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = gitTry(repo, ['push', ...args], env)
  return { ...result, output: result.stdout + result.stderr }
}

function installed(repo: string, args: string[] = []) {
  const result = run(repo, ['hook', 'install', ...args])
  expect(result.status, result.stderr).toBe(0)
  return result
}

describe('sentra hook install: git hooks that run the guard', () => {
  it('writes executable pre-commit and pre-merge-commit hooks with absolute paths, no npx, and reverses them', () => {
    const repo = guardRepo()
    const result = installed(repo)
    expect(result.stdout).toMatch(/pre-commit: installed \.git\/hooks\/pre-commit/)
    expect(result.stdout).not.toMatch(/inside the work tree/)
    for (const hook of ['pre-commit', 'pre-merge-commit']) {
      const path = join(repo, '.git/hooks', hook)
      const script = readFileSync(path, 'utf8')
      expect(statSync(path).mode & 0o111).not.toBe(0)
      expect(script).toContain(`SENTRA_NODE='${process.execPath}'`)
      expect(script).toContain(`SENTRA_ENTRY='${BIN}'`)
      expect(script.split('\n').filter((line) => !line.trim().startsWith('#') && /\bnpx\b/.test(line))).toEqual([])
      execFileSync('sh', ['-n', path])
    }
    expect(existsSync(join(repo, '.git/hooks/pre-push'))).toBe(false)
    expect(installed(repo).stdout).toMatch(/pre-commit: .* is up to date/)
    const removed = run(repo, ['hook', 'uninstall', '--json'])
    expect(JSON.parse(removed.stdout).actions.map((a: { action: string }) => a.action)).toEqual(['removed', 'removed', 'not-installed'])
    expect(existsSync(join(repo, '.git/hooks/pre-commit'))).toBe(false)
  })

  it('blocks `git commit` of a secret with a readable report; clean commits pass; --no-verify skips it', () => {
    const repo = guardRepo()
    installed(repo)
    write(repo, 'app.env', `A=1\nB=${token(1)}\n`)
    git(repo, ['add', 'app.env'])
    const blocked = commit(repo, 'add secret')
    expect(blocked.status).not.toBe(0)
    expect(blocked.output).toMatch(/app\.env:2:3/)
    expect(blocked.output).toMatch(/Commit blocked/)
    expect(gitOut(repo, ['rev-list', '--count', 'HEAD']).trim()).toBe('1')
    expect(commit(repo, 'skip the hook', ['--no-verify']).status).toBe(0)
    write(repo, 'clean.txt', 'clean\n')
    git(repo, ['add', 'clean.txt'])
    expect(commit(repo, 'clean')).toMatchObject({ status: 0 })
  })

  it('falls back to sentra on PATH, and fails closed when sentra is nowhere', () => {
    const repo = guardRepo()
    installed(repo)
    const hook = join(repo, '.git/hooks/pre-commit')
    writeFileSync(hook, readFileSync(hook, 'utf8').replace(/^SENTRA_ENTRY=.*$/m, "SENTRA_ENTRY='/nonexistent/run.js'"))
    write(repo, 'a.txt', `${token(2)}\n`)
    git(repo, ['add', 'a.txt'])
    expect(commit(repo, 'via PATH', [], sentraOnPath()).output).toMatch(/Commit blocked/)
    const nowhere = commit(repo, 'no sentra', [], { PATH: '/usr/bin:/bin' })
    expect(nowhere.status).not.toBe(0)
    expect(nowhere.stderr).toMatch(/cannot find sentra.*commit blocked/)
  })

  it('guards `git commit -a`, `git commit <path>` and `git commit --amend` (the temporary index git builds)', () => {
    const repo = guardRepo({ 'tracked.txt': 'one\n' })
    installed(repo)
    write(repo, 'tracked.txt', `one\n${token(3)}\n`)
    // Only the index is committed by a plain commit: the unstaged secret does not block it.
    write(repo, 'other.txt', 'other\n')
    git(repo, ['add', 'other.txt'])
    expect(commit(repo, 'index only').status).toBe(0)
    expect(commit(repo, 'all', ['-a']).output).toMatch(/tracked\.txt:2/)
    expect(commit(repo, 'only path', ['--', 'tracked.txt']).output).toMatch(/tracked\.txt:2/)
    // --amend: the staged change against the commit being amended.
    git(repo, ['checkout', '--', 'tracked.txt'])
    write(repo, 'amended.txt', `${token(4)}\n`)
    git(repo, ['add', 'amended.txt'])
    expect(commit(repo, 'amend', ['--amend', '--no-edit']).output).toMatch(/amended\.txt:1/)
    git(repo, ['reset', '-q', 'amended.txt'])
    expect(commit(repo, 'reworded', ['--amend']).status).toBe(0)
  })

  it('guards commits in a linked worktree (hooks live in the common dir)', () => {
    const repo = guardRepo()
    installed(repo)
    const tree = join(tempDir('sentra-wt-'), 'tree')
    git(repo, ['worktree', 'add', '-q', '-b', 'wt', tree])
    write(tree, 'wt.txt', `${token(5)}\n`)
    git(tree, ['add', 'wt.txt'])
    const blocked = commit(tree, 'in worktree')
    expect(blocked.status).not.toBe(0)
    expect(blocked.output).toMatch(/wt\.txt:1/)
  })

  it('guards merges: a conflict resolution at `git commit` (MERGE_HEAD), a merge driver\'s output at pre-merge-commit', () => {
    const repo = guardRepo({ 'f.txt': 'base\n', 'inject.txt': 'a\nb\nc\nd\ne\n' })
    installed(repo)
    git(repo, ['checkout', '-q', '-b', 'feature'])
    write(repo, 'f.txt', 'feature\n')
    // A secret committed on the branch without the hook: the merge does not add it, the push will see it.
    write(repo, 'branch.txt', `${token(6)}\n`)
    git(repo, ['add', '-A'])
    git(repo, ['commit', '-q', '--no-verify', '-m', 'feature'])
    git(repo, ['checkout', '-q', 'main'])
    write(repo, 'f.txt', 'main\n')
    git(repo, ['add', '-A'])
    git(repo, ['commit', '-q', '-m', 'main'])
    expect(gitTry(repo, ['merge', 'feature']).status).not.toBe(0)
    expect(existsSync(join(repo, '.git/MERGE_HEAD'))).toBe(true)
    // Resolving with a new secret: blocked.
    write(repo, 'f.txt', `main\nfeature ${token(7)}\n`)
    git(repo, ['add', 'f.txt'])
    const blocked = commit(repo, 'merge', ['--no-edit'])
    expect(blocked.output).toMatch(/f\.txt:2/)
    expect(blocked.output).not.toMatch(/branch\.txt/)
    // Resolving with the two sides' lines only: nothing new, the merge commit is made.
    write(repo, 'f.txt', 'main\nfeature\n')
    git(repo, ['add', 'f.txt'])
    expect(commit(repo, 'merge', ['--no-edit']).status).toBe(0)

    // A clean merge runs pre-merge-commit; a merge driver that writes a secret is caught there.
    const injector = join(tempDir('sentra-driver-'), 'inject.sh')
    writeFileSync(injector, `#!/bin/sh\ncat "$2" > "$1.tmp"; printf 'driver %s\\n' '${token(8)}' >> "$1.tmp"; mv "$1.tmp" "$1"\n`, { mode: 0o755 })
    git(repo, ['config', 'merge.inject.driver', `${injector} %A %B`])
    write(repo, '.gitattributes', 'inject.txt merge=inject\n')
    git(repo, ['add', '.gitattributes'])
    git(repo, ['commit', '-q', '-m', 'attributes'])
    git(repo, ['checkout', '-q', '-b', 'other'])
    write(repo, 'inject.txt', 'a\nb\nc\nd\nE\n')
    // The branch's own secret (committed past the hook) is not what the merge adds: git tells the
    // pre-merge-commit hook the other parent only through GITHEAD_<id>, MERGE_HEAD does not exist yet.
    write(repo, 'other-secret.txt', `${token(16)}\n`)
    git(repo, ['add', '-A'])
    git(repo, ['commit', '-q', '--no-verify', '-m', 'other'])
    git(repo, ['checkout', '-q', 'main'])
    write(repo, 'inject.txt', 'A\nb\nc\nd\ne\n')
    git(repo, ['commit', '-q', '-am', 'main side'])
    const merge = gitTry(repo, ['merge', '--no-edit', 'other'])
    expect(merge.status).not.toBe(0)
    expect(merge.stdout + merge.stderr).toMatch(/inject\.txt:6/)
    expect(merge.stdout + merge.stderr).not.toMatch(/other-secret/)
    git(repo, ['merge', '--abort'])
    // Without the driver the same clean merge adds nothing new and goes through.
    git(repo, ['config', '--unset', 'merge.inject.driver'])
    git(repo, ['rm', '-q', '.gitattributes'])
    git(repo, ['commit', '-q', '-m', 'no driver'])
    expect(gitTry(repo, ['merge', '--no-edit', 'other']).status).toBe(0)
  })

  it('pre-push scans exactly what is pushed: new commits and branches, not deletions or what the remote has', () => {
    const remote = tempDir('sentra-remote-')
    git(remote, ['init', '-q', '--bare', '-b', 'main'])
    const repo = guardRepo()
    git(repo, ['remote', 'add', 'origin', remote])
    installed(repo, ['--pre-push'])
    expect(readFileSync(join(repo, '.git/hooks/pre-push'), 'utf8')).toContain('guard --pre-push')
    expect(gitTry(repo, ['push', '-q', 'origin', 'main']).status).toBe(0)
    // A commit that skipped the pre-commit hook.
    write(repo, 'leak.txt', `${token(9)}\n`)
    git(repo, ['add', 'leak.txt'])
    git(repo, ['commit', '-q', '--no-verify', '-m', 'leak'])
    const blocked = push(repo, ['origin', 'main'])
    expect(blocked.status).not.toBe(0)
    expect(blocked.output).toMatch(/leak\.txt:1/)
    expect(blocked.output).toMatch(/Push blocked/)
    // A new branch (remote id all zeros): its commits not on any remote are scanned.
    git(repo, ['checkout', '-q', '-b', 'topic'])
    expect(push(repo, ['origin', 'topic']).output).toMatch(/leak\.txt:1/)
    // Once the remote has it (pushed past the hook), later pushes do not report it again.
    expect(gitTry(repo, ['push', '-q', '--no-verify', 'origin', 'topic']).status).toBe(0)
    write(repo, 'more.txt', 'more\n')
    git(repo, ['add', 'more.txt'])
    git(repo, ['commit', '-q', '-m', 'more'])
    expect(gitTry(repo, ['push', '-q', 'origin', 'topic']).status).toBe(0)
    // A deletion pushes nothing to scan.
    expect(gitTry(repo, ['push', '-q', 'origin', '--delete', 'topic']).status).toBe(0)
    // A cherry-pick never runs pre-commit; the push catches it.
    git(repo, ['checkout', '-q', '-b', 'local-only', 'main~1'])
    write(repo, 'picked.txt', `${token(10)}\n`)
    git(repo, ['add', 'picked.txt'])
    git(repo, ['commit', '-q', '--no-verify', '-m', 'picked'])
    git(repo, ['checkout', '-q', 'topic'])
    git(repo, ['cherry-pick', 'local-only'])
    const picked = push(repo, ['origin', 'topic'])
    expect(picked.status).not.toBe(0)
    expect(picked.output).toMatch(/picked\.txt:1/)
  })

  it('chains a hook that was already there (it runs first), restores it on uninstall, or refuses with --no-chain', () => {
    const repo = guardRepo()
    const hook = join(repo, '.git/hooks/pre-commit')
    const mine = '#!/bin/sh\necho mine >> "$(git rev-parse --git-dir)/mine.log"\nexit 0\n'
    writeFileSync(hook, mine, { mode: 0o755 })
    const refused = run(repo, ['hook', 'install', '--no-chain'])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/was not written by sentra: nothing installed/)
    expect(readFileSync(hook, 'utf8')).toBe(mine)
    expect(existsSync(join(repo, '.git/hooks/pre-merge-commit'))).toBe(false)
    expect(installed(repo).stdout).toMatch(/pre-commit\.pre-sentra and runs first/)
    write(repo, 'a.txt', `${token(11)}\n`)
    git(repo, ['add', 'a.txt'])
    expect(commit(repo, 'x').status).not.toBe(0)
    expect(readFileSync(join(repo, '.git/mine.log'), 'utf8')).toBe('mine\n')
    // The chained hook can block on its own.
    writeFileSync(join(repo, '.git/hooks/pre-commit.pre-sentra'), '#!/bin/sh\nexit 3\n', { mode: 0o755 })
    git(repo, ['reset', '-q'])
    expect(commit(repo, 'x', ['--allow-empty']).status).not.toBe(0)
    writeFileSync(join(repo, '.git/hooks/pre-commit.pre-sentra'), mine, { mode: 0o755 })
    const undone = run(repo, ['hook', 'uninstall'])
    expect(undone.stdout).toMatch(/restored the hook that was there before/)
    expect(readFileSync(hook, 'utf8')).toBe(mine)
    expect(existsSync(`${hook}.pre-sentra`)).toBe(false)
    // A hook sentra did not write is never removed.
    expect(run(repo, ['hook', 'uninstall']).stdout).toMatch(/pre-commit: .* was not written by sentra: left alone/)
    expect(readFileSync(hook, 'utf8')).toBe(mine)
  })

  it('writes into core.hooksPath when the repository sets it', () => {
    const repo = guardRepo()
    git(repo, ['config', 'core.hooksPath', '.githooks'])
    const result = installed(repo)
    expect(result.stdout).toMatch(/installed \.githooks\/pre-commit/)
    expect(result.stdout).toMatch(/core\.hooksPath is inside the work tree/)
    expect(existsSync(join(repo, '.git/hooks/pre-commit'))).toBe(false)
    write(repo, 'a.txt', `${token(12)}\n`)
    git(repo, ['add', 'a.txt'])
    expect(commit(repo, 'x').output).toMatch(/a\.txt:1/)
  })

  it('adds itself to husky v9 scripts (real husky) instead of fighting it, and removes exactly its lines', () => {
    const repo = guardRepo()
    execFileSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/husky/bin.js')], { cwd: repo, env: { ...process.env, ...GIT_ENV } })
    expect(gitOut(repo, ['config', 'core.hooksPath']).trim()).toBe('.husky/_')
    const original = 'echo husky-ran >> husky.log\n'
    write(repo, '.husky/pre-commit', original)
    const result = installed(repo, ['--pre-push'])
    expect(result.stdout).toMatch(/added sentra to \.husky\/pre-commit/)
    expect(result.stdout).toMatch(/devDependencies/)
    expect(readFileSync(join(repo, '.husky/pre-commit'), 'utf8')).toMatch(/^# >>> sentra guard.*\nsentra guard\n# <<< sentra guard\necho husky-ran/)
    expect(readFileSync(join(repo, '.husky/pre-push'), 'utf8')).toContain('sentra guard --pre-push "$@"')
    const path = sentraOnPath()
    write(repo, 'a.txt', `${token(13)}\n`)
    git(repo, ['add', 'a.txt'])
    const blocked = commit(repo, 'x', [], path)
    expect(blocked.status).not.toBe(0)
    expect(blocked.output).toMatch(/a\.txt:1/)
    expect(blocked.output).toMatch(/husky - pre-commit script failed/)
    git(repo, ['reset', '-q'])
    write(repo, 'a.txt', 'clean\n')
    git(repo, ['add', 'a.txt'])
    expect(commit(repo, 'clean', [], path).status).toBe(0)
    expect(readFileSync(join(repo, 'husky.log'), 'utf8')).toBe('husky-ran\n')
    const undone = run(repo, ['hook', 'uninstall'])
    expect(undone.status).toBe(0)
    expect(readFileSync(join(repo, '.husky/pre-commit'), 'utf8')).toBe(original)
    expect(existsSync(join(repo, '.husky/pre-merge-commit'))).toBe(false)
    expect(existsSync(join(repo, '.husky/pre-push'))).toBe(false)
  })
})

describe('.pre-commit-hooks.yaml with the real pre-commit framework', () => {
  it('blocks a commit and a push through `pre-commit install`', () => {
    // The hook repository: the project's real manifest, in a git repository with a commit, as
    // pre-commit requires. Its hook runs the sentra on PATH (language: system), so no package is
    // downloaded: the test runs offline.
    const hookRepo = tempDir('sentra-hookrepo-')
    git(hookRepo, ['init', '-q', '-b', 'main'])
    copyFileSync(join(PROJECT_ROOT, '.pre-commit-hooks.yaml'), join(hookRepo, '.pre-commit-hooks.yaml'))
    git(hookRepo, ['add', '-A'])
    git(hookRepo, ['commit', '-q', '-m', 'hooks'])
    const rev = gitOut(hookRepo, ['rev-parse', 'HEAD']).trim()
    const config = `repos:\n  - repo: ${hookRepo}\n    rev: ${rev}\n    hooks:\n      - id: sentra-guard\n`
    const repo = guardRepo({ '.pre-commit-config.yaml': config })
    const home = tempDir('sentra-pc-home-')
    mkdirSync(join(home, 'cache'), { recursive: true })
    const env = { ...sentraOnPath(), PRE_COMMIT_HOME: join(home, 'cache'), HOME: home }
    const installedHooks = gitTry(repo, ['status'], env)
    expect(installedHooks.status).toBe(0)
    for (const type of ['pre-commit', 'pre-push']) {
      const result = execFileSync('pre-commit', ['install', '--hook-type', type], { cwd: repo, env: { ...process.env, ...GIT_ENV, ...env }, encoding: 'utf8' })
      expect(result).toMatch(/installed/)
    }
    write(repo, 'a.txt', `${token(14)}\n`)
    git(repo, ['add', 'a.txt'])
    const blocked = commit(repo, 'x', [], env)
    expect(blocked.status).not.toBe(0)
    expect(blocked.output).toMatch(/sentra guard/)
    expect(blocked.output).toMatch(/a\.txt:1/)
    git(repo, ['reset', '-q'])
    write(repo, 'a.txt', 'clean\n')
    git(repo, ['add', 'a.txt'])
    expect(commit(repo, 'clean', [], env).status).toBe(0)
    // Push stage: pre-commit hands the range over in PRE_COMMIT_FROM_REF/TO_REF.
    const remote = tempDir('sentra-remote-')
    git(remote, ['init', '-q', '--bare', '-b', 'main'])
    git(repo, ['remote', 'add', 'origin', remote])
    expect(gitTry(repo, ['push', '-q', 'origin', 'main'], env).status).toBe(0)
    write(repo, 'b.txt', `${token(15)}\n`)
    git(repo, ['add', 'b.txt'])
    git(repo, ['commit', '-q', '--no-verify', '-m', 'leak'])
    const pushed = push(repo, ['origin', 'main'], env)
    expect(pushed.status).not.toBe(0)
    expect(pushed.output).toMatch(/b\.txt:1/)
  })
})
