import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { gitSync } from '../../git/exec.js'
import { sha256Hex } from '../encoding.js'
import { VaultError } from '../errors.js'
import { writeFileAtomic } from '../fs-atomic.js'

/**
 * A multi-file access change as a small transaction, so that a killed run never leaves a
 * half-rotated tree:
 *  1. every new file content is written to `<git-dir>/sentra/pending-change/` with a journal in phase
 *     `staging` (nothing in the work tree has changed yet);
 *  2. the journal switches to `ready` (the commit point), listing each target, its staged file and the
 *     SHA-256 of the old and new contents;
 *  3. each staged file is renamed over its target (the same file system: the git dir is inside the
 *     repository), the manifest last; then the directory is removed.
 * Re-running after a crash rolls a `staging` journal back (drops the directory: nothing was applied)
 * and completes a `ready` one (renames what is left, skipping targets that already hold the new bytes).
 */
export interface PendingChange {
  command: string
  phase: 'staging' | 'ready'
  created: string
  paths: string[]
}

interface JournalEntry {
  path: string
  staged: string
  /** SHA-256 of the target before the change (null: did not exist). */
  before: string | null
  after: string
}

interface Journal {
  v: 1
  command: string
  phase: 'staging' | 'ready'
  created: string
  entries: JournalEntry[]
}

export interface StagedWrite {
  /** Repo path. */
  path: string
  data: string | Uint8Array
}

const JOURNAL = 'journal.json'

function gitDir(repoRoot: string): string {
  const out = gitSync(['rev-parse', '--git-dir'], repoRoot).toString('utf8').trim()
  return isAbsolute(out) ? out : resolve(repoRoot, out)
}

function changeDir(repoRoot: string): string {
  return join(gitDir(repoRoot), 'sentra', 'pending-change')
}

function hashOf(file: string): string | null {
  return existsSync(file) ? sha256Hex(new Uint8Array(readFileSync(file))) : null
}

function readJournal(dir: string): Journal | undefined {
  const path = join(dir, JOURNAL)
  if (!existsSync(path)) return undefined
  try {
    const journal = JSON.parse(readFileSync(path, 'utf8')) as Journal
    if (journal.v !== 1 || !Array.isArray(journal.entries) || (journal.phase !== 'staging' && journal.phase !== 'ready')) return undefined
    return journal
  } catch {
    return undefined
  }
}

/** The interrupted access change of this work tree, if any. */
export function pendingChange(repoRoot: string): PendingChange | undefined {
  const dir = changeDir(repoRoot)
  if (!existsSync(dir)) return undefined
  const journal = readJournal(dir)
  if (!journal) return { command: 'an unknown sentra command', phase: 'staging', created: statSync(dir).mtime.toISOString(), paths: [] }
  return { command: journal.command, phase: journal.phase, created: journal.created, paths: journal.entries.map((entry) => entry.path) }
}

/** Test hook: SENTRA_TEST_KILL_AT=staged:N|applied:N kills the process (SIGKILL) at that point. */
function maybeDie(env: NodeJS.ProcessEnv, phase: 'staged' | 'applied', count: number): void {
  const at = env.SENTRA_TEST_KILL_AT
  if (at && at === `${phase}:${count}`) process.kill(process.pid, 'SIGKILL')
}

export interface RecoveryResult {
  /** What was found and done; undefined when there was no pending change. */
  outcome?: 'rolled-back' | 'completed'
  command?: string
  paths: string[]
}

/**
 * Finishes or undoes an interrupted change before anything else runs. A target changed by someone
 * else since the commit point stops recovery with an error (the journal is kept).
 */
export function recoverPendingChange(repoRoot: string, env: NodeJS.ProcessEnv = process.env): RecoveryResult {
  const dir = changeDir(repoRoot)
  if (!existsSync(dir)) return { paths: [] }
  const journal = readJournal(dir)
  if (!journal || journal.phase === 'staging') {
    rmSync(dir, { recursive: true, force: true })
    return { outcome: 'rolled-back', ...(journal ? { command: journal.command } : {}), paths: [] }
  }
  applyEntries(repoRoot, dir, journal, env)
  rmSync(dir, { recursive: true, force: true })
  return { outcome: 'completed', command: journal.command, paths: journal.entries.map((entry) => entry.path) }
}

function applyEntries(repoRoot: string, dir: string, journal: Journal, env: NodeJS.ProcessEnv): void {
  let applied = 0
  for (const entry of journal.entries) {
    const target = join(repoRoot, entry.path)
    const current = hashOf(target)
    if (current === entry.after) continue
    const staged = join(dir, entry.staged)
    if (current !== entry.before || !existsSync(staged)) {
      throw new VaultError(
        `cannot complete the interrupted \`${journal.command}\`: ${entry.path} was changed since it started. Restore it (git checkout -- ${entry.path}) and re-run, or delete ${dir} to abandon the change`,
        'pending-change',
      )
    }
    mkdirSync(dirname(target), { recursive: true })
    renameSync(staged, target)
    maybeDie(env, 'applied', ++applied)
  }
}

/**
 * Runs the whole transaction: stage every write, mark ready, apply. `writes` are applied in order
 * (put the manifest last). Modes: an existing target keeps its mode; a new one gets 0644.
 */
export function commitChange(repoRoot: string, command: string, writes: readonly StagedWrite[], env: NodeJS.ProcessEnv = process.env): void {
  const dir = changeDir(repoRoot)
  if (existsSync(dir)) throw new VaultError(`an interrupted \`${pendingChange(repoRoot)?.command}\` is pending: re-run it first`, 'pending-change')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const journal: Journal = { v: 1, command, phase: 'staging', created: new Date().toISOString(), entries: [] }
  writeFileAtomic(join(dir, JOURNAL), JSON.stringify(journal))
  writes.forEach((write, index) => {
    const target = join(repoRoot, write.path)
    const staged = `f${index}`
    const mode = existsSync(target) ? statSync(target).mode & 0o777 : 0o644
    writeFileAtomic(join(dir, staged), write.data, mode)
    const bytes = typeof write.data === 'string' ? new Uint8Array(Buffer.from(write.data, 'utf8')) : write.data
    journal.entries.push({ path: write.path, staged, before: hashOf(target), after: sha256Hex(bytes) })
    maybeDie(env, 'staged', index + 1)
  })
  journal.phase = 'ready'
  writeFileAtomic(join(dir, JOURNAL), JSON.stringify(journal))
  applyEntries(repoRoot, dir, journal, env)
  rmSync(dir, { recursive: true, force: true })
}
