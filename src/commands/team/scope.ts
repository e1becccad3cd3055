import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { VaultContext } from '../../vault/context.js'
import { accessChangeJson, accessChangeText, accessFlags } from '../../cli/access-report.js'
import { changeAccess } from '../../vault/access/change.js'

export default class TeamScope extends SentraCommand {
  static override summary = 'Change which paths a member may read and write (admins only).'
  static override description = `Appends a signed set-paths entry: --paths GLOB (repeatable) limits the member to those paths, --all
gives every path. In the same step, files that leave the member's scope are rotated (fresh data key,
wrapped to the remaining readers) and files that enter it are re-wrapped for them. Narrowing a scope
does not take back what the member already read: change those secrets at their provider. The change is
staged in git; --commit commits it.`

  static override examples = [
    { command: "<%= config.bin %> team scope bob --paths 'staging/**'", description: 'bob may only access staging/.' },
    { command: '<%= config.bin %> team scope bob --all', description: 'bob may access every path.' },
  ]

  static override args = {
    name: Args.string({ description: 'Member name.', required: true, ignoreStdin: true }),
  }

  static override flags = {
    paths: Flags.string({ description: 'Glob of paths (repeatable).', multiple: true, exclusive: ['all'] }),
    all: Flags.boolean({ description: 'Every path.' }),
    ...accessFlags,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamScope)
    if (!flags.all && !(flags.paths && flags.paths.length > 0)) throw new UserError('give --paths GLOB (repeatable) or --all')
    const ctx = new VaultContext()
    const paths = flags.all ? null : flags.paths!
    const key = await ctx.key()
    const commitMessage = `sentra: give ${args.name} ${paths ? `paths ${paths.join(', ')}` : 'all paths'}`
    const result = await changeAccess({
      repoRoot: ctx.repoRoot(),
      env: ctx.env,
      notice: ctx.notice,
      warn: ctx.warn,
      manifestSigner: key,
      reader: key,
      fileSigner: key,
      command: `sentra team scope ${args.name} ${paths ? paths.map((glob) => `--paths ${glob}`).join(' ') : '--all'}`,
      ...(flags.commit ? { commitMessage } : {}),
      buildOp: () => ({ type: 'set-paths', name: args.name, paths }),
    })
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ name: args.name, paths, ...accessChangeJson(result) }, null, 2)}\n`)
      return
    }
    process.stdout.write(`${args.name} now has ${paths ? `paths ${paths.join(', ')}` : 'all paths'}.\n${accessChangeText(result, commitMessage)}`)
  }
}
