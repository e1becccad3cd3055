import { createHmac } from 'node:crypto'

/** Used outside any repository and when no salt is configured; only stops cross-repo precomputation. */
export const DEFAULT_FINGERPRINT_SALT = 'sentra/v1/default-fingerprint-salt'
const FINGERPRINT_HEX_CHARS = 16

/**
 * A stable, path- and line-independent finding identity: the rule plus a truncated HMAC of the secret
 * under a per-repo salt, so reports carry no plain hash of a weak password.
 */
export function fingerprint(ruleId: string, secret: string, salt: string): string {
  const mac = createHmac('sha256', `sentra/v1/fingerprint\0${salt}`).update(secret, 'utf8').digest('hex')
  return `${ruleId}:${mac.slice(0, FINGERPRINT_HEX_CHARS)}`
}
