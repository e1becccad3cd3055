// Scan throughput on real third-party code, beside the read+decode floor and secretlint 12.0.0,
// all measured in this run on the same files. Figures, not pass/fail.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { CACHE, ROOT, ensureCorpus, fmt, interleaved, listFiles, timeProcess } from './lib.mjs'

const { createScanContext } = await import(join(ROOT, 'dist/scan/context.js'))
const { scanPaths, pathFilter } = await import(join(ROOT, 'dist/scan/scan-paths.js'))

const corpusDir = ensureCorpus()
const ctx = createScanContext(corpusDir)
const skip = pathFilter(ctx)
const files = listFiles(corpusDir).filter((f) => skip(f.slice(corpusDir.length + 1)) === undefined)

function floor() {
  const started = performance.now()
  let bytes = 0
  for (const file of files) {
    const buffer = readFileSync(file)
    bytes += buffer.length
    buffer.toString('utf8')
  }
  return { bytes, ms: performance.now() - started }
}

async function sentraScan(threads) {
  const started = performance.now()
  const report = await scanPaths(ctx, { paths: [corpusDir], cwd: corpusDir, threads })
  return { bytes: report.stats.bytes, ms: performance.now() - started, findings: report.findings.length }
}

floor() // warm the page cache
const f = floor()
const mb = f.bytes / 1024 / 1024
const one = await sentraScan(0)
const all = await sentraScan(availableParallelism())

console.log(`\n## Scan throughput (${files.length} files, ${fmt(mb)} MB of pinned npm packages)`)
console.log(`read + UTF-8 decode floor (1 core): ${fmt(mb / (f.ms / 1000))} MB/s`)
console.log(`sentra, 1 core:                      ${fmt(mb / (one.ms / 1000))} MB/s  (${fmt(one.ms / f.ms, 2)}x the floor's time, ${one.findings} findings)`)
console.log(`sentra, ${availableParallelism()} cores (worker threads):     ${fmt(mb / (all.ms / 1000))} MB/s  (${fmt(all.ms / f.ms, 2)}x the floor's time)`)

// secretlint 12.0.0 is the last version that runs on Node 20; its profiler is quadratic in one call,
// so it runs in batches of a few hundred files, as its users do.
const slDir = join(CACHE, 'secretlint')
if (!existsSync(join(slDir, 'node_modules/.bin/secretlint'))) {
  mkdirSync(slDir, { recursive: true })
  writeFileSync(join(slDir, 'package.json'), JSON.stringify({ name: 'sentra-bench-secretlint', private: true }))
  execFileSync('npm', ['install', '--prefix', slDir, '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', 'secretlint@12.0.0', '@secretlint/secretlint-rule-preset-recommend@12.0.0'], { stdio: ['ignore', 'ignore', 'inherit'] })
  writeFileSync(join(slDir, '.secretlintrc.json'), JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] }))
}
if (process.env.SENTRA_BENCH_SKIP_SECRETLINT !== '1') {
  const batch = 300
  const started = performance.now()
  for (let i = 0; i < files.length; i += batch) {
    spawnSync(join(slDir, 'node_modules/.bin/secretlint'), ['--secretlintrc', join(slDir, '.secretlintrc.json'), '--no-color', '--maskSecrets', ...files.slice(i, i + batch)], { cwd: slDir, stdio: 'ignore' })
  }
  const ms = performance.now() - started
  console.log(`secretlint 12.0.0 (batches of ${batch}): ${fmt(mb / (ms / 1000))} MB/s  (sentra on ${availableParallelism()} cores is ${fmt(ms / all.ms)}x faster)`)
}

// Whole-process time of a scan of one small file, beside the cost of starting node at all.
const small = join(CACHE, 'small.js')
writeFileSync(small, 'const greeting = "hello";\nexport default greeting\n')
const medians = interleaved({
  node: () => timeProcess(process.execPath, ['-e', '0']),
  sentra: () => timeProcess(process.execPath, [join(ROOT, 'bin/run.js'), 'scan', small], { cwd: CACHE }),
})
console.log(`\n## Start-up: scan of one small file`)
console.log(`node -e 0: ${fmt(medians.node, 0)} ms; sentra scan FILE: ${fmt(medians.sentra, 0)} ms (${fmt(medians.sentra / medians.node, 2)}x node -e 0)`)
