import { spawn } from 'node:child_process'
import { basename } from 'node:path'

/**
 * The user's editor on a decrypted file, with backups, swap and undo files turned off for the
 * editors where a flag does it (vim/nvim/vi, emacs, nano, micro); others are run as they are (see
 * the README's residual risks).
 */
export function editorCommand(env: NodeJS.ProcessEnv): string {
  return env.VISUAL || env.EDITOR || 'vi'
}

export function privacyFlags(editor: string): string[] {
  const program = basename(editor.trim().split(/\s+/)[0] ?? '')
  if (/^(n?vim?|vi|gvim|mvim)$/.test(program)) return ['-n', '-i', 'NONE', '--cmd', 'set nobackup nowritebackup noswapfile noundofile viminfo= shada=']
  if (program === 'emacs') return ['--eval', '(setq make-backup-files nil auto-save-default nil create-lockfiles nil)']
  // nano writes backups only when its rc file asks for them.
  if (program === 'nano') return ['--ignorercfiles']
  return []
}

let editing = false

/** True while an editor owns the terminal (Ctrl-C is then the editor's). */
export function editorRunning(): boolean {
  return editing
}

/** Runs the editor on `file` with the terminal; resolves with its exit status. */
export function runEditor(file: string, env: NodeJS.ProcessEnv): Promise<number> {
  const editor = editorCommand(env)
  const flags = privacyFlags(editor)
  return new Promise((resolve, reject) => {
    // Through the shell, as git runs $EDITOR: it may hold arguments (`code --wait`).
    const child = spawn('/bin/sh', ['-c', `${editor} "$@"`, editor, ...flags, file], { stdio: 'inherit', env })
    editing = true
    child.on('error', (error) => {
      editing = false
      reject(error)
    })
    child.on('close', (code, signal) => {
      editing = false
      resolve(code ?? (signal ? 128 : 1))
    })
  })
}
