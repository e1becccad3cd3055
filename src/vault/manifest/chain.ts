import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ManifestError } from '../errors.js'
import { MANIFEST_PATH, describeOperation } from './entry.js'
import { parseManifest, type ParsedLine } from './parse.js'
import { replayManifest } from './replay.js'
import type { TeamState } from './state.js'

/** A verified manifest: its lines as stored and the state their replay gives. */
export interface Chain {
  source: string
  text: string
  lines: ParsedLine[]
  state: TeamState
}

export function chainFromText(text: string, source: string): Chain {
  const lines = parseManifest(text, source)
  return { source, text, lines, state: replayManifest(lines, source) }
}

export function readWorkingChain(repoRoot: string): Chain | undefined {
  const path = join(repoRoot, MANIFEST_PATH)
  if (!existsSync(path)) return undefined
  return chainFromText(readFileSync(path, 'utf8'), MANIFEST_PATH)
}

export type ChainRelation =
  | { kind: 'equal' }
  | { kind: 'extends'; added: number }
  | { kind: 'behind'; missing: number }
  | { kind: 'diverged'; at: number }

/** How chain `a` relates to chain `b`: equal, a extends b, a is a strict prefix of b, or they fork. */
export function relate(a: Chain, b: Chain): ChainRelation {
  const shared = Math.min(a.lines.length, b.lines.length)
  for (let i = 0; i < shared; i++) {
    if (a.lines[i]!.hash !== b.lines[i]!.hash) return { kind: 'diverged', at: i }
  }
  if (a.lines.length === b.lines.length) return { kind: 'equal' }
  return a.lines.length > b.lines.length ? { kind: 'extends', added: a.lines.length - b.lines.length } : { kind: 'behind', missing: b.lines.length - a.lines.length }
}

function opsFrom(chain: Chain, from: number): string {
  const ops = chain.lines.slice(from).map((line) => `#${line.entry.seq} ${describeOperation(line.entry.op)}`)
  return ops.length > 3 ? `${ops.slice(0, 3).join('; ')}; …` : ops.join('; ')
}

/** The explanation when two chains forked: both sides appended different entries after a common prefix. */
export function divergenceError(ours: Chain, theirs: Chain, at: number, theirName: string): ManifestError {
  return new ManifestError(
    `the team manifest forked from ${theirName} after entry #${at - 1}: this side appended [${opsFrom(ours, at)}], ${theirName} appended [${opsFrom(theirs, at)}]. ` +
      `Two branches both changed the team; re-append this side's changes on top: take ${theirName}'s ${MANIFEST_PATH} (git checkout ${theirName} -- ${MANIFEST_PATH}) and re-run this side's team commands`,
    'diverged',
  )
}

export function droppedEntriesText(chain: Chain, from: number): string {
  return opsFrom(chain, from)
}
