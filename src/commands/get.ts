import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { VaultContext } from '../vault/context.js'
import { programValue } from '../vault/values/body.js'
import { describeSpec, findValue, parseKeySpec } from '../vault/values/key-path.js'
import { openSession } from '../vault/values/session.js'

export default class Get extends SentraCommand {
  static override summary = 'Print one decrypted value of a per-value file.'
  static override description = `Verifies the file (signed by a team member allowed to write it, for this path), unwraps your copy of
its data key, checks it against the file's DEK commitment, and prints the value of KEY as a program
would see it (a dotenv value with its quotes and escapes resolved), followed by a newline unless -n.

KEY is a dotenv key, or a JSON/YAML path of dot-separated keys and list indices (db.password,
hosts.0), or a JSON array for keys that hold dots (["a.b", 0]).`

  static override examples = [
    { command: '<%= config.bin %> get .env.production DB_PASSWORD', description: 'Print one value.' },
    { command: 'psql "$(<%= config.bin %> get config/db.yaml db.url)"', description: 'Use a value in a command.' },
  ]

  static override args = {
    file: Args.string({ description: 'The encrypted per-value file.', required: true, ignoreStdin: true }),
    key: Args.string({ description: 'The key (dotenv) or key path (JSON/YAML).', required: true, ignoreStdin: true }),
  }

  static override flags = {
    'no-newline': Flags.boolean({ char: 'n', description: 'Do not print a newline after the value.' }),
    format: Flags.string({ description: 'Format of a file the vault policy does not cover (default: from the name).', options: ['dotenv', 'json', 'yaml'] }),
    'allow-unsigned': Flags.boolean({ description: 'Read the file even without a valid signature by a team member. Warns.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Get)
    const session = await openSession(new VaultContext(), args.file, { format: flags.format, allowUnsigned: flags['allow-unsigned'] })
    const spec = parseKeySpec(args.key, session.format)
    const index = findValue(session.opened.file.body.values, spec)
    if (index === -1) throw new UserError(`${session.path} has no key ${describeSpec(spec)}`)
    const value = session.opened.values[index]!
    const text = programValue(session.format, value.plaintext) + (flags['no-newline'] ? '' : '\n')
    await new Promise<void>((done, fail) => process.stdout.write(text, (error) => (error ? fail(error) : done())))
  }
}
