import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { guardRules, PATTERNS_DIR } from '../../dist/fast/compiled-rules.js'
import { BUILTIN_PATTERNS_DIR } from '../../dist/scan/patterns.js'
import { createScanContext } from '../../dist/scan/context.js'
import { RuleSet } from '../../dist/scan/ruleset.js'
import { pathFilter } from '../../dist/scan/scan-paths.js'
import { Scanner } from '../../dist/scan/scanner.js'
import { cleanupTemp } from '../helpers/repo.js'
import { fakeChars, joined } from '../helpers/samples.js'
import { git, guardJson, guardRepo, keyBlock, ours, testConfig, token, write } from './fixture.js'

afterAll(cleanupTemp)

const b64 = (text: string) => `b64:${Buffer.from(text).toString('base64')}`
const scoped = joined('scp_', fakeChars('abcdefghijklmnopqrstuvwxyz0123456789', 20, 7))

/** A config with path-scoped rules, allowlists and fixtures: everything the cache compiles. */
function richConfig(): string {
  const config = JSON.parse(testConfig({
    fixtures: ['fixtures/**', '**/testdata/*.txt'],
    allowlist: { paths: ['docs/{examples,samples}/**', '*.md'] },
    scan: { includeLockfiles: true },
  })) as { rules: Record<string, unknown>[] }
  config.rules.push({
    id: 'sentra-test-scoped', description: 'only in config dirs', regex: '\\b(scp_[a-z0-9]{20})\\b', keywords: ['scp_'],
    severity: 'medium', tags: ['test'], paths: ['config/**', '**/*.env'], allowPaths: ['config/public/**'],
    examples: [b64(scoped)], negatives: ['scp_short'],
  })
  return JSON.stringify(config)
}

const SAMPLE_PATHS = [
  'a.txt', 'README.md', 'docs/README.md', 'docs/examples/x.txt', 'docs/samples/y/z.txt', 'docs/other/x.txt', 'fixtures/a/b.txt',
  'src/testdata/t.txt', 'src/testdata/deep/t.txt', 'package-lock.json', 'yarn.lock', 'app.js.map', 'logo.png', 'config/app.yaml',
  'config/public/app.yaml', 'prod.env', 'deep/dir/.env', '.hidden/x', 'config/.secret', 'ünï/x.txt',
]

describe('the guard\'s compiled rule cache', () => {
  it('reads the same pattern library as the ordinary loader', () => {
    expect(PATTERNS_DIR).toBe(BUILTIN_PATTERNS_DIR)
  })

  it('gives the ordinary rule set\'s findings and path decisions, on a miss and on a hit', async () => {
    const repo = guardRepo({ '.sentra/config.json': richConfig() })
    const layout = { root: repo, commonDir: join(repo, '.git') }
    const ctx = createScanContext(repo)
    const reference = new Scanner(new RuleSet(ctx.rules), { salt: 's', noRedact: true })
    const skip = pathFilter(ctx)
    const miss = await guardRules(layout.root, layout.commonDir)
    const hit = await guardRules(layout.root, layout.commonDir)
    expect([miss.cache, hit.cache]).toEqual(['written', 'hit'])
    const texts = [
      `x ${token(1)}\ny ${scoped}\n${keyBlock(2)}\naws_access_key_id = ${joined('AKIA', fakeChars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 3))}\nghp_ and xoxb- and -----BEGIN RSA PRIVATE KEY-----\n`,
      readFileSync(join(process.cwd(), 'README.md'), 'utf8'),
    ]
    for (const loaded of [miss, hit]) {
      const scanner = new Scanner(loaded.ruleSet, { salt: 's', noRedact: true })
      for (const path of SAMPLE_PATHS) {
        expect(loaded.skip(path), path).toBe(skip(path))
        for (const text of texts) expect(scanner.scanText(text, path).findings, path).toEqual(reference.scanText(text, path).findings)
      }
    }
    expect(reference.scanText(texts[0]!, 'a.txt').findings.length).toBeGreaterThanOrEqual(3)
    // The scoped rule really is path-dependent here, so the comparison above means something.
    const applies = (path: string) => reference.scanText(texts[0]!, path).findings.some((f: { rule: string }) => f.rule === 'sentra-test-scoped')
    expect([applies('config/app.yaml'), applies('config/public/app.yaml'), applies('a.txt')]).toEqual([true, false, false])
  })

  it('is rebuilt when the config changes, and when the file is damaged', async () => {
    const repo = guardRepo()
    const cacheFile = () => readdirSync(join(repo, '.git/sentra')).filter((name) => /^guard-rules-[0-9a-f]{8}\.cache$/.test(name))
    write(repo, 'docs/x.txt', `${token(3)}\n`)
    git(repo, ['add', '-A'])
    expect(ours(guardJson(repo).report)).toHaveLength(1)
    expect(cacheFile()).toHaveLength(1)
    const cache = join(repo, '.git/sentra', cacheFile()[0]!)
    const before = statSync(cache).mtimeMs
    // A new allowlist entry takes effect at once.
    write(repo, '.sentra/config.json', testConfig({ allowlist: { paths: ['docs/**'] } }))
    expect(guardJson(repo).status).toBe(0)
    expect(statSync(cache).mtimeMs).not.toBe(before)
    writeFileSync(cache, 'garbage')
    expect(guardJson(repo).status).toBe(0)
    expect(readFileSync(cache).subarray(0, 8).toString()).toMatch(/^SNTRRC\d\d$/)
    const result = await guardRules(repo, join(repo, '.git'))
    expect(result.cache).toBe('hit')
    // Touched but unchanged: still a hit (by content), and the new stamp is recorded.
    const config = join(repo, '.sentra/config.json')
    utimesSync(config, new Date(), new Date(Date.now() + 5000))
    expect((await guardRules(repo, join(repo, '.git'))).cache).toBe('hit')
    const rewritten = statSync(cache).mtimeMs
    expect((await guardRules(repo, join(repo, '.git'))).cache).toBe('hit')
    expect(statSync(cache).mtimeMs).toBe(rewritten)
    // A real edit: rebuilt.
    writeFileSync(config, readFileSync(config, 'utf8').replace('"high"', '"low" '))
    expect((await guardRules(repo, join(repo, '.git'))).cache).toBe('written')
  })
})
