/** Exit codes shared by every command: 0 success/clean, 1 findings or problems, 2 usage or runtime error. */
export const EXIT_OK = 0
export const EXIT_FINDINGS = 1
export const EXIT_ERROR = 2

/** An error whose message is meant for the user as it is (no stack trace). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_ERROR,
  ) {
    super(message)
    this.name = 'UserError'
  }
}

interface ExitLike {
  oclif?: { exit?: number }
  code?: string
  message?: string
  stack?: string
}

/** Prints one line for an error and exits with its code (2 unless the error says otherwise). */
export function handleFatal(error: unknown, debug: boolean): never {
  const err = (error ?? {}) as ExitLike
  // oclif signals a deliberate exit (this.exit(n)) with an ExitError carrying the code.
  if (err.code === 'EEXIT' && typeof err.oclif?.exit === 'number') process.exit(err.oclif.exit)
  const message = (err.message ?? String(error)).split('\n')[0]!.replace(/^Error:\s*/, '')
  process.stderr.write(`sentra: error: ${message}\n`)
  if (debug && err.stack) process.stderr.write(`${err.stack}\n`)
  const code = error instanceof UserError ? error.exitCode : EXIT_ERROR
  process.exit(code)
}
