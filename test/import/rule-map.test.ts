import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DETECT_SECRETS_TYPES, GITLEAKS_RULES } from '../../dist/import/rule-map.js'
import { loadPatternDir } from '../../dist/scan/patterns.js'
import { PROJECT_ROOT } from '../helpers/cli.js'

const library = new Set(loadPatternDir().map((rule: { spec: { id: string } }) => rule.spec.id))
const doc = readFileSync(join(PROJECT_ROOT, 'docs/migration.md'), 'utf8')

describe.each([
  ['gitleaks', GITLEAKS_RULES],
  ['detect-secrets', DETECT_SECRETS_TYPES],
])('the %s rule-name mapping', (_tool, map: Record<string, string[]>) => {
  it('names only sentra rules that exist in patterns/', () => {
    const missing = Object.entries(map).flatMap(([name, ids]) => ids.filter((id) => !library.has(id)).map((id) => `${name} -> ${id}`))
    expect(missing).toEqual([])
  })

  it('is documented, row by row, in docs/migration.md', () => {
    for (const [name, ids] of Object.entries(map)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`))
      expect(row, name).toBeDefined()
      expect(row).toBe(`| \`${name}\` | ${ids.map((id) => `\`${id}\``).join(', ')} |`)
    }
  })
})
