import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { VaultContext } from '../../vault/context.js'
import type { Role } from '../../vault/manifest/entry.js'
import { accessFlags, printAccessChange, runAccessChange } from '../../cli/access-change.js'

export default class TeamRole extends SentraCommand {
  static override summary = "Change a member's role (admins only)."
  static override description = `Appends a signed set-role entry. admin: may change the team; member: reads and writes its paths;
service: read-only (CI), never signs. The last admin cannot be demoted. Files signed by a member who
becomes a service member are re-signed by you (a service member may not write). The change is staged
in git; --commit commits it.`

  static override examples = [{ command: '<%= config.bin %> team role bob admin', description: 'Make bob an admin.' }]

  static override args = {
    name: Args.string({ description: 'Member name.', required: true, ignoreStdin: true }),
    role: Args.string({ description: 'New role.', required: true, options: ['admin', 'member', 'service'], ignoreStdin: true }),
  }

  static override flags = {
    ...accessFlags,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamRole)
    const ctx = new VaultContext()
    const commitMessage = `sentra: make ${args.name} ${args.role}`
    const result = await runAccessChange(ctx, await ctx.key(), { command: `sentra team role ${args.name} ${args.role}`, commitMessage, commit: flags.commit, buildOp: () => ({ type: 'set-role', name: args.name, role: args.role as Role }) })
    printAccessChange(result, { json: flags.json, commitMessage, headline: `${args.name} is now ${args.role}.`, data: { name: args.name, role: args.role } })
  }
}
