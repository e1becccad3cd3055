import { EXIT_ERROR, UserError } from '../cli/errors.js'

/**
 * An error from the vault meant for the user as it is: one line, no secret material, no stack.
 * It extends UserError (a plain class with no CLI dependency) so that commands report it as is.
 */
export class VaultError extends UserError {
  constructor(
    message: string,
    readonly kind: string = 'vault',
    exitCode: number = EXIT_ERROR,
  ) {
    super(message, exitCode)
    this.name = 'VaultError'
  }
}

/** The manifest is not a valid, trusted chain; `line` is 1-based when the problem is in one entry. */
export class ManifestError extends VaultError {
  constructor(
    message: string,
    readonly reason: ManifestProblem,
    readonly line?: number,
  ) {
    super(message, `manifest:${reason}`)
    this.name = 'ManifestError'
  }
}

export type ManifestProblem =
  | 'missing'
  | 'syntax'
  | 'truncated'
  | 'not-canonical'
  | 'sequence'
  | 'reordered'
  | 'missing-entry'
  | 'duplicate'
  | 'conflict-markers'
  | 'prev-hash'
  | 'signature'
  | 'unknown-signer'
  | 'not-admin'
  | 'invalid-op'
  | 'root-mismatch'
  | 'no-root-pin'
  | 'rollback'
  | 'diverged'
  | 'not-extending-base'
