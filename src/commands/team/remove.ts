import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { accessChangeJson, accessChangeText, accessFlags, runAccessChange } from '../../cli/access-change.js'
import { exposureReport, renderExposureText } from '../../vault/access/exposure.js'
import { VaultContext } from '../../vault/context.js'
import { activeDevices, type TeamState } from '../../vault/manifest/state.js'

export default class TeamRemove extends SentraCommand {
  static override aliases = ['team:revoke']
  static override summary = 'Remove a member (or one of their devices) and rotate every file they could read (admins only).'
  static override description = `In one step, all or nothing:
  1. appends the signed removal to the team manifest;
  2. gives every encrypted file the member could read a fresh data key: its values are re-encrypted,
     wrapped to the remaining readers only, and signed by you (files the member signed last are
     re-signed too);
  3. stages the changed files in git (--commit commits them) and prints an exposure report.

The exposure report lists, for every key of every file the member could read, the last commit at which
they could read it and whether the value they saw is still the current one. Those values MUST be changed
at their provider (database, cloud console, API dashboard): rotation protects future values only, and
old git history stays decryptable with the removed key forever.

You must be able to decrypt every affected file; if you cannot (a path-scoped admin), nothing is
changed and sentra names who can finish. An interrupted run (crash, Ctrl-C) is completed by running
the same command again; it never leaves a half-rotated tree.

--device removes one key of a member who has several (a lost laptop), with the same rotation.`

  static override examples = [
    { command: '<%= config.bin %> team remove bob', description: 'Offboard bob: rotate what he could read, then change what the report says.' },
    { command: '<%= config.bin %> team revoke bob --commit', description: 'The same, and commit the change.' },
    { command: '<%= config.bin %> team remove bob --device age1…', description: "Remove bob's lost laptop key only." },
    { command: '<%= config.bin %> team remove bob --json', description: 'The change and the exposure report as JSON.' },
  ]

  static override args = {
    name: Args.string({ description: 'The member to remove.', required: true, ignoreStdin: true }),
  }

  static override flags = {
    device: Flags.string({ description: "Remove only this recipient (age1…) of the member's devices." }),
    ...accessFlags,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamRemove)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const key = await ctx.key()
    const command = `sentra team remove ${args.name}${flags.device ? ` --device ${flags.device}` : ''}`
    const subject = flags.device ? `${args.name}'s device ${flags.device}` : args.name
    const commitMessage = `sentra: remove ${subject} and rotate what they could read`
    let removed: string[] = []
    const result = await runAccessChange(ctx, key, {
      command,
      commitMessage,
      commit: flags.commit,
      buildOp: (state) => {
        removed = removedKeys(state, args.name, flags.device)
        return flags.device ? { type: 'remove-device', name: args.name, recipient: flags.device } : { type: 'remove-member', name: args.name }
      },
    })
    if (result.resumed) removed = removedKeys(result.after, args.name, flags.device, true)
    // Every file, not only those listing the key now: a file the member read before a scope change, or
    // one deleted since, still exposed its values.
    const exposure = await exposureReport({ repoRoot, state: result.before, reader: key, member: subject, removed })
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ removed: { member: args.name, device: flags.device ?? null, recipients: removed }, ...accessChangeJson(result), exposure }, null, 2)}\n`)
      return
    }
    process.stdout.write(`${result.resumed ? '' : `Removed ${subject} from the team.\n`}${accessChangeText(result, commitMessage)}\n${renderExposureText(exposure)}`)
  }
}

/** The keys a removal takes away: every device of the member, or the one named. */
function removedKeys(state: TeamState, name: string, device: string | undefined, alreadyRemoved = false): string[] {
  const member = state.members.get(name)
  if (!member) throw new UserError(`no member named ${name} (see sentra team list)`)
  if (device) {
    if (!member.devices.some((candidate) => candidate.recipient === device)) throw new UserError(`${name} has no device ${device} (see sentra team list)`)
    return [device]
  }
  return alreadyRemoved ? member.devices.filter((candidate) => candidate.removedAt === member.removedAt).map((candidate) => candidate.recipient) : activeDevices(member).map((candidate) => candidate.recipient)
}
