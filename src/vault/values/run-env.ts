import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { VaultError } from '../errors.js'
import { AGENT_SOCKET_ENV } from '../agent/socket-path.js'
import { IDENTITY_ENV, IDENTITY_FILE_ENV } from '../keystore/env.js'
import { programValue } from './body.js'
import type { ValuesFormat } from './metadata.js'
import type { DecryptedValue } from './values-file.js'

/**
 * `sentra run`: decrypted values handed to a child process as environment variables (or as 0600
 * files on a memory file system), nothing written anywhere else, sentra's own key variables removed,
 * the child's exit code and signals passed through.
 */
export const SENTRA_PRIVATE_ENV = [IDENTITY_ENV, IDENTITY_FILE_ENV, AGENT_SOCKET_ENV]

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The variables a file gives: every dotenv key; the top-level scalar keys of JSON/YAML (nested ones are listed in `skipped`). */
export function variablesOf(format: ValuesFormat, values: readonly DecryptedValue[]): { variables: Map<string, string>; skipped: string[] } {
  const variables = new Map<string, string>()
  const skipped: string[] = []
  for (const value of values) {
    const first = value.path[0]
    const name = first && 'key' in first ? first.key : undefined
    if (value.path.length !== 1 || name === undefined || !ENV_NAME.test(name)) {
      skipped.push(value.path.map((segment) => ('key' in segment ? segment.key : String(segment.index))).join('.'))
      continue
    }
    variables.set(name, value.type === 'null' ? '' : programValue(format, value.plaintext))
  }
  return { variables, skipped }
}

/** Parses `--as-file VAR=KEY`. */
export function parseAsFile(spec: string): { variable: string; key: string } {
  const at = spec.indexOf('=')
  const variable = spec.slice(0, at)
  const key = spec.slice(at + 1)
  if (at <= 0 || !ENV_NAME.test(variable) || key === '') throw new VaultError(`--as-file ${spec}: expected VAR=KEY (the variable that gets the file's path, and the key whose value goes in the file)`, 'usage')
  return { variable, key }
}

/**
 * The child's environment: the parent's without sentra's key variables, then the values, then the
 * as-file variables (each value written to a 0600 file in `dir`; that value is not also exported).
 */
export function childEnvironment(parent: NodeJS.ProcessEnv, variables: ReadonlyMap<string, string>, asFiles: ReadonlyArray<{ variable: string; key: string }>, dir: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent }
  for (const name of SENTRA_PRIVATE_ENV) delete env[name]
  const fileKeys = new Set(asFiles.map((entry) => entry.key))
  for (const [name, value] of variables) if (!fileKeys.has(name)) env[name] = value
  asFiles.forEach((entry, index) => {
    const value = variables.get(entry.key)
    if (value === undefined) throw new VaultError(`--as-file ${entry.variable}=${entry.key}: no value named ${entry.key} in the files given`, 'usage')
    if (!dir) throw new Error('no private directory for --as-file')
    const file = join(dir, `${index}-${entry.key}`)
    writeFileSync(file, value, { mode: 0o600 })
    env[entry.variable] = file
  })
  return env
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH']

/** Runs the command; resolves with its exit code or the signal that ended it. Signals sentra receives go to the child. */
export function runChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    // The handlers go in before the spawn: the command may start and print before spawn() returns here,
    // and a signal sent then would otherwise kill sentra and leave the command running. Signals that
    // arrive before the child exists are passed on as soon as it does.
    let child: ChildProcess | undefined
    const early: NodeJS.Signals[] = []
    const forward = (signal: NodeJS.Signals) => {
      if (!child) early.push(signal)
      else if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    }
    for (const signal of FORWARDED) process.on(signal, forward)
    const done = () => {
      for (const signal of FORWARDED) process.off(signal, forward)
    }
    try {
      child = spawn(command, args, { stdio: 'inherit', env })
    } catch (error) {
      done()
      reject(error)
      return
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      done()
      reject(error.code === 'ENOENT' ? new VaultError(`${command}: command not found`, 'usage', 127) : error)
    })
    child.on('exit', (code, signal) => {
      done()
      resolve({ code, signal })
    })
    for (const signal of early.splice(0)) forward(signal)
  })
}
