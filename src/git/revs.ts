import { gitSync } from './exec.js'

/** Which commits a history scan covers. */
export type HistorySelection =
  | { kind: 'all' }
  | { kind: 'since'; ref: string }
  | { kind: 'range'; range: string }
  | { kind: 'commits'; count: number }
  | { kind: 'revs'; revs: string[] }

export class RevisionError extends Error {}

/** A revision given by a user: never read as an option by git. */
export function checkRevision(value: string, what: string): string {
  if (value === '' || value.startsWith('-') || /[\s\0]/.test(value)) throw new RevisionError(`${what}: not a valid revision: ${JSON.stringify(value)}`)
  return value
}

/** The revision arguments of `git log` / `git rev-list` for a selection. */
export function selectionRevs(selection: HistorySelection): string[] {
  switch (selection.kind) {
    case 'all':
      // Every ref and HEAD, but not the stash: its commits hold work that was never committed.
      return ['--exclude=refs/stash', '--all']
    case 'since':
      return [`${checkRevision(selection.ref, '--since')}..HEAD`]
    case 'range': {
      const range = checkRevision(selection.range, '--range')
      if (!range.includes('..')) throw new RevisionError(`--range: expected A..B, got ${JSON.stringify(range)}`)
      return [range]
    }
    case 'commits':
      return [`--max-count=${selection.count}`, 'HEAD']
    case 'revs':
      return selection.revs
  }
}

export interface PushUpdate {
  localRef: string
  localSha: string
  remoteRef: string
  remoteSha: string
}

const ZERO = /^0+$/

/** The lines git feeds a pre-push hook: `<local ref> <local sha> <remote ref> <remote sha>`. */
export function parsePushUpdates(input: string): PushUpdate[] {
  const updates: PushUpdate[] = []
  for (const line of input.split('\n')) {
    const fields = line.trim().split(/\s+/)
    if (fields.length !== 4) continue
    const [localRef, localSha, remoteRef, remoteSha] = fields as [string, string, string, string]
    if (!/^[0-9a-f]{40,64}$/.test(localSha) || !/^[0-9a-f]{40,64}$/.test(remoteSha)) continue
    updates.push({ localRef, localSha, remoteRef, remoteSha })
  }
  return updates
}

/** Which of these object ids exist in the repository (no lazy fetch). */
function existing(repoRoot: string, ids: string[]): Set<string> {
  if (ids.length === 0) return new Set()
  const out = gitSync(['cat-file', '--batch-check=%(objectname)'], repoRoot, ids.join('\n') + '\n').toString('utf8')
  return new Set(out.split('\n').filter((line) => /^[0-9a-f]+$/.test(line)))
}

/**
 * The commits a push adds: each pushed tip, minus what the remote already has (its old tip when we
 * have it, and every remote-tracking branch). A new branch (remote id all zeros) is thereby scanned
 * as `rev-list LOCAL --not --remotes`; deletions (local id all zeros) add nothing. Undefined when
 * nothing is pushed.
 */
export function pushRevs(repoRoot: string, updates: readonly PushUpdate[]): string[] | undefined {
  const tips = updates.filter((u) => !ZERO.test(u.localSha)).map((u) => u.localSha)
  if (tips.length === 0) return undefined
  const known = existing(repoRoot, updates.map((u) => u.remoteSha).filter((sha) => !ZERO.test(sha)))
  return [...new Set(tips), '--not', ...known, '--remotes']
}
