import { Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { HookConflictError, describeHookResult, installHooks } from '../../git/hooks.js'
import { NotARepositoryError, repoLayout } from '../../git/layout.js'

export default class HookInstall extends SentraCommand {
  static override summary = 'Run `sentra guard` before every commit and merge (and push) of this repository.'
  static override description = `Installs git hooks that run \`sentra guard\`: pre-commit and pre-merge-commit (a merge without
conflicts runs pre-merge-commit instead of pre-commit), and with --pre-push a pre-push hook that
scans every commit being pushed, including rebased and cherry-picked ones.

Where the hooks go:
- husky (core.hooksPath is .husky/_): \`sentra guard\` is added to .husky/pre-commit (and the others);
  commit those files, and have sentra in devDependencies so husky finds it on its PATH.
- core.hooksPath set otherwise: hook files are written there.
- otherwise: .git/hooks/ (shared by every worktree).

A hook file names the absolute paths of node and sentra (no npx: ~0.5 s saved on every commit),
falling back to \`sentra\` on PATH, so it works in repositories that are not Node projects. A hook
that is already there and was not written by sentra is moved aside (<hook>.pre-sentra) and run
first; with --no-chain install refuses instead. Running install again updates sentra's hooks.
\`sentra hook uninstall\` reverses it. \`git commit --no-verify\` skips the hooks.`

  static override examples = [
    { command: '<%= config.bin %> hook install', description: 'Guard every commit and merge.' },
    { command: '<%= config.bin %> hook install --pre-push', description: 'Also scan every push.' },
    { command: '<%= config.bin %> hook install --no-chain', description: 'Refuse rather than chain when a hook is already in place.' },
  ]

  static override flags = {
    'pre-push': Flags.boolean({ description: 'Also install the pre-push hook (scans the commits being pushed).' }),
    chain: Flags.boolean({ description: 'Keep a hook that is already in place by running it before sentra (default); --no-chain refuses instead.', allowNo: true, default: true }),
    json: Flags.boolean({ description: 'Print what was done as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(HookInstall)
    let root: string
    try {
      root = repoLayout(process.cwd()).root
    } catch (error) {
      if (error instanceof NotARepositoryError) throw new UserError(`${error.message}: run this inside the repository to protect`)
      throw error
    }
    try {
      const result = installHooks(root, { prePush: flags['pre-push'], onExisting: flags.chain ? 'chain' : 'refuse' })
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : describeHookResult(result))
    } catch (error) {
      if (error instanceof HookConflictError) throw new UserError(error.message)
      throw error
    }
  }
}
