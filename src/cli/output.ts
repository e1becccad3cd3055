import { renameSync, writeFileSync } from 'node:fs'
import { dirname, join, basename } from 'node:path'
import { randomBytes } from 'node:crypto'

/** Writes a file atomically: a temp file in the same directory, then rename over the target. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  writeFileSync(temp, data, { mode, flag: 'wx' })
  renameSync(temp, path)
}

/** Colour on a terminal unless NO_COLOR is set or --no-color was given. */
export function useColor(flag: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (flag === false) return false
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (flag === true && process.env.FORCE_COLOR !== undefined) return true
  return stream.isTTY === true
}
