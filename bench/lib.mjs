// Shared helpers for the benchmarks: timing whole processes, medians, and the reproducible corpus.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
// Outside the repository: sentra respects .gitignore, and the corpus must not look like part of sentra.
export const CACHE = process.env.SENTRA_BENCH_CACHE ?? join(tmpdir(), 'sentra-bench-cache')

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** Wall time of one process run, in ms. */
export function timeProcess(command, args, options = {}) {
  const started = process.hrtime.bigint()
  const result = spawnSync(command, args, { stdio: ['pipe', 'ignore', 'ignore'], ...options })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (result.error) throw result.error
  return ms
}

/** Runs each named command `runs` times, interleaved so that machine load hits all alike; returns medians. */
export function interleaved(commands, runs = 15) {
  const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, []]))
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of Object.entries(commands)) samples[name].push(run())
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
}

/** Pinned third-party packages: real code of every shape (minified bundles, sources, JSON, docs). */
export const CORPUS_PACKAGES = [
  'typescript@5.9.3', 'lodash@4.17.21', 'react-dom@18.3.1', 'three@0.160.0', 'moment@2.30.1', 'rxjs@7.8.1',
  'aws-sdk@2.1692.0', 'googleapis@144.0.0', 'jquery@3.7.1', 'd3@7.9.0', 'antd@5.21.0',
]

/** Installs the corpus once into .bench/corpus (reproducible: pinned versions, no scripts). */
export function ensureCorpus() {
  const dir = join(CACHE, 'corpus')
  if (!existsSync(join(dir, 'node_modules'))) {
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sentra-bench-corpus', private: true }))
    process.stderr.write(`bench: installing the corpus (${CORPUS_PACKAGES.length} pinned packages)...\n`)
    execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', ...CORPUS_PACKAGES], { stdio: ['ignore', 'ignore', 'inherit'] })
  }
  return join(dir, 'node_modules')
}

export function listFiles(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) listFiles(full, out)
    else if (entry.isFile()) out.push(full)
  }
  return out
}

export function totalBytes(files) {
  return files.reduce((sum, f) => sum + statSync(f).size, 0)
}

export function fmt(n, digits = 1) {
  return Number(n).toFixed(digits)
}
