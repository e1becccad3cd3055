import { Args, Flags } from '@oclif/core'
import { existsSync, realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { VaultContext } from '../vault/context.js'
import { ManifestError } from '../vault/errors.js'
import type { TeamState } from '../vault/manifest/state.js'
import { formatForPath, openValuesFile } from '../vault/values/ops.js'
import { readText, rememberDecrypted, repoFile } from '../vault/values/repo-file.js'
import { plaintextBody } from '../vault/values/values-file.js'
import { AGE_SUFFIX, decryptWholeFile, writePlaintext } from '../vault/whole-file.js'

export default class Decrypt extends SentraCommand {
  static override summary = 'Verify and decrypt an encrypted file to standard output or -o FILE.'
  static override description = `Checks the signature first: made by a current team member allowed to write that path, for this very
path, over these exact bytes. Content nobody in the team vouches for is refused unless --allow-unsigned
is given (which, for FILE.age, also reads plain age files made with \`age -e -r\`, even in a
repository without a team). Recipient drift (a member missing, a removed key still present) is
reported as a warning.

A per-value file (dotenv, JSON, YAML, encrypted in place) is printed in clear without its metadata;
the data key wrapped for you is checked against the file's DEK commitment and every value is
authenticated. A whole file is given as FILE.age.

The plaintext goes to standard output, or with -o to a file written atomically with mode 0600; a failed
decrypt leaves no partial output. Keyed hashes of the decrypted values are remembered under .git/sentra
so that \`sentra guard\` blocks them if they are pasted into another file.`

  static override examples = [
    { command: '<%= config.bin %> decrypt .env.production', description: 'Print a per-value file in clear.' },
    { command: '<%= config.bin %> decrypt certs/prod.p12.age -o certs/prod.p12', description: 'Restore a whole file.' },
    { command: '<%= config.bin %> decrypt shared.txt.age --allow-unsigned', description: 'Read a plain age file someone sent you.' },
  ]

  static override args = {
    file: Args.string({ description: 'The encrypted file (a per-value file, or FILE.age).', required: true, ignoreStdin: true }),
  }

  static override flags = {
    output: Flags.string({ char: 'o', description: 'Write the plaintext to this file (mode 0600, atomically) instead of standard output.' }),
    format: Flags.string({ description: 'Format of a per-value file the vault policy does not cover (default: from the name).', options: ['dotenv', 'json', 'yaml'] }),
    'allow-unsigned': Flags.boolean({ description: 'Decrypt even without a valid signature by a team member (plain age files too). Warns.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Decrypt)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const { file, path } = repoFile(repoRoot, ctx.cwd, args.file, { mustExist: false })
    if (path.endsWith(AGE_SUFFIX)) return this.wholeFile(ctx, file, path, flags.output, flags['allow-unsigned'])
    const { state } = ctx.team('read')
    const format = formatForPath(state, path, flags.format)
    if (format === 'binary') throw new UserError(`${args.file} is not an encrypted file: a whole file is decrypted from FILE${AGE_SUFFIX}, a per-value file has a dotenv, JSON or YAML name (or give --format)`)
    if (!existsSync(file)) throw new UserError(`${args.file} does not exist`)
    const output = flags.output ? resolve(ctx.cwd, flags.output) : undefined
    if (output && existsSync(output) && realpathSync(output) === realpathSync(file)) {
      throw new UserError(`refusing to write plaintext over the encrypted file ${path}: use \`sentra edit ${path}\` to change it, or -o another file`)
    }
    const opened = await openValuesFile({ state, key: await ctx.key(), path, text: readText(file, args.file), format, allowUnsigned: flags['allow-unsigned'], warn: ctx.warn })
    const plaintext = Buffer.from(plaintextBody(opened.file, opened.values), 'utf8')
    rememberDecrypted(repoRoot, path, format, opened.values, ctx.warn)
    await emit(new Uint8Array(plaintext), output)
    if (output) process.stderr.write(`sentra: decrypted ${path} -> ${flags.output}${opened.signer ? ` (signed by ${opened.signer})` : ''}\n`)
  }

  private async wholeFile(ctx: VaultContext, file: string, rel: string, output: string | undefined, allowUnsigned: boolean): Promise<void> {
    let state: TeamState | undefined
    try {
      state = ctx.team('read').state
    } catch (error) {
      // A plain age file in a repository without a team can still be read, explicitly.
      if (!(allowUnsigned && error instanceof ManifestError && error.reason === 'missing')) throw error
    }
    const key = await ctx.key()
    const { plaintext, signer } = await decryptWholeFile({ state, key, agePath: rel, ageFile: file, allowUnsigned, warn: ctx.warn })
    await emit(plaintext, output ? resolve(ctx.cwd, output) : undefined)
    if (output) process.stderr.write(`sentra: decrypted ${rel} -> ${output}${signer ? ` (signed by ${signer})` : ''}\n`)
  }
}

async function emit(plaintext: Uint8Array, output: string | undefined): Promise<void> {
  if (output) {
    writePlaintext(output, plaintext)
    return
  }
  await new Promise<void>((done, fail) => process.stdout.write(plaintext, (error) => (error ? fail(error) : done())))
}
