import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { VaultContext } from '../../vault/context.js'
import { appendOperation } from '../../vault/team.js'

export default class TeamScope extends SentraCommand {
  static override summary = 'Change which paths a member may read and write (admins only).'
  static override description = `Appends a signed set-paths entry: --paths GLOB (repeatable) limits the member to those paths, --all
gives every path. New encryptions follow it at once. Files already encrypted keep their recipients until
they are re-encrypted: narrowing a scope does not take back what was readable before (re-encrypt the
affected files, and rotate the secrets in them).`

  static override examples = [
    { command: "<%= config.bin %> team scope bob --paths 'staging/**'", description: 'bob may only access staging/.' },
    { command: '<%= config.bin %> team scope bob --all', description: 'bob may access every path.' },
  ]

  static override args = {
    name: Args.string({ description: 'Member name.', required: true }),
  }

  static override flags = {
    paths: Flags.string({ description: 'Glob of paths (repeatable).', multiple: true, exclusive: ['all'] }),
    all: Flags.boolean({ description: 'Every path.' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamScope)
    if (!flags.all && !(flags.paths && flags.paths.length > 0)) throw new UserError('give --paths GLOB (repeatable) or --all')
    const ctx = new VaultContext()
    const paths = flags.all ? null : flags.paths!
    const { chain } = await appendOperation({ repoRoot: ctx.repoRoot(), env: ctx.env, notice: ctx.notice, signer: await ctx.key() }, () => ({ type: 'set-paths', name: args.name, paths }))
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ name: args.name, paths, head: chain.state.head }, null, 2)}\n`)
      return
    }
    process.stdout.write(`${args.name} now has ${paths ? `paths ${paths.join(', ')}` : 'all paths'}. Commit .sentra/team.jsonl; re-encrypt files whose readers changed.\n`)
  }
}
