import { Command, Flags } from '@oclif/core'
import { EXIT_ERROR, UserError } from './errors.js'

/**
 * Base of every sentra command: a --debug flag, and errors reported as one line with exit 2 (or the
 * code a UserError carries) instead of oclif's stack traces.
 */
export abstract class SentraCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ description: 'Show stack traces and internal details on errors.', helpGroup: 'GLOBAL' }),
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number }; code?: string }): Promise<void> {
    if (error.code === 'EEXIT') throw error
    const debug = this.argv.includes('--debug')
    // oclif's own parse errors (unknown flag, missing argument) are usage errors: exit 2.
    const message = error.message.replace(/^Error:\s*/, '').split('\n').filter((line) => line.trim() !== '')
    const first = message[0] ?? 'unknown error'
    const rest = error instanceof UserError ? [] : message.slice(1, 4)
    process.stderr.write(`sentra: error: ${first}\n${rest.map((line) => `  ${line.trim()}\n`).join('')}`)
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`)
    const code = error instanceof UserError ? error.exitCode : EXIT_ERROR
    process.exitCode = code
    this.exit(code)
  }
}
