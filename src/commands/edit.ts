import { Args, Flags } from '@oclif/core'
import { readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { VaultContext } from '../vault/context.js'
import { VaultError } from '../vault/errors.js'
import { editorRunning, runEditor } from '../vault/values/editor.js'
import { reencryptEdited } from '../vault/values/ops.js'
import { privateDir, withCleanup } from '../vault/values/private-dir.js'
import { rememberDecrypted, writeInPlace } from '../vault/values/repo-file.js'
import { openSession } from '../vault/values/session.js'
import { plaintextBody } from '../vault/values/values-file.js'

export default class Edit extends SentraCommand {
  static override summary = 'Edit an encrypted per-value file in your editor, in clear, and write it back encrypted and signed.'
  static override description = `Decrypts the file into a private directory (mode 0700, the file 0600) on a memory file system
($XDG_RUNTIME_DIR, else /dev/shm; elsewhere the temp dir, with a warning), opens $VISUAL or $EDITOR
(vi by default) on it with backup, swap and undo files turned off for vim, neovim, emacs and nano,
then re-encrypts only what changed (every unchanged value keeps its exact ciphertext), signs the file
and writes it back atomically. The decrypted copy is removed on every way out: saving, an editor
error, a parse error, Ctrl-C or a kill.

Residual risk: while the editor runs, the plaintext exists in that file and in the editor's memory;
editors not listed above, plugins, or a crash reporter may copy it elsewhere. A kill -9 of sentra
leaves the directory until logout or reboot (the memory file system is per user, mode 0700).`

  static override examples = [
    { command: '<%= config.bin %> edit .env.production', description: 'Edit in $EDITOR.' },
    { command: 'EDITOR="code --wait" <%= config.bin %> edit config/secrets.yaml', description: 'With an editor that needs a flag to wait.' },
  ]

  static override args = {
    file: Args.string({ description: 'The encrypted per-value file.', required: true, ignoreStdin: true }),
  }

  static override flags = {
    format: Flags.string({ description: 'Format of a file the vault policy does not cover (default: from the name).', options: ['dotenv', 'json', 'yaml'] }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Edit)
    const ctx = new VaultContext()
    const session = await openSession(ctx, args.file, { format: flags.format })
    const dir = privateDir(ctx.env, 'sentra-edit-')
    if (dir.onDisk) ctx.warn(`no memory file system ($XDG_RUNTIME_DIR or /dev/shm): the decrypted copy is written under ${dir.path}`)
    const result = await withCleanup(
      () => dir.remove(),
      async () => {
        const temp = join(dir.path, basename(session.path))
        const original = plaintextBody(session.opened.file, session.opened.values)
        writeFileSync(temp, original, { mode: 0o600 })
        for (;;) {
          const status = await runEditor(temp, ctx.env)
          if (status !== 0) throw new UserError(`the editor exited with status ${status}: ${session.path} was left unchanged`)
          const edited = readFileSync(temp, 'utf8')
          if (edited === original) return undefined
          try {
            return await reencryptEdited({ state: session.state, key: session.key, path: session.path, opened: session.opened, plaintextBody: edited })
          } catch (error) {
            if (!(error instanceof VaultError) || !process.stdin.isTTY) throw error
            // A typo in the file: say what, and reopen the same text rather than lose the edit.
            process.stderr.write(`sentra: ${error.message}\nPress Enter to fix it in the editor (Ctrl-C discards the changes). `)
            await waitForEnter()
          }
        }
      },
      editorRunning,
    )
    if (!result) {
      process.stderr.write(`sentra: no changes: ${session.path} is unchanged\n`)
      return
    }
    writeInPlace(session.file, result.text)
    rememberDecrypted(session.repoRoot, session.path, session.format, result.values, ctx.warn)
    process.stderr.write(`sentra: ${session.path} re-encrypted and signed\n`)
  }
}

function waitForEnter(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.resume()
    process.stdin.once('data', () => {
      process.stdin.pause()
      resolve()
    })
  })
}
