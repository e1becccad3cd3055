import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

/**
 * A real, headless Secret Service for keyring tests: a private D-Bus session bus (dbus-launch) and
 * gnome-keyring-daemon with only its secrets component, unlocked with a non-empty password on stdin
 * (with an empty one no login keyring is created and every store fails with "no result found").
 * Its files live under `home`. stop() ends exactly the two processes started here.
 */
export interface SecretService {
  /** Environment for a process that should see this Secret Service. */
  env: NodeJS.ProcessEnv
  stop(): Promise<void>
}

const TEST_KEYRING_PASSWORD = 'sentra-test-keyring-password'

export function secretServiceAvailable(): boolean {
  return ['dbus-launch', 'gnome-keyring-daemon', 'secret-tool'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0)
}

export async function startSecretService(home: string): Promise<SecretService> {
  mkdirSync(join(home, '.local', 'share'), { recursive: true })
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_DATA_HOME: join(home, '.local', 'share') }
  delete baseEnv.DBUS_SESSION_BUS_ADDRESS
  const launched = spawnSync('dbus-launch', ['--sh-syntax'], { env: baseEnv, encoding: 'utf8' })
  const address = /DBUS_SESSION_BUS_ADDRESS='([^']+)'/.exec(launched.stdout ?? '')?.[1]
  const busPid = Number(/DBUS_SESSION_BUS_PID=(\d+)/.exec(launched.stdout ?? '')?.[1])
  if (launched.status !== 0 || !address || !Number.isInteger(busPid)) {
    throw new Error(`dbus-launch failed: ${launched.stderr || launched.stdout}`)
  }
  const env: NodeJS.ProcessEnv = { ...baseEnv, DBUS_SESSION_BUS_ADDRESS: address }
  const keyring: ChildProcess = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
    env,
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  keyring.stdin!.end(TEST_KEYRING_PASSWORD)
  const stop = async () => {
    if (keyring.exitCode === null && keyring.signalCode === null) {
      const exited = new Promise<void>((resolve) => keyring.once('exit', () => resolve()))
      keyring.kill('SIGTERM')
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))])
    }
    try {
      process.kill(busPid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  // Wait until our daemon owns the Secret Service name, asking the bus only (any call to the
  // service itself before that would make D-Bus auto-start a second, locked gnome-keyring).
  const deadline = Date.now() + 10_000
  for (;;) {
    const owner = spawnSync(
      'dbus-send',
      ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.GetConnectionUnixProcessID', 'string:org.freedesktop.secrets'],
      { env, encoding: 'utf8' },
    )
    if (owner.status === 0 && owner.stdout.includes(`uint32 ${keyring.pid}`)) break
    if (keyring.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`the test Secret Service did not come up (gnome-keyring-daemon ${keyring.exitCode === null ? 'still starting' : `exited ${keyring.exitCode}`})`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  // Then until the unlocked login collection takes a write.
  for (;;) {
    const stored = spawnSync('secret-tool', ['store', '--label=sentra-probe', 'sentra-probe', 'ready'], { env, input: 'probe', encoding: 'utf8' })
    if (stored.status === 0) {
      spawnSync('secret-tool', ['clear', 'sentra-probe', 'ready'], { env })
      return { env, stop }
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`the test Secret Service does not store secrets: ${stored.stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
