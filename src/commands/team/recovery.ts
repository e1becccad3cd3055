import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { VaultContext } from '../../vault/context.js'
import { assertRecipient } from '../../vault/identity.js'
import { accessFlags, printAccessChange, runAccessChange } from '../../cli/access-change.js'

export default class TeamRecovery extends SentraCommand {
  static override summary = 'Set or clear the recovery recipient: an offline break-glass key every file is also encrypted to (admins only).'
  static override description = `Appends a signed set-recovery entry. Generate the recovery key offline (e.g. \`age-keygen\` on an
air-gapped machine), keep its secret in a safe, and give only its recipient (age1…) here.

In the same step every encrypted file is re-wrapped for the recovery key (setting it), or rotated
(replacing or clearing it: the old recovery key must not read future values). You must be able to
decrypt every encrypted file. The change is staged in git; --commit commits it.`

  static override examples = [
    { command: '<%= config.bin %> team recovery age1…', description: 'Set the recovery recipient.' },
    { command: '<%= config.bin %> team recovery --clear', description: 'Remove it.' },
  ]

  static override args = {
    recipient: Args.string({ description: 'The recovery recipient (age1…).', ignoreStdin: true }),
  }

  static override flags = {
    clear: Flags.boolean({ description: 'Remove the recovery recipient.' }),
    ...accessFlags,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamRecovery)
    if (flags.clear === (args.recipient !== undefined)) throw new UserError('give either a recipient (age1…) or --clear')
    const recipient = args.recipient ? assertRecipient(args.recipient) : null
    const ctx = new VaultContext()
    const commitMessage = `sentra: ${recipient ? 'set the recovery recipient' : 'remove the recovery recipient'}`
    const result = await runAccessChange(ctx, await ctx.key(), { command: `sentra team recovery ${recipient ?? '--clear'}`, commitMessage, commit: flags.commit, buildOp: () => ({ type: 'set-recovery', recipient }) })
    printAccessChange(result, { json: flags.json, commitMessage, headline: `${recipient ? `Recovery recipient set to ${recipient}` : 'Recovery recipient removed'}.`, data: { recovery: recipient } })
  }
}
