import { Args, Flags } from '@oclif/core'
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { gitSync } from '../git/exec.js'
import { VaultContext } from '../vault/context.js'
import { normalizeRepoPath } from '../vault/encoding.js'
import { ownerOfRecipient } from '../vault/manifest/state.js'
import { AGE_SUFFIX, SIGNATURE_SUFFIX, encryptWholeFile } from '../vault/whole-file.js'

export default class Encrypt extends SentraCommand {
  static override summary = 'Encrypt a file for the team members allowed to read its path, and sign it.'
  static override description = `Writes FILE.age, a standard armored age file (\`age -d -i KEY FILE.age\` reads it), and FILE.age.sig,
your signature over the ciphertext, the file's repository path and the recipient list.

Recipients come from the signed team manifest: every device of every member whose scope covers the
path (plus the team's recovery recipient). The newest manifest this clone has verified is used, so a
removal is applied even on an older checkout. For a path outside the managed paths, --recipient adds
one-off recipients outside the team (recorded in the signature); managed paths always go to exactly
the recipients the policy gives.

Commit FILE.age and FILE.age.sig; keep FILE itself out of git (.gitignore).`

  static override examples = [
    { command: '<%= config.bin %> encrypt certs/prod.p12', description: 'Write certs/prod.p12.age and its signature.' },
    { command: '<%= config.bin %> encrypt notes/handover.pdf --recipient age1…', description: 'Also share an unmanaged file with someone outside the team.' },
  ]

  static override args = {
    file: Args.string({ description: 'The plaintext file to encrypt.', required: true }),
  }

  static override flags = {
    recipient: Flags.string({ char: 'r', description: 'One-off extra recipient (age1…), for files outside the managed paths only.', multiple: true }),
    format: Flags.string({ description: 'Encryption format. Whole-file (binary) is the one available now.', options: ['binary'], default: 'binary' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Encrypt)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const given = resolve(ctx.cwd, args.file)
    if (!existsSync(given) || !statSync(given).isFile()) throw new UserError(`${args.file} is not a file`)
    // git reports the work tree by its real path; resolve symlinked directories (e.g. /tmp) the same way.
    const file = realpathSync(given)
    const rel = normalizeRepoPath(relative(repoRoot, file))
    if (rel.startsWith('../') || rel === '..') throw new UserError(`${args.file} is outside this repository`)
    if (rel.endsWith(AGE_SUFFIX) || rel.endsWith(SIGNATURE_SUFFIX)) throw new UserError(`${args.file} is already an encrypted file or a signature`)
    const { state } = ctx.team('read')
    const key = await ctx.key()
    const result = await encryptWholeFile({
      state,
      key,
      agePath: rel + AGE_SUFFIX,
      ageFile: file + AGE_SUFFIX,
      plaintext: new Uint8Array(readFileSync(file)),
      oneOff: flags.recipient ?? [],
    })
    if (!isIgnored(repoRoot, rel)) ctx.warn(`${rel} is not ignored by git: add it to .gitignore so that the plaintext is never committed`)
    const names = result.recipients.map((recipient) => {
      if (recipient === state.recovery) return 'recovery'
      return ownerOfRecipient(state, recipient)?.member.name ?? `one-off ${recipient}`
    })
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ file: rel, encrypted: rel + AGE_SUFFIX, signature: rel + AGE_SUFFIX + SIGNATURE_SUFFIX, recipients: result.recipients, oneOff: result.oneOff, managed: result.managed }, null, 2)}\n`)
      return
    }
    process.stdout.write(`Encrypted ${rel} -> ${rel}${AGE_SUFFIX} (signature ${rel}${AGE_SUFFIX}${SIGNATURE_SUFFIX}) for ${result.recipients.length} recipient(s): ${[...new Set(names)].join(', ')}\n`)
  }
}

function isIgnored(repoRoot: string, rel: string): boolean {
  try {
    gitSync(['check-ignore', '-q', '--', rel], repoRoot)
    return true
  } catch {
    return false
  }
}
