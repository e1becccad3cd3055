import { Args } from '@oclif/core'
import { existsSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { accessChangeJson, accessChangeText, accessFlags, runAccessChange } from '../cli/access-change.js'
import { VaultContext } from '../vault/context.js'
import { normalizeRepoPath } from '../vault/encoding.js'
import { AGE_SUFFIX } from '../vault/whole-file.js'

export default class Rotate extends SentraCommand {
  static override summary = 'Give encrypted files fresh data keys now (suspected compromise).'
  static override description = `Every encrypted file under PATHS (default: every encrypted file in the repository) gets a fresh
data key: per-value files have every value re-encrypted under it, whole files are re-encrypted; both
are wrapped to exactly the readers the team manifest gives today and signed by you. The values
themselves do not change: if a secret leaked, change it at its provider too, then \`sentra set\` it.

Any member may rotate the files they can read and write. All or nothing: if one file is out of your
reach, nothing changes and sentra names who can do it. The change is staged in git (--commit commits
it); an interrupted run is completed by running the same command again.`

  static override examples = [
    { command: '<%= config.bin %> rotate', description: 'Rotate every encrypted file.' },
    { command: '<%= config.bin %> rotate .env.production certs/', description: 'Rotate one file and everything under certs/.' },
    { command: '<%= config.bin %> rotate --commit --json', description: 'Rotate, commit, and print the result as JSON.' },
  ]

  static override strict = false
  static override args = {
    paths: Args.string({ description: 'Files or directories to rotate (default: every encrypted file).', ignoreStdin: true }),
  }

  static override flags = { ...accessFlags }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Rotate)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const paths = (argv as string[]).map((given) => {
      const path = normalizeRepoPath(relative(repoRoot, resolve(ctx.cwd, given)))
      if (path === '..' || path.startsWith('../')) throw new UserError(`${given} is outside this repository`)
      // `rotate certs/x.p12` means its encrypted form.
      if (!existsSync(join(repoRoot, path)) && existsSync(join(repoRoot, path + AGE_SUFFIX))) return path + AGE_SUFFIX
      if (!existsSync(join(repoRoot, path))) throw new UserError(`${given} does not exist`)
      return path === '' ? '.' : path
    })
    const key = await ctx.key()
    const command = `sentra rotate${paths.length > 0 ? ` ${paths.join(' ')}` : ''}`
    const commitMessage = `sentra: rotate the data keys of ${paths.length > 0 ? paths.join(', ') : 'every encrypted file'}`
    const result = await runAccessChange(ctx, key, { command, commitMessage, commit: flags.commit, forceRotate: 'all', ...(paths.length > 0 ? { paths } : {}) })
    if (!result.resumed && result.files.length === 0) throw new UserError(`no encrypted file ${paths.length > 0 ? `under ${paths.join(', ')}` : 'in this repository'}`)
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(accessChangeJson(result), null, 2)}\n`)
      return
    }
    process.stdout.write(accessChangeText(result, commitMessage))
    process.stdout.write('The values are unchanged: if a secret leaked, change it at its provider and `sentra set` the new one.\n')
  }
}
