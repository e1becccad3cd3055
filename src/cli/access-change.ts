import { Flags } from '@oclif/core'
import { changeAccess, type AccessChangeOptions, type AccessChangeResult } from '../vault/access/change.js'
import { recipientName } from '../vault/manifest/state.js'
import type { VaultContext } from '../vault/context.js'
import type { KeyHandle } from '../vault/keystore/index.js'

/** Flags every access-changing command shares. */
export const accessFlags = {
  commit: Flags.boolean({ description: 'Also commit the change (it is always staged in git).' }),
  json: Flags.boolean({ description: 'Print the result as JSON.' }),
}

const VERB = { rotate: 'rotated (fresh data key)', rewrap: 're-wrapped for new readers', resign: 're-signed' } as const

/** The files part of a change, and the commit to make: what every access command prints. */
export function accessChangeText(result: AccessChangeResult, commitMessage: string): string {
  const lines: string[] = []
  if (result.resumed) {
    lines.push('This change had been interrupted; it is now complete.')
  } else if (result.files.length === 0) {
    lines.push('No encrypted file needed a change.')
  } else {
    for (const action of ['rotate', 'rewrap', 'resign'] as const) {
      const files = result.files.filter((file) => file.action === action)
      if (files.length === 0) continue
      lines.push(`${files.length} file(s) ${VERB[action]}:`)
      for (const file of files) {
        const who = [
          ...file.dropped.map((recipient) => `-${recipientName(result.before, recipient)}`),
          ...file.added.map((recipient) => `+${recipientName(result.after, recipient)}`),
        ]
        lines.push(`  ${file.path}${who.length > 0 ? `  (${[...new Set(who)].join(' ')})` : ''}`)
      }
    }
  }
  if (result.committed) lines.push(`Committed ${result.committed.slice(0, 12)}.`)
  else if (result.staged.length > 0) lines.push(`Staged in git; commit it: git commit -m ${JSON.stringify(commitMessage)}`)
  return `${lines.join('\n')}\n`
}

export function accessChangeJson(result: AccessChangeResult): Record<string, unknown> {
  return {
    head: result.after.head,
    resumed: result.resumed,
    files: result.files.map((file) => ({
      path: file.path,
      kind: file.kind,
      action: file.action,
      removedReaders: [...new Set(file.dropped.map((recipient) => recipientName(result.before, recipient)))],
      addedReaders: [...new Set(file.added.map((recipient) => recipientName(result.after, recipient)))],
    })),
    staged: result.staged,
    committed: result.committed ?? null,
  }
}

export type AccessChangeSpec = Omit<AccessChangeOptions, 'repoRoot' | 'env' | 'notice' | 'warn' | 'manifestSigner' | 'reader' | 'fileSigner' | 'commitMessage'> & {
  commitMessage: string
  /** --commit */
  commit: boolean | undefined
}

/** An access change made entirely with this device's key: it signs the entry, reads and signs the files. */
export function runAccessChange(ctx: VaultContext, key: KeyHandle, spec: AccessChangeSpec): Promise<AccessChangeResult> {
  const { commit, commitMessage, ...rest } = spec
  return changeAccess({
    repoRoot: ctx.repoRoot(),
    env: ctx.env,
    notice: ctx.notice,
    warn: ctx.warn,
    manifestSigner: key,
    reader: key,
    fileSigner: key,
    ...rest,
    ...(commit ? { commitMessage } : {}),
  })
}

/** Prints a change: JSON (the command's own fields first), or its headline and the files. */
export function printAccessChange(result: AccessChangeResult, options: { json: boolean | undefined; commitMessage: string; headline: string; data: Record<string, unknown> }): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...options.data, ...accessChangeJson(result) }, null, 2)}\n`)
    return
  }
  process.stdout.write(`${options.headline === '' ? '' : `${options.headline}\n`}${accessChangeText(result, options.commitMessage)}`)
}
