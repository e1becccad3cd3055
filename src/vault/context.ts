import { VaultError } from './errors.js'
import { findRepoRoot } from '../git/repo.js'
import { openKey, type KeyHandle } from './keystore/index.js'
import { createPassphraseReader, type PassphraseReader } from './passphrase.js'
import { loadTrustedTeam, type Purpose, type TrustedTeam } from './manifest/trust.js'

/**
 * What vault commands share: the repository, stderr notices and warnings, the passphrase reader,
 * and lazy access to this device's key and the trusted team.
 */
export class VaultContext {
  readonly passphrases: PassphraseReader
  #key: KeyHandle | undefined

  constructor(
    readonly cwd: string = process.cwd(),
    readonly env: NodeJS.ProcessEnv = process.env,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.passphrases = createPassphraseReader()
  }

  warn = (message: string): void => {
    this.stderr.write(`sentra: warning: ${message}\n`)
  }

  notice = (message: string): void => {
    this.stderr.write(`sentra: ${message}\n`)
  }

  repoRoot(): string {
    const root = findRepoRoot(this.cwd)
    if (!root) throw new VaultError('not inside a git repository: encrypted files and the team manifest live in one', 'usage')
    return root
  }

  async key(): Promise<KeyHandle> {
    this.#key ??= await openKey({ env: this.env, passphrases: this.passphrases, warn: this.warn })
    return this.#key
  }

  team(purpose: Purpose, expectedRoot?: string): TrustedTeam {
    return loadTrustedTeam({ repoRoot: this.repoRoot(), env: this.env, purpose, notice: this.notice, ...(expectedRoot ? { expectedRoot } : {}) })
  }
}
