import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { VaultContext } from '../../vault/context.js'
import { appendOperation } from '../../vault/team.js'

export default class TeamUnmanage extends SentraCommand {
  static override summary = 'Remove a managed-path rule from the vault policy (admins only).'
  static override description = 'Appends a signed entry that drops the rule for exactly this glob (as given to `sentra team manage`).'
  static override examples = [{ command: "<%= config.bin %> team unmanage 'certs/**'", description: 'certs/ is no longer managed.' }]

  static override args = {
    glob: Args.string({ description: 'The glob of an existing rule.', required: true, ignoreStdin: true }),
  }

  static override flags = {
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamUnmanage)
    const ctx = new VaultContext()
    const { chain } = await appendOperation({ repoRoot: ctx.repoRoot(), env: ctx.env, notice: ctx.notice, signer: await ctx.key() }, () => ({ type: 'unmanage', glob: args.glob }))
    if (flags.json) process.stdout.write(`${JSON.stringify({ glob: args.glob, head: chain.state.head }, null, 2)}\n`)
    else process.stdout.write(`${args.glob} is no longer managed. Commit .sentra/team.jsonl.\n`)
  }
}
