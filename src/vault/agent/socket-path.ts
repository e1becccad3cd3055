import { lstatSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { VaultError } from '../errors.js'

/** Overrides the agent socket (also removed from `sentra run` children, like the identity variables). */
export const AGENT_SOCKET_ENV = 'SENTRA_AGENT_SOCK'

/**
 * The agent's socket: $SENTRA_AGENT_SOCK, else $XDG_RUNTIME_DIR/sentra/agent.sock (a per-user tmpfs
 * the system removes at logout), else a private directory under the temp dir.
 */
export function agentSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env[AGENT_SOCKET_ENV]) return env[AGENT_SOCKET_ENV]!
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0
  const base = env.XDG_RUNTIME_DIR && env.XDG_RUNTIME_DIR !== '' ? join(env.XDG_RUNTIME_DIR, 'sentra') : join(tmpdir(), `sentra-${uid}`)
  return join(base, 'agent.sock')
}

/** Creates the socket's directory 0700 and refuses one that others own or can write. */
export function preparePrivateDir(socketPath: string): void {
  const dir = dirname(socketPath)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const stat = lstatSync(dir)
  const uid = typeof process.getuid === 'function' ? process.getuid() : stat.uid
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new VaultError(`${dir} must be a directory owned by you with mode 0700 before the agent can use it`, 'agent-dir')
  }
}
