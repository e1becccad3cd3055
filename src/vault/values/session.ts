import type { VaultContext } from '../context.js'
import { VaultError } from '../errors.js'
import type { KeyHandle } from '../keystore/index.js'
import type { TeamState } from '../manifest/state.js'
import type { ValuesFormat } from './metadata.js'
import { formatForPath, isValuesFormat, openValuesFile, type OpenedValues } from './ops.js'
import { readText, rememberDecrypted, repoFile, type RepoFile } from './repo-file.js'

/** What a per-value command (get, set, edit, run) starts from: the file, verified and decrypted. */
export interface ValuesSession extends RepoFile {
  repoRoot: string
  state: TeamState
  format: ValuesFormat
  key: KeyHandle
  opened: OpenedValues
}

export async function openSession(ctx: VaultContext, given: string, options: { format?: string; allowUnsigned?: boolean } = {}): Promise<ValuesSession> {
  const repoRoot = ctx.repoRoot()
  const target = repoFile(repoRoot, ctx.cwd, given)
  const { state } = ctx.team('read')
  const format = formatForPath(state, target.path, options.format)
  if (!isValuesFormat(format)) throw new VaultError(`${target.path} is not a per-value file (dotenv, JSON or YAML): whole files are read with \`sentra decrypt FILE.age\``, 'usage')
  const key = await ctx.key()
  const opened = await openValuesFile({ state, key, path: target.path, text: readText(target.file, given), format, allowUnsigned: options.allowUnsigned === true, warn: ctx.warn })
  rememberDecrypted(repoRoot, target.path, format, opened.values, ctx.warn)
  return { ...target, repoRoot, state, format, key, opened }
}
