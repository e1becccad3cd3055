import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { VaultContext } from '../../vault/context.js'
import { assertRecipient } from '../../vault/identity.js'
import { appendOperation } from '../../vault/team.js'

export default class TeamRecovery extends SentraCommand {
  static override summary = 'Set or clear the recovery recipient: an offline break-glass key every file is also encrypted to (admins only).'
  static override description = `Appends a signed set-recovery entry. Generate the recovery key offline (e.g. \`age-keygen\` on an
air-gapped machine), keep its secret in a safe, and give only its recipient (age1…) here.`

  static override examples = [
    { command: '<%= config.bin %> team recovery age1…', description: 'Set the recovery recipient.' },
    { command: '<%= config.bin %> team recovery --clear', description: 'Remove it.' },
  ]

  static override args = {
    recipient: Args.string({ description: 'The recovery recipient (age1…).' }),
  }

  static override flags = {
    clear: Flags.boolean({ description: 'Remove the recovery recipient.' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamRecovery)
    if (flags.clear === (args.recipient !== undefined)) throw new UserError('give either a recipient (age1…) or --clear')
    const recipient = args.recipient ? assertRecipient(args.recipient) : null
    const ctx = new VaultContext()
    const { chain } = await appendOperation({ repoRoot: ctx.repoRoot(), env: ctx.env, notice: ctx.notice, signer: await ctx.key() }, () => ({ type: 'set-recovery', recipient }))
    if (flags.json) process.stdout.write(`${JSON.stringify({ recovery: recipient, head: chain.state.head }, null, 2)}\n`)
    else process.stdout.write(`${recipient ? `Recovery recipient set to ${recipient}` : 'Recovery recipient removed'}. Commit .sentra/team.jsonl and re-encrypt managed files.\n`)
  }
}
