// Whole-process time of `sentra guard` (the pre-commit hook) on a 10-file, 2,000-added-line staged
// change, as a ratio to the floor measured in the same run: `node -e 0` plus `git diff --cached`.
// Figures, not pass/fail. SENTRA_BENCH_RUNS sets the number of interleaved runs (default 21).
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ROOT, fmt, interleaved, median, timeProcess } from './lib.mjs'

const runs = Number(process.env.SENTRA_BENCH_RUNS ?? 21)
const bin = join(ROOT, 'bin/run.js')
const repo = mkdtempSync(join(tmpdir(), 'sentra-bench-guard-'))
const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' }
const git = (...args) => execFileSync('git', args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] })

// Real code lines (sentra's own compiled JavaScript and TypeScript's library), so that keywords hit
// and regexes run as they do on a real change.
const source = [
  ...readFileSync(join(ROOT, 'node_modules/typescript/lib/lib.dom.d.ts'), 'utf8').split('\n').slice(2000, 8000),
  ...readFileSync(join(ROOT, 'node_modules/@oclif/core/lib/config/config.js'), 'utf8').split('\n'),
].filter((line) => line.length < 200)
const take = (from, count) => Array.from({ length: count }, (_, i) => source[(from + i) % source.length]).join('\n') + '\n'

try {
  git('init', '-q', '-b', 'main')
  git('config', 'user.email', 'bench@example.invalid')
  git('config', 'user.name', 'bench')
  // Five existing files get 200 lines inserted in their middle; five new files of 200 lines each.
  for (let i = 0; i < 5; i++) {
    const path = join(repo, `src/module${i}.ts`)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, take(i * 700, 400))
  }
  git('add', '.')
  git('commit', '-q', '-m', 'base')
  for (let i = 0; i < 5; i++) {
    const path = join(repo, `src/module${i}.ts`)
    const lines = readFileSync(path, 'utf8').split('\n')
    lines.splice(150, 0, ...take(4000 + i * 300, 200).trimEnd().split('\n'))
    writeFileSync(path, lines.join('\n'))
    writeFileSync(join(repo, `src/new${i}.ts`), take(9000 + i * 300, 200))
  }
  git('add', '.')
  const added = git('diff', '--cached', '--numstat').toString().split('\n').filter(Boolean).reduce((n, line) => n + Number(line.split('\t')[0]), 0)

  const options = { cwd: repo, env }
  const check = execFileSync(process.execPath, [bin, 'guard', '--json'], { ...options, stdio: ['ignore', 'pipe', 'pipe'] }).toString()
  const report = JSON.parse(check)
  const medians = interleaved(
    {
      node: () => timeProcess(process.execPath, ['-e', '0'], options),
      diff: () => timeProcess('git', ['diff', '--cached'], options),
      guard: () => timeProcess(process.execPath, [bin, 'guard'], options),
      guardOclif: () => timeProcess(process.execPath, [bin, 'guard'], { ...options, env: { ...env, SENTRA_FAST_GUARD: '0' } }),
    },
    runs,
  )
  // Where the time goes: the guard's own phase marks (SENTRA_GUARD_TIMING=1), medians of the runs.
  const phases = {}
  for (let i = 0; i < runs; i++) {
    const { stderr } = spawnSync(process.execPath, [bin, 'guard'], { ...options, env: { ...env, SENTRA_GUARD_TIMING: '1' }, encoding: 'utf8' })
    let previous = 0
    for (const [, name, at] of stderr.matchAll(/([a-z]+)(?:\([a-z]+\))? ([\d.]+)/g)) {
      ;(phases[name] ??= []).push(Number(at) - previous)
      previous = Number(at)
    }
  }
  const floor = medians.node + medians.diff
  console.log(`\n## Guard: whole process on a staged change of 10 files, ${added} added lines (${report.stats.files} files scanned, median of ${runs})`)
  console.log(`floor: node -e 0 ${fmt(medians.node)} ms + git diff --cached ${fmt(medians.diff)} ms = ${fmt(floor)} ms`)
  console.log(`sentra guard (fast entry):  ${fmt(medians.guard)} ms  = ${fmt(medians.guard / floor, 2)}x the floor`)
  console.log(`sentra guard through oclif: ${fmt(medians.guardOclif)} ms  = ${fmt(medians.guardOclif / floor, 2)}x the floor`)
  const labels = { started: 'node start-up + loading the bundle', repo: 'finding the repository', rules: 'rule set (cache)', diff: 'git diff --cached + parse', scan: 'scan', report: 'report' }
  console.log(`where the fast entry's time goes (median ms per phase): ${Object.entries(phases).map(([name, values]) => `${labels[name] ?? name} ${fmt(median(values))}`).join(', ')}`)
} finally {
  rmSync(repo, { recursive: true, force: true })
}
