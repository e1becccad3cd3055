import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A private (0700) directory for decrypted values that must exist as files for a while (`edit`,
 * `run --as-file`): on a memory file system, so nothing reaches a disk, when one exists:
 * $XDG_RUNTIME_DIR (a per-user tmpfs removed at logout), else /dev/shm. Elsewhere (macOS) the temp
 * dir is used and `onDisk` says so, for a warning.
 */
export interface PrivateDir {
  path: string
  onDisk: boolean
  remove(): void
}

function usable(dir: string | undefined): dir is string {
  if (!dir) return false
  try {
    return existsSync(dir) && statSync(dir).isDirectory()
  } catch {
    return false
  }
}

export function privateDir(env: NodeJS.ProcessEnv = process.env, prefix = 'sentra-'): PrivateDir {
  const memory = [env.XDG_RUNTIME_DIR, '/dev/shm'].find(usable)
  const base = memory ?? tmpdir()
  // mkdtemp creates the directory 0700.
  const path = mkdtempSync(join(base, prefix))
  let removed = false
  return {
    path,
    onDisk: memory === undefined,
    remove() {
      if (removed) return
      removed = true
      rmSync(path, { recursive: true, force: true })
    },
  }
}

/**
 * Runs `work` with cleanup on every way out: normal return, an exception, and the signals that end a
 * process (SIGINT, SIGTERM, SIGHUP), after which the process exits with the conventional code. While
 * `busy()` is true (an editor owns the terminal) Ctrl-C is left to it.
 */
export async function withCleanup<T>(cleanup: () => void, work: () => Promise<T>, busy: () => boolean = () => false): Promise<T> {
  const codes: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGINT' && busy()) return
    cleanup()
    process.exit(128 + codes[signal]!)
  }
  const signals = Object.keys(codes) as NodeJS.Signals[]
  for (const signal of signals) process.on(signal, onSignal)
  const exit = () => cleanup()
  process.on('exit', exit)
  try {
    return await work()
  } finally {
    cleanup()
    for (const signal of signals) process.off(signal, onSignal)
    process.off('exit', exit)
  }
}
