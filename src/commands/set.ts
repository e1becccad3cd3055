import { Args, Flags } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { VaultContext } from '../vault/context.js'
import type { ValueType } from '../vault/values/aad.js'
import { describeSpec, parseKeySpec, setClearValue } from '../vault/values/key-path.js'
import { reencryptEdited } from '../vault/values/ops.js'
import { rememberDecrypted, writeInPlace } from '../vault/values/repo-file.js'
import { openSession } from '../vault/values/session.js'
import { plaintextBody } from '../vault/values/values-file.js'

export default class SetValue extends SentraCommand {
  static override summary = 'Set one value of a per-value file; the value is read from standard input, never from the command line.'
  static override description = `Reads the value from standard input (a terminal asks for it twice, without echo), so it never lands
in your shell history or in the process list. One trailing newline is removed (--keep-newline keeps
it). The file is re-encrypted: only this value gets new ciphertext, every other value keeps its exact
bytes, and the file is signed again by you.

KEY is a dotenv key, or a JSON/YAML path (db.password, hosts.0, or a JSON array for keys with dots).
A new key is added at the end of the file (top-level keys only; add nested ones with \`sentra edit\`).
For JSON/YAML, --type gives the value's type (default: the existing value's type, else str).`

  static override examples = [
    { command: '<%= config.bin %> set .env.production DB_PASSWORD', description: 'Type the value (twice, hidden).' },
    { command: 'pbpaste | <%= config.bin %> set .env.production API_KEY', description: 'From another program.' },
    { command: 'printf 5433 | <%= config.bin %> set config/db.yaml db.port --type int', description: 'A typed YAML value.' },
  ]

  static override args = {
    file: Args.string({ description: 'The encrypted per-value file.', required: true, ignoreStdin: true }),
    key: Args.string({ description: 'The key (dotenv) or key path (JSON/YAML).', required: true, ignoreStdin: true }),
  }

  static override flags = {
    type: Flags.string({ description: 'Type of a JSON/YAML value.', options: ['str', 'int', 'float', 'bool', 'null'] }),
    'keep-newline': Flags.boolean({ description: 'Keep a trailing newline of standard input as part of the value.' }),
    format: Flags.string({ description: 'Format of a file the vault policy does not cover (default: from the name).', options: ['dotenv', 'json', 'yaml'] }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SetValue)
    const ctx = new VaultContext()
    // The value first: a passphrase for the key store may come after it, from the terminal.
    const value = process.stdin.isTTY
      ? await ctx.passphrases.read(`Value for ${args.key}: `, { confirm: true })
      : readStdin(flags['keep-newline'])
    const session = await openSession(ctx, args.file, { format: flags.format })
    const spec = parseKeySpec(args.key, session.format)
    const clear = plaintextBody(session.opened.file, session.opened.values)
    const { body, added } = setClearValue(clear, session.format, spec, value, flags.type as ValueType | undefined)
    const { text, values } = await reencryptEdited({ state: session.state, key: session.key, path: session.path, opened: session.opened, plaintextBody: body })
    writeInPlace(session.file, text)
    rememberDecrypted(session.repoRoot, session.path, session.format, values, ctx.warn)
    if (flags.json) process.stdout.write(`${JSON.stringify({ file: session.path, key: describeSpec(spec), added }, null, 2)}\n`)
    else process.stdout.write(`${added ? 'Added' : 'Set'} ${describeSpec(spec)} in ${session.path} (re-encrypted and signed)\n`)
  }
}

function readStdin(keepNewline: boolean): string {
  let text: string
  try {
    text = readFileSync(0, 'utf8')
  } catch {
    throw new UserError('could not read the value from standard input')
  }
  return keepNewline ? text : text.replace(/\r?\n$/, '')
}
