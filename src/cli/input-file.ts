import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { UserError } from './errors.js'

/** Reads a file a command was given, or fails with one line naming it. */
export function readInputFile(file: string, cwd = process.cwd()): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8')
  } catch (error) {
    throw new UserError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`)
  }
}
