import { Args, Flags } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { gitSync } from '../git/exec.js'
import { VaultContext } from '../vault/context.js'
import { recipientName, type TeamState } from '../vault/manifest/state.js'
import { encryptValuesFile, formatForPath } from '../vault/values/ops.js'
import { committedText, hasSentraAttributes, readText, rememberDecrypted, repoFile, writeInPlace } from '../vault/values/repo-file.js'
import { AGE_SUFFIX, SIGNATURE_SUFFIX, encryptWholeFile } from '../vault/whole-file.js'

export default class Encrypt extends SentraCommand {
  static override summary = 'Encrypt a file for the team members allowed to read its path, and sign it.'
  static override description = `Per-value files (dotenv, JSON, YAML) are encrypted in place: the file keeps its shape, key names and
comments; each value becomes ENC[sentra:v1,…] and signed metadata is added at the end. Commit the
file itself. Run it again after adding or changing values in clear in an encrypted file: new values
are encrypted, unchanged ones keep their exact bytes, and the file is signed again. If the manifest
no longer lets someone read the file, it gets a fresh data key (rotation).

Other files (and --format binary) get the whole-file format: FILE.age, a standard armored age file
(\`age -d -i KEY FILE.age\` reads it), and FILE.age.sig, your signature over the ciphertext, the
file's repository path and the recipient list. Commit those two and keep FILE out of git.

The format comes from the team's vault policy (sentra team manage), else from the name: .env and
.env.* are dotenv, *.json JSON, *.yaml/*.yml YAML, anything else whole-file.

Recipients come from the signed team manifest: every device of every member whose scope covers the
path (plus the team's recovery recipient). For a whole file outside the managed paths, --recipient adds
one-off recipients outside the team (recorded in the signature).`

  static override examples = [
    { command: '<%= config.bin %> encrypt .env.production', description: 'Encrypt the values of a dotenv file in place, and sign it.' },
    { command: '<%= config.bin %> encrypt config/secrets.yaml --json', description: 'The same for YAML; the result as JSON.' },
    { command: '<%= config.bin %> encrypt certs/prod.p12', description: 'Write certs/prod.p12.age and its signature.' },
    { command: '<%= config.bin %> encrypt notes/handover.pdf --recipient age1…', description: 'Also share an unmanaged whole file with someone outside the team.' },
  ]

  static override args = {
    file: Args.string({ description: 'The file to encrypt.', required: true, ignoreStdin: true }),
  }

  static override flags = {
    format: Flags.string({ description: 'Format, for a path the vault policy does not cover (default: from the file name).', options: ['dotenv', 'json', 'yaml', 'binary'] }),
    recipient: Flags.string({ char: 'r', description: 'One-off extra recipient (age1…), for whole files outside the managed paths only.', multiple: true }),
    'allow-unsigned': Flags.boolean({ description: 'Sign an encrypted file even though no team member vouches for its current data key (after checking its content).' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Encrypt)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const { file, path } = repoFile(repoRoot, ctx.cwd, args.file)
    if (path.endsWith(AGE_SUFFIX) || path.endsWith(SIGNATURE_SUFFIX)) throw new UserError(`${args.file} is already an encrypted file or a signature`)
    const { state } = ctx.team('read')
    const format = formatForPath(state, path, flags.format)
    if (format === 'binary') return this.wholeFile(ctx, state, file, path, flags.recipient ?? [], flags.json)
    if ((flags.recipient ?? []).length > 0) throw new UserError('--recipient is for whole files (--format binary): a per-value file always goes to the recipients the team gives its path')
    const key = await ctx.key()
    const result = await encryptValuesFile({
      state,
      key,
      path,
      text: readText(file, args.file),
      format,
      committed: committedText(repoRoot, path),
      allowUnsigned: flags['allow-unsigned'],
      warn: ctx.warn,
    })
    if (result.changed) writeInPlace(file, result.text)
    rememberDecrypted(repoRoot, path, format, result.values, ctx.warn)
    if (!hasSentraAttributes(repoRoot, path)) {
      ctx.warn(`${path} lacks the git attributes "-text diff=sentra merge=sentra": run \`sentra init\` (it adds them for managed paths) or add "/${path} -text diff=sentra merge=sentra" to .gitattributes, so that git never converts line endings and merges it with sentra's driver`)
    }
    const names = recipientNames(state, result.recipients)
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ file: path, format, created: result.created, changed: result.changed, rotated: result.rotated, encryptedValues: result.encryptedValues, recipients: result.recipients }, null, 2)}\n`)
      return
    }
    const what = result.created ? 'Encrypted' : result.changed ? (result.rotated ? 'Rotated and re-signed' : 'Updated and re-signed') : 'Already encrypted and signed, unchanged:'
    process.stdout.write(`${what} ${path} (${format}, in place): ${result.encryptedValues} encrypted value(s) for ${result.recipients.length} recipient(s): ${names.join(', ')}\n`)
  }

  private async wholeFile(ctx: VaultContext, state: TeamState, file: string, rel: string, oneOff: string[], json: boolean): Promise<void> {
    const key = await ctx.key()
    const repoRoot = ctx.repoRoot()
    const result = await encryptWholeFile({ state, key, agePath: rel + AGE_SUFFIX, ageFile: file + AGE_SUFFIX, plaintext: new Uint8Array(readFileSync(file)), oneOff })
    if (!isIgnored(repoRoot, rel)) ctx.warn(`${rel} is not ignored by git: add it to .gitignore so that the plaintext is never committed`)
    if (json) {
      process.stdout.write(`${JSON.stringify({ file: rel, encrypted: rel + AGE_SUFFIX, signature: rel + AGE_SUFFIX + SIGNATURE_SUFFIX, recipients: result.recipients, oneOff: result.oneOff, managed: result.managed }, null, 2)}\n`)
      return
    }
    process.stdout.write(`Encrypted ${rel} -> ${rel}${AGE_SUFFIX} (signature ${rel}${AGE_SUFFIX}${SIGNATURE_SUFFIX}) for ${result.recipients.length} recipient(s): ${recipientNames(state, result.recipients).join(', ')}\n`)
  }
}

function recipientNames(state: TeamState, recipients: string[]): string[] {
  const names = recipients.map((recipient) => {
    const name = recipientName(state, recipient)
    return name === recipient ? `one-off ${recipient}` : name
  })
  return [...new Set(names)]
}

function isIgnored(repoRoot: string, rel: string): boolean {
  try {
    gitSync(['check-ignore', '-q', '--', rel], repoRoot)
    return true
  } catch {
    return false
  }
}
