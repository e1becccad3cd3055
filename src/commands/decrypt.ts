import { Args, Flags } from '@oclif/core'
import { existsSync, realpathSync } from 'node:fs'
import { dirname, join, relative, resolve, basename } from 'node:path'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { VaultContext } from '../vault/context.js'
import { ManifestError } from '../vault/errors.js'
import type { TeamState } from '../vault/manifest/state.js'
import { normalizeRepoPath } from '../vault/encoding.js'
import { AGE_SUFFIX, decryptWholeFile, writePlaintext } from '../vault/whole-file.js'

export default class Decrypt extends SentraCommand {
  static override summary = 'Verify and decrypt an encrypted file to standard output or -o FILE.'
  static override description = `Checks FILE.age.sig first: made by a current team member allowed to write that path, for this very
path, over these exact bytes. Content nobody in the team vouches for is refused unless --allow-unsigned
is given, which also reads plain age files made with \`age -e -r\` (even in a repository without a
team). Recipient drift (a member missing, a removed key still present) is reported as a warning.

The plaintext goes to standard output, or with -o to a file written atomically with mode 0600; a failed
decrypt leaves no partial output.`

  static override examples = [
    { command: '<%= config.bin %> decrypt certs/prod.p12.age -o certs/prod.p12', description: 'Restore the plaintext file.' },
    { command: '<%= config.bin %> decrypt shared.txt.age --allow-unsigned', description: 'Read a plain age file someone sent you.' },
  ]

  static override args = {
    file: Args.string({ description: 'The encrypted file (FILE.age).', required: true }),
  }

  static override flags = {
    output: Flags.string({ char: 'o', description: 'Write the plaintext to this file (mode 0600, atomically) instead of standard output.' }),
    'allow-unsigned': Flags.boolean({ description: 'Decrypt even without a valid signature by a team member (plain age files too). Warns.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Decrypt)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const given = resolve(ctx.cwd, args.file)
    // git reports the work tree by its real path; resolve symlinked directories (e.g. /tmp) the same way.
    const file = existsSync(dirname(given)) ? join(realpathSync(dirname(given)), basename(given)) : given
    const rel = normalizeRepoPath(relative(repoRoot, file))
    if (rel.startsWith('../')) throw new UserError(`${args.file} is outside this repository`)
    if (!rel.endsWith(AGE_SUFFIX)) throw new UserError(`${args.file} is not an encrypted file (FILE${AGE_SUFFIX})`)
    let state: TeamState | undefined
    try {
      state = ctx.team('read').state
    } catch (error) {
      // A plain age file in a repository without a team can still be read, explicitly.
      if (!(flags['allow-unsigned'] && error instanceof ManifestError && error.reason === 'missing')) throw error
    }
    const key = await ctx.key()
    const { plaintext, signer } = await decryptWholeFile({ state, key, agePath: rel, ageFile: file, allowUnsigned: flags['allow-unsigned'], warn: ctx.warn })
    if (flags.output) {
      writePlaintext(resolve(ctx.cwd, flags.output), plaintext)
      process.stderr.write(`sentra: decrypted ${rel} -> ${flags.output}${signer ? ` (signed by ${signer})` : ''}\n`)
    } else {
      await new Promise<void>((done, fail) => process.stdout.write(plaintext, (error) => (error ? fail(error) : done())))
    }
  }
}
