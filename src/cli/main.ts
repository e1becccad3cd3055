import { execute } from '@oclif/core'
import { handleFatal } from './errors.js'

/** Runs the CLI; every failure that escapes a command becomes one clear line and exit 2. */
export async function run(argv: string[], entryUrl: string): Promise<void> {
  try {
    await execute({ args: argv, dir: entryUrl })
  } catch (error) {
    handleFatal(error, argv.includes('--debug'))
  }
}
