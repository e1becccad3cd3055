import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { VaultContext } from '../../vault/context.js'
import type { Role } from '../../vault/manifest/entry.js'
import { appendOperation } from '../../vault/team.js'

export default class TeamRole extends SentraCommand {
  static override summary = "Change a member's role (admins only)."
  static override description = `Appends a signed set-role entry. admin: may change the team; member: reads and writes its paths;
service: read-only (CI), never signs. The last admin cannot be demoted.`

  static override examples = [{ command: '<%= config.bin %> team role bob admin', description: 'Make bob an admin.' }]

  static override args = {
    name: Args.string({ description: 'Member name.', required: true }),
    role: Args.string({ description: 'New role.', required: true, options: ['admin', 'member', 'service'] }),
  }

  static override flags = {
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamRole)
    const ctx = new VaultContext()
    const { chain } = await appendOperation({ repoRoot: ctx.repoRoot(), env: ctx.env, notice: ctx.notice, signer: await ctx.key() }, () => ({ type: 'set-role', name: args.name, role: args.role as Role }))
    if (flags.json) process.stdout.write(`${JSON.stringify({ name: args.name, role: args.role, head: chain.state.head }, null, 2)}\n`)
    else process.stdout.write(`${args.name} is now ${args.role}. Commit .sentra/team.jsonl.\n`)
  }
}
