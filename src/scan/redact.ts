/**
 * Shows only enough of a secret to recognise it: a short, fixed-format prefix for long tokens
 * (usually the provider prefix, e.g. "ghp_"), nothing at all for short ones such as passwords.
 */
export function redact(secret: string): string {
  const shown = secret.length >= 20 ? 4 : secret.length >= 12 ? 2 : 0
  return `${secret.slice(0, shown)}${'*'.repeat(8)}`
}
