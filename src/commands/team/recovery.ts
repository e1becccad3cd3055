import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { VaultContext } from '../../vault/context.js'
import { assertRecipient } from '../../vault/identity.js'
import { accessChangeJson, accessChangeText, accessFlags } from '../../cli/access-report.js'
import { changeAccess } from '../../vault/access/change.js'

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
    const key = await ctx.key()
    const commitMessage = `sentra: ${recipient ? 'set the recovery recipient' : 'remove the recovery recipient'}`
    const result = await changeAccess({
      repoRoot: ctx.repoRoot(),
      env: ctx.env,
      notice: ctx.notice,
      warn: ctx.warn,
      manifestSigner: key,
      reader: key,
      fileSigner: key,
      command: `sentra team recovery ${recipient ?? '--clear'}`,
      ...(flags.commit ? { commitMessage } : {}),
      buildOp: () => ({ type: 'set-recovery', recipient }),
    })
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ recovery: recipient, ...accessChangeJson(result) }, null, 2)}\n`)
      return
    }
    process.stdout.write(`${recipient ? `Recovery recipient set to ${recipient}` : 'Recovery recipient removed'}.\n${accessChangeText(result, commitMessage)}`)
  }
}
