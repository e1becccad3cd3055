import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { ManifestError, VaultError } from './errors.js'
import { writeFileAtomic } from './fs-atomic.js'
import { chainFromText, type Chain } from './manifest/chain.js'
import { MANIFEST_PATH, entryLine, signEntry, type Operation, type UnsignedEntry } from './manifest/entry.js'
import { ownerOfSigningKey, type TeamState } from './manifest/state.js'
import { loadTrustedTeam, pinRoot, type TrustOptions } from './manifest/trust.js'
import { assertMemberName, type Signer } from './requests.js'

/** Creates `.sentra/team.jsonl` with its root entry (signed by the first admin) and pins the root. */
export async function initTeam(options: { repoRoot: string; signer: Signer; name: string; team: string; time?: Date }): Promise<Chain> {
  const path = join(options.repoRoot, MANIFEST_PATH)
  if (existsSync(path)) throw new VaultError(`${MANIFEST_PATH} already exists: this repository has a team (see \`sentra team list\`)`, 'team-exists')
  const team = options.team.trim()
  if (team === '' || team.length > 100) throw new VaultError('the team name must be 1 to 100 characters', 'usage')
  const unsigned: UnsignedEntry = {
    v: 1,
    seq: 0,
    prev: null,
    time: (options.time ?? new Date()).toISOString(),
    by: options.signer.signingKey,
    op: {
      type: 'init',
      team,
      nonce: randomBytes(16).toString('hex'),
      name: assertMemberName(options.name),
      device: { recipient: options.signer.recipient, signingKey: options.signer.signingKey },
    },
  }
  const text = `${entryLine(await signEntry(unsigned, options.signer))}\n`
  const chain = chainFromText(text, MANIFEST_PATH)
  mkdirSync(dirname(path), { recursive: true })
  writeFileAtomic(path, text)
  pinRoot(options.repoRoot, chain.state.root)
  return chain
}

export interface AppendOptions extends Omit<TrustOptions, 'purpose'> {
  signer: Signer
  time?: Date
}

export interface PreparedOperation {
  /** The manifest text with the new entry appended (not written yet). */
  text: string
  /** The state before the entry (the trusted one) and the replayed chain after it. */
  before: TeamState
  chain: Chain
  op: Operation
}

/**
 * Builds and signs one operation on top of the trusted manifest without writing it. The new chain is
 * replayed in full, so an invalid operation (unknown member, last admin, key reuse, a signer without
 * the authority) is refused with the replay's own error. Multi-file access changes write the text
 * themselves, as the last step of their transaction.
 */
export async function prepareOperation(options: AppendOptions, build: (state: TeamState) => Operation): Promise<PreparedOperation> {
  const trusted = loadTrustedTeam({ ...options, purpose: 'write' })
  const state = trusted.working.state
  const op = build(state)
  if (!selfSignedOperation(op)) {
    const owner = ownerOfSigningKey(state, options.signer.signingKey)
    if (!owner || !owner.active) throw new VaultError(`your key (${options.signer.recipient}) is not a member of this team: only admins change the team`, 'not-admin')
    if (owner.member.role !== 'admin') throw new VaultError(`${owner.member.name} is a ${owner.member.role}: only admins change the team`, 'not-admin')
  }
  const unsigned: UnsignedEntry = {
    v: 1,
    seq: trusted.working.lines.length,
    prev: state.head,
    time: (options.time ?? new Date()).toISOString(),
    by: options.signer.signingKey,
    op,
  }
  const text = `${trusted.working.text}${entryLine(await signEntry(unsigned, options.signer))}\n`
  let chain: Chain
  try {
    chain = chainFromText(text, MANIFEST_PATH)
  } catch (error) {
    // The replay's message names the line; the part after it is what the user needs.
    if (error instanceof ManifestError) throw new VaultError(error.message.replace(/^.*?line \d+: /, ''), 'team-op')
    throw error
  }
  return { text, before: state, chain, op }
}

/** Operations a member may sign for themselves (the replay checks who signed them). */
function selfSignedOperation(op: Operation): boolean {
  return (op.type as string) === 'rekey'
}

/** Appends one operation and writes the manifest (team changes that touch no encrypted file). */
export async function appendOperation(options: AppendOptions, build: (state: TeamState) => Operation): Promise<{ chain: Chain; op: Operation }> {
  const prepared = await prepareOperation(options, build)
  writeFileAtomic(join(options.repoRoot, MANIFEST_PATH), prepared.text)
  return { chain: prepared.chain, op: prepared.op }
}

export function readManifestText(repoRoot: string): string | undefined {
  const path = join(repoRoot, MANIFEST_PATH)
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined
}
