import { Args, Flags } from '@oclif/core'
import { createInterface } from 'node:readline/promises'
import { existsSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { VaultContext } from '../../vault/context.js'
import { ownerOfSigningKey, policyForPath } from '../../vault/manifest/state.js'
import type { ValuesFormat } from '../../vault/values/metadata.js'
import { encryptValuesFile, formatForPath } from '../../vault/values/ops.js'
import { readText, rememberDecrypted, repoFile, writeInPlace } from '../../vault/values/repo-file.js'
import { importSops } from '../../vault/values/sops.js'

export default class ImportSops extends SentraCommand {
  static override summary = 'Convert a sops-encrypted YAML, JSON or dotenv file (age recipients) into a signed sentra file.'
  static override description = `Decrypts the sops file with your age key (you must be one of its age recipients), checks the sops MAC
over every value and refuses the file if it does not match (sops itself can be told to skip it; sentra
cannot), and writes a sentra per-value file, in place or to -o OUT, encrypted for the recipients the
team manifest gives that path and signed by you. Keys sops left in clear (unencrypted_suffix and
friends) become plain keys, unless the vault policy of the path says otherwise (the policy wins).

sops cannot say who wrote a file: anyone who knows its public recipients can write one whose MAC
verifies. Importing it means you vouch for its content with your signature, so the command asks you
to confirm after checking the content (--trust-source when not interactive), and says whose
signature the new file carries.`

  static override examples = [
    { command: '<%= config.bin %> import sops secrets.enc.yaml -o config/secrets.yaml', description: 'Convert to a new path.' },
    { command: '<%= config.bin %> import sops .env.production --trust-source', description: 'In place, in a script.' },
  ]

  static override args = {
    file: Args.string({ description: 'The sops-encrypted file.', required: true }),
  }

  static override flags = {
    output: Flags.string({ char: 'o', description: 'Write the sentra file here (default: replace FILE).' }),
    format: Flags.string({ description: 'Format of the sops file (default: from its extension: .yaml/.yml, .json, .env).', options: ['dotenv', 'json', 'yaml'] }),
    'trust-source': Flags.boolean({ description: 'Vouch for the content without a prompt (sops files carry no author).' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImportSops)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    // The sops file may come from anywhere; the sentra file goes into this repository.
    const sourceFile = resolve(ctx.cwd, args.file)
    if (!existsSync(sourceFile)) throw new UserError(`${args.file} does not exist`)
    const target = repoFile(repoRoot, ctx.cwd, flags.output ?? args.file, { mustExist: false })
    const source = { file: sourceFile, path: flags.output ? args.file : target.path }
    const format = (flags.format ?? formatFromExtension(source.path)) as ValuesFormat | undefined
    if (!format) throw new UserError(`cannot tell the format of ${source.path} from its name: pass --format dotenv|json|yaml`)
    const { state } = ctx.team('read')
    const targetFormat = formatForPath(state, target.path, format)
    if (targetFormat !== format) throw new UserError(`${target.path} is a ${targetFormat} path, but ${source.path} is ${format}`)
    const key = await ctx.key()
    const imported = await importSops(readText(source.file, args.file), format, key)
    const signer = ownerOfSigningKey(state, key.signingKey)?.member.name ?? key.signingKey
    const policy = policyForPath(state, target.path)
    if (policy && JSON.stringify([...policy.plainKeys].sort()) !== JSON.stringify(imported.plainKeys)) {
      ctx.warn(`the sops file left [${imported.plainKeys.join(', ')}] in clear; the team policy for ${target.path} says [${policy.plainKeys.join(', ')}]: the policy applies`)
    }
    process.stderr.write(`sentra: ${source.path}: sops MAC verified, ${imported.encrypted} encrypted value(s). sops files carry no author: anyone with the public recipients can write one.\n`)
    if (!flags['trust-source']) {
      if (!process.stdin.isTTY) throw new UserError('a sops file carries no author: check its content (sops -d), then re-run with --trust-source to sign it as yours')
      const rl = createInterface({ input: process.stdin, output: process.stderr })
      const answer = await rl.question(`Sign its content as ${signer}, vouching that it is genuine? [y/N] `)
      rl.close()
      if (!/^y(es)?$/i.test(answer.trim())) throw new UserError('import cancelled: nothing was written')
    }
    const result = await encryptValuesFile({ state, key, path: target.path, text: imported.body, format, plain: imported.plainKeys, warn: ctx.warn })
    writeInPlace(target.file, result.text)
    rememberDecrypted(repoRoot, target.path, format, result.values, ctx.warn)
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ source: source.path, file: target.path, format, encryptedValues: result.encryptedValues, plainKeys: policy ? policy.plainKeys : imported.plainKeys, signer, recipients: result.recipients }, null, 2)}\n`)
      return
    }
    process.stdout.write(`Imported ${source.path} (sops) -> ${target.path}: ${result.encryptedValues} encrypted value(s), signed by ${signer}, for ${result.recipients.length} recipient(s)\n`)
  }
}

function formatFromExtension(path: string): ValuesFormat | undefined {
  const extension = extname(path)
  if (extension === '.yaml' || extension === '.yml') return 'yaml'
  if (extension === '.json') return 'json'
  if (extension === '.env' || /(^|\/)\.env(\.|$)/.test(path)) return 'dotenv'
  return undefined
}
