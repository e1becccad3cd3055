import micromatch from 'micromatch'
import { activeDevices, activeMembers, canWritePath, isRemovedRecipient, memberCovers, recipientsForPath, type TeamState } from '../manifest/state.js'
import type { EncryptedFile } from './files.js'

/**
 * What an access change does to one encrypted file, decided against the team state AFTER the change:
 *  - rotate: a listed key may no longer read it (or rotation was asked for): fresh DEK, every value
 *    re-encrypted, wrapped to exactly the new recipients. Re-wrapping alone would leave the dropped key
 *    able to read every future value.
 *  - rewrap: only new readers: the same DEK wrapped for them too (per-value files keep every value and
 *    every existing wrapped entry byte for byte; a whole file is re-encrypted, age has no re-wrap).
 *  - resign: readers unchanged, but its signer may no longer write it (removed, demoted, narrowed).
 */
export type FileAction = 'rotate' | 'rewrap' | 'resign'

export interface FilePlan {
  file: EncryptedFile
  action: FileAction
  /** The exact recipient set after the change (team recipients plus kept one-offs). */
  recipients: string[]
  /** Keys that lose access (listed now, not allowed after). */
  dropped: string[]
  /** Keys that gain access. */
  added: string[]
  forced: boolean
}

export function planFiles(after: TeamState, files: readonly EncryptedFile[], forceRotate: readonly string[] | 'all' = []): FilePlan[] {
  const plans: FilePlan[] = []
  for (const file of files) {
    const forced = forceRotate === 'all' || (forceRotate.length > 0 && micromatch.isMatch(file.path, [...forceRotate], { dot: true }))
    const team = recipientsForPath(after, file.path).all
    const oneOff = (file.oneOff ?? []).filter((recipient) => !isRemovedRecipient(after, recipient))
    const recipients = [...new Set([...team, ...oneOff])].sort()
    const dropped = file.recipients.filter((recipient) => !recipients.includes(recipient))
    const added = recipients.filter((recipient) => !file.recipients.includes(recipient))
    let action: FileAction | undefined
    if (forced || dropped.length > 0) action = 'rotate'
    else if (added.length > 0) action = 'rewrap'
    else if (file.signer !== undefined && !canWritePath(after, file.signer, file.path).ok) action = 'resign'
    if (action) plans.push({ file, action, recipients, dropped, added, forced })
  }
  return plans
}

/** Why this key cannot carry out a plan: it cannot unwrap the DEK, or may not sign the path after the change. */
export function blockers(after: TeamState, plans: readonly FilePlan[], reader: string, signer: string): Array<{ path: string; reason: string }> {
  const blocked: Array<{ path: string; reason: string }> = []
  for (const plan of plans) {
    if (plan.action !== 'resign' && !plan.file.recipients.includes(reader)) {
      blocked.push({ path: plan.file.path, reason: 'you are not one of its recipients, so you cannot decrypt it' })
      continue
    }
    const writable = canWritePath(after, signer, plan.file.path)
    if (!writable.ok) blocked.push({ path: plan.file.path, reason: writable.reason })
  }
  return blocked
}

/** Members (after the change) who could carry out every blocked file: a listed device and write access. */
export function whoCanFinish(after: TeamState, files: readonly EncryptedFile[]): string[] {
  return activeMembers(after)
    .filter((member) => member.role !== 'service')
    .filter((member) => files.every((file) => memberCovers(member, file.path) && activeDevices(member).some((device) => file.recipients.includes(device.recipient))))
    .map((member) => `${member.name}${member.role === 'admin' ? ' (admin)' : ''}`)
}
