// `sentra scan --history` on a synthetic history of real code (built once with git fast-import and
// cached), as a ratio to `git log -p` on the same history, measured in the same run. Figures, not
// pass/fail. SENTRA_BENCH_RUNS sets the runs per figure (default 3).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { CACHE, ROOT, fmt, interleaved, listFiles, timeProcess } from './lib.mjs'

const runs = Number(process.env.SENTRA_BENCH_RUNS ?? 3)
const COMMITS = 1500
const FILES = 40
const repo = join(CACHE, `history-v1-${COMMITS}`)
const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' }

/** Deterministic pseudo-random numbers. */
function random(seed) {
  let state = seed >>> 0 || 1
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32
}

function fakeToken(next, prefix, alphabet, length) {
  let out = prefix
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)]
  return out
}

/** A fast-import stream: FILES files of real code, then COMMITS commits each rewriting blocks of two files. */
function buildHistory() {
  const sources = listFiles(join(ROOT, 'node_modules/typescript/lib')).filter((f) => f.endsWith('.d.ts')).sort()
  const pool = sources.flatMap((f) => readFileSync(f, 'utf8').split('\n')).filter((line) => line.length > 0 && line.length < 300)
  const next = random(42)
  const take = (count) => {
    const start = Math.floor(next() * (pool.length - count))
    return pool.slice(start, start + count)
  }
  const files = Array.from({ length: FILES }, () => take(600 + Math.floor(next() * 800)))
  const chunks = []
  const data = (text) => {
    const bytes = Buffer.from(text)
    chunks.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'))
  }
  let time = 1_600_000_000
  for (let c = 0; c < COMMITS; c++) {
    const touched = c === 0 ? files.map((_, i) => i) : [Math.floor(next() * FILES), Math.floor(next() * FILES)]
    if (c > 0) {
      for (const i of touched) {
        const lines = files[i]
        const at = Math.floor(next() * (lines.length - 40))
        const block = take(20 + Math.floor(next() * 30))
        // Now and then a credential shape the built-in library knows, so that the scan has findings.
        if (c % 97 === 0) block.push(`const awsKey = "${fakeToken(next, 'AKIA', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}";`)
        lines.splice(at, 20 + Math.floor(next() * 20), ...block)
      }
    }
    time += 3600
    chunks.push(Buffer.from(`commit refs/heads/main\ncommitter Bench <bench@example.invalid> ${time} +0000\n`))
    data(`commit ${c}`)
    for (const i of new Set(touched)) {
      chunks.push(Buffer.from(`M 100644 inline src/file${i}.ts\n`))
      data(`${files[i].join('\n')}\n`)
    }
  }
  return Buffer.concat(chunks)
}

if (!existsSync(join(repo, '.git'))) {
  process.stderr.write(`bench: building a ${COMMITS}-commit history with git fast-import...\n`)
  const temp = `${repo}.tmp`
  rmSync(temp, { recursive: true, force: true })
  mkdirSync(temp, { recursive: true })
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: temp, env })
  execFileSync('git', ['fast-import', '--quiet'], { cwd: temp, env, input: buildHistory(), maxBuffer: 1 << 30 })
  execFileSync('git', ['reset', '-q', '--hard', 'main'], { cwd: temp, env })
  execFileSync('git', ['gc', '-q'], { cwd: temp, env })
  renameSync(temp, repo)
}

const bin = join(ROOT, 'bin/run.js')
const patchBytes = spawnSync('git', ['log', '-p'], { cwd: repo, env, maxBuffer: 1 << 30 }).stdout.length
const sentraArgs = (threads) => [bin, 'scan', '--history', '--json', ...(threads === undefined ? [] : ['--threads', String(threads)])]
const check = JSON.parse(spawnSync(process.execPath, sentraArgs(), { cwd: repo, env, maxBuffer: 1 << 30 }).stdout.toString())
const options = { cwd: repo, env }
const medians = interleaved(
  {
    gitLog: () => timeProcess('git', ['log', '-p'], options),
    sentraOne: () => timeProcess(process.execPath, sentraArgs(0), options),
    sentra: () => timeProcess(process.execPath, sentraArgs(), options),
  },
  runs,
)
console.log(`\n## History: ${COMMITS} commits, ${fmt(patchBytes / 1024 / 1024)} MB of \`git log -p\` output (median of ${runs})`)
console.log(`git log -p (floor):                 ${fmt(medians.gitLog)} ms`)
console.log(`sentra scan --history, 1 thread:    ${fmt(medians.sentraOne)} ms  = ${fmt(medians.sentraOne / medians.gitLog, 2)}x git log -p`)
console.log(`sentra scan --history, ${availableParallelism()} cores:     ${fmt(medians.sentra)} ms  = ${fmt(medians.sentra / medians.gitLog, 2)}x git log -p  (${check.findings.length} findings)`)
