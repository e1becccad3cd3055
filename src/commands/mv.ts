import { Args, Flags } from '@oclif/core'
import { existsSync, renameSync } from 'node:fs'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { gitSync } from '../git/exec.js'
import { VaultContext } from '../vault/context.js'
import { recipientsForPath } from '../vault/manifest/state.js'
import { checkValuesFile, encryptValuesFile, formatForPath, isValuesFormat, plainKeysFor } from '../vault/values/ops.js'
import { readText, rememberDecrypted, repoFile, writeInPlace } from '../vault/values/repo-file.js'
import { readValuesFile, resignValuesFile } from '../vault/values/values-file.js'

export default class Mv extends SentraCommand {
  static override summary = 'Move or rename an encrypted per-value file, signing it again for its new path.'
  static override description = `A per-value file's signature binds its path, so a file copied or renamed by hand is refused. mv
checks the file at its old path (signed by a team member allowed to write it), moves it (with
\`git mv\` when git tracks it) and signs it for the new path. When the new path has other readers, the
file is re-wrapped for them; if someone who could read it at the old path cannot at the new one, it
gets a fresh data key. Neither needs a decrypt unless the readers change.`

  static override examples = [{ command: '<%= config.bin %> mv .env.staging .env.preview', description: 'Rename a file and re-sign it.' }]

  static override args = {
    from: Args.string({ description: 'The encrypted file.', required: true, ignoreStdin: true }),
    to: Args.string({ description: 'Its new path.', required: true, ignoreStdin: true }),
  }

  static override flags = {
    force: Flags.boolean({ description: 'Replace an existing file at the new path.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Mv)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const from = repoFile(repoRoot, ctx.cwd, args.from)
    const to = repoFile(repoRoot, ctx.cwd, args.to, { mustExist: false })
    if (from.path === to.path) throw new UserError('the old and new paths are the same')
    if (existsSync(to.file) && !flags.force) throw new UserError(`${to.path} exists: pass --force to replace it`)
    const { state } = ctx.team('read')
    const format = formatForPath(state, from.path)
    const target = formatForPath(state, to.path)
    if (!isValuesFormat(format)) throw new UserError(`${from.path} is not a per-value file: move FILE.age and FILE.age.sig with git mv and re-encrypt`)
    if (target !== format) throw new UserError(`${to.path} would be a ${target} file (from the team policy or its name), but ${from.path} is ${format}`)
    const text = readText(from.file, args.from)
    const check = checkValuesFile(state, from.path, text, format)
    if (!check.ok || !check.file?.meta) throw new UserError(`refusing to move ${from.path}: ${check.problems[0] ?? 'it is not encrypted'}`)
    const key = await ctx.key()
    let moved = await resignValuesFile(readValuesFile(text, format), { path: to.path, signer: key })
    // Other readers or plain keys at the new path: re-wrap (or rotate) as encrypt does.
    const readers = recipientsForPath(state, to.path).all
    const sameReaders = JSON.stringify(readers) === JSON.stringify(check.file.meta.recipients.map((entry) => entry.recipient))
    const samePlain = JSON.stringify(plainKeysFor(state, to.path, check.file.meta.plain)) === JSON.stringify(check.file.meta.plain)
    if (!sameReaders || !samePlain) {
      const result = await encryptValuesFile({ state, key, path: to.path, text: moved, format, warn: ctx.warn })
      moved = result.text
      rememberDecrypted(repoRoot, to.path, format, result.values, ctx.warn)
    }
    const tracked = isTracked(repoRoot, from.path)
    if (tracked) gitSync(['mv', ...(flags.force ? ['-f'] : []), '--', from.path, to.path], repoRoot)
    else renameSync(from.file, to.file)
    writeInPlace(to.file, moved)
    // git mv staged the move; stage the re-signed content with it.
    if (tracked) gitSync(['add', '--', to.path], repoRoot)
    process.stdout.write(`Moved ${from.path} -> ${to.path} and signed it for its new path${sameReaders ? '' : ' (readers changed: re-wrapped)'}\n`)
  }
}

function isTracked(repoRoot: string, path: string): boolean {
  try {
    gitSync(['ls-files', '--error-unmatch', '--', path], repoRoot)
    return true
  } catch {
    return false
  }
}
