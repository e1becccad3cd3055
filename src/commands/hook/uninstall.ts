import { Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { describeHookResult, uninstallHooks } from '../../git/hooks.js'
import { NotARepositoryError, repoLayout } from '../../git/layout.js'

export default class HookUninstall extends SentraCommand {
  static override summary = 'Remove the git hooks `sentra hook install` added.'
  static override description = `Reverses \`sentra hook install\`: removes the hook files sentra wrote (only files that carry its
marker) and puts back any hook they had chained, or removes sentra's lines from husky's scripts
(deleting a script only if sentra had created it). Hooks sentra did not write are left alone.`

  static override examples = [{ command: '<%= config.bin %> hook uninstall', description: 'Stop running sentra on commit, merge and push.' }]

  static override flags = {
    json: Flags.boolean({ description: 'Print what was done as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(HookUninstall)
    let root: string
    try {
      root = repoLayout(process.cwd()).root
    } catch (error) {
      if (error instanceof NotARepositoryError) throw new UserError(`${error.message}: run this inside the repository`)
      throw error
    }
    const result = uninstallHooks(root)
    process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : describeHookResult(result))
  }
}
