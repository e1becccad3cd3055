import { VaultError } from '../errors.js'
import type { KeyHandle } from '../keystore/index.js'
import type { TeamState } from '../manifest/state.js'
import { splitValuesFile, type ValuesFormat } from './metadata.js'
import { checkValuesFile, formatForPath, isValuesFormat } from './ops.js'
import { decryptValues, plaintextBody, readValuesFile, unwrapDek } from './values-file.js'

/**
 * The diff textconv driver: git hands it a temporary copy of a blob (so the file's real path is not
 * known and the path binding cannot be checked: the path the file names is used, and said so). It
 * prints the decrypted body for members, the file as it is for anyone else, and never fails (a
 * failing textconv stops `git diff` and `git log -p`). It does not update the known-secrets store:
 * it sees old versions too, whose values would replace the current ones there.
 */
export function sniffFormat(text: string): ValuesFormat {
  if (/(^|\n)#sentra:v1 /.test(text)) return 'dotenv'
  if (text.trimStart().startsWith('{')) return 'json'
  return 'yaml'
}

export interface TextconvResult {
  text: string
  note?: string
}

export async function textconv(text: string, state: TeamState | undefined, key: () => Promise<KeyHandle>): Promise<TextconvResult> {
  const sniffed = sniffFormat(text)
  let meta
  try {
    meta = splitValuesFile(text, sniffed).meta
  } catch {
    return { text }
  }
  if (!meta || !state) return { text }
  const declared = formatForPath(state, meta.path)
  const format = isValuesFormat(declared) ? declared : sniffed
  const check = checkValuesFile(state, meta.path, text, format)
  const warnings = check.problems.map((problem) => `# sentra: WARNING (this version): ${problem}`)
  let handle: KeyHandle
  try {
    handle = await key()
  } catch (error) {
    return { text, note: `showing ciphertext: ${(error as Error).message}` }
  }
  try {
    const file = readValuesFile(text, format)
    const dek = await unwrapDek(file.meta!, handle, meta.path)
    const body = plaintextBody(file, decryptValues(file, dek))
    return { text: warnings.length > 0 ? `${warnings.join('\n')}\n${body}` : body }
  } catch (error) {
    if (error instanceof VaultError && error.kind === 'not-recipient') return { text }
    return { text: `# sentra: cannot decrypt this version: ${(error as Error).message}\n${text}` }
  }
}
