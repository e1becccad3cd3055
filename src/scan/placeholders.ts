/**
 * Values that are documentation, templates or references rather than secrets. They apply to every
 * rule, so they stay conservative: a real token never contains these fragments by chance.
 */
const PLACEHOLDER_FRAGMENTS = [
  'example',
  'xxxxx',
  'placeholder',
  'your_',
  'your-',
  'yourkey',
  'changeme',
  'change_me',
  'redacted',
  'dummy',
  'insert_',
  'replace_me',
  'replaceme',
  '*****',
  '.....',
  '•••',
  '0123456789',
  'abcdefghij',
  '1234567890',
]

const TEMPLATE_REFERENCE = /^(?:\$\{[^}]*\}|\$\([^)]*\)|\{\{[^}]*\}\}|%\([^)]*\)s?|<[^>]*>|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%|process\.env\.[A-Za-z0-9_]+|env\.[A-Za-z0-9_]+)$/

/** True when the matched secret is obviously a placeholder, template or variable reference. */
export function isPlaceholder(secret: string): boolean {
  const lower = secret.toLowerCase()
  for (const fragment of PLACEHOLDER_FRAGMENTS) {
    if (lower.includes(fragment)) return true
  }
  if (TEMPLATE_REFERENCE.test(secret)) return true
  if (secret.includes('${') || secret.includes('{{') || (secret.includes('<') && secret.includes('>'))) return true
  // The same character over and over ("aaaaaaaa", "00000000") is never a credential.
  if (secret.length >= 8 && new Set(secret).size < 4) return true
  return false
}
