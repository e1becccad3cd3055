import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { VaultContext } from '../../vault/context.js'
import { accessFlags, printAccessChange, runAccessChange } from '../../cli/access-change.js'
import { exposureReport, renderExposureText } from '../../vault/access/exposure.js'
import { activeDevices } from '../../vault/manifest/state.js'

export default class TeamScope extends SentraCommand {
  static override summary = 'Change which paths a member may read and write (admins only).'
  static override description = `Appends a signed set-paths entry: --paths GLOB (repeatable) limits the member to those paths, --all
gives every path. In the same step, files that leave the member's scope are rotated (fresh data key,
wrapped to the remaining readers) and files that enter it are re-wrapped for them. Narrowing a scope
does not take back what the member already read: the exposure report lists, for the files that left
their scope, which values they saw are still current (change those at their provider). The change is
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
    const commitMessage = `sentra: give ${args.name} ${paths ? `paths ${paths.join(', ')}` : 'all paths'}`
    const key = await ctx.key()
    const result = await runAccessChange(ctx, key, { command: `sentra team scope ${args.name} ${paths ? paths.map((glob) => `--paths ${glob}`).join(' ') : '--all'}`, commitMessage, commit: flags.commit, buildOp: () => ({ type: 'set-paths', name: args.name, paths }) })
    // Files that left the member's scope: what they read there is exposed, as on a removal.
    const devices = activeDevices(result.before.members.get(args.name) ?? result.after.members.get(args.name)!).map((device) => device.recipient)
    const left = result.files.filter((file) => file.action === 'rotate' && file.dropped.some((recipient) => devices.includes(recipient))).map((file) => file.path)
    const exposure = left.length > 0 ? await exposureReport({ repoRoot: ctx.repoRoot(), state: result.before, reader: key, member: args.name, removed: devices, paths: left }) : undefined
    printAccessChange(result, { json: flags.json, commitMessage, headline: `${args.name} now has ${paths ? `paths ${paths.join(', ')}` : 'all paths'}.`, data: { name: args.name, paths, ...(exposure ? { exposure } : {}) } })
    if (exposure && !flags.json) process.stdout.write(`\n${renderExposureText(exposure)}`)
  }
}
