import micromatch from 'micromatch'
import { describe, expect, it } from 'vitest'
import { pathRegexToGlob } from '../../dist/import/path-glob.js'
import { deriveKeywords, generateSample } from '../../dist/import/re2-samples.js'
import { re2ToJs } from '../../dist/import/re2-to-js.js'

/** Converts with flags allowed and returns a tester over whole strings. */
function js(source: string, allowFlags = true): (text: string) => boolean {
  const converted = re2ToJs(source, { allowFlags })
  if (converted.source === undefined) throw new Error(`not converted: ${converted.problem}`)
  const regex = new RegExp(converted.source, converted.flags)
  return (text) => regex.test(text)
}

/** [RE2 expression, strings it matches in Go, strings it does not]. */
const SEMANTICS: [string, string[], string[]][] = [
  ['^(?i)abc$', ['abc', 'ABC', 'aBc'], ['abd']],
  ['^abc(?i)def$', ['abcdef', 'abcDEF'], ['ABCdef']],
  ['^(?i:tok)_x$', ['TOK_x', 'tok_x'], ['tok_X']],
  ['^(?i)tok(?-i:_X)$', ['TOK_X', 'tOk_X'], ['tok_x']],
  ['^(?i)a|b$', ['A', 'xB'], ['c']],
  ['^\\b(p8e-(?i)[a-z0-9]{4})$', ['p8e-AbC1'], ['P8E-abc1']],
  ['^(?s)a.b$', ['a\nb', 'axb'], ['a\n\nb']],
  ['^a.b$', ['axb'], ['a\nb']],
  ['(?m)^key=(\\w+)$', ['x\nkey=1\ny', 'key=abc'], ['xkey=1', 'key=1 x']],
  ['^key\\z', ['key'], ['key\n', 'keyx']],
  ['\\Akey', ['key', 'keyx'], ['xkey']],
  ['^(?P<tok>[[:alpha:]]{2})[[:digit:]]$', ['ab1', 'ZZ9'], ['a11', 'ab']],
  ['^[[:^space:]]+$', ['abc'], ['a c', 'a\tc']],
  ['^[[:xdigit:][:punct:]]+$', ['af09-', 'F!'], ['g']],
  ['^\\x{263a}\\x41\\101\\Qa.b\\E$', ['\u263aAAa.b'], ['\u263aAAaxb']],
  ['^[]a]+$', [']a]'], ['b']],
  ['^[^]a]$', ['b'], [']', 'a']],
  ['^x{2,3}?y{2}$', ['xxyy', 'xxxyy'], ['xyy', 'xxxxyy']],
  ['^(?U)a+$', ['aaa'], ['b']],
  ['^a{,2}$', ['a{,2}'], ['aa']],
  ['^\\$(?:\\d+|{\\d+})$', ['$12', '${3}'], ['$x']],
  ['^\\pL+\\p{Greek}$', ['abλ'], ['ab1']],
  // In a class, `.-/` is the range from . to /, so `-` itself is not in it.
  ['^[\\w.-/]+$', ['a.b/c_d'], ['a b', 'a-b']],
  ['^\\.[\\t ]\\-\\\'$', ['.\t-\''], ['. x']],
]

describe('RE2 to JavaScript', () => {
  for (const [source, yes, no] of SEMANTICS) {
    it(`${source} keeps its meaning`, () => {
      const test = js(source)
      for (const text of yes) expect(test(text), JSON.stringify(text)).toBe(true)
      for (const text of no) expect(test(text), JSON.stringify(text)).toBe(false)
    })
  }

  it('uses JS flags when the whole pattern is case-insensitive, and readable output', () => {
    expect(re2ToJs('(?i)(?:stripe)[a-z0-9]{32}', { allowFlags: true })).toMatchObject({ source: '(?:stripe)[0-9A-Za-z]{32}', flags: 'i' })
    expect(re2ToJs('(?P<key>AKIA[0-9A-Z]{16})\\z', { allowFlags: true })).toMatchObject({ source: '(?<key>AKIA[0-9A-Z]{16})$', flags: '' })
    expect(re2ToJs('\\d+\\s\\w', { allowFlags: true })).toMatchObject({ source: '\\d+\\s\\w', flags: '' })
  })

  it('writes case-insensitivity into the pattern when flags are not allowed', () => {
    const converted = re2ToJs('(?i)^test$', { allowFlags: false })
    expect(converted).toMatchObject({ source: '^[tT][eE][sS][tT]$', flags: '' })
    const test = js('(?i)^test$', false)
    expect(test('TeSt')).toBe(true)
    expect(re2ToJs('\\pL', { allowFlags: false }).problem).toMatch(/cannot carry/)
  })

  it('reports what has no JavaScript equivalent or is not RE2', () => {
    expect(re2ToJs('\\C', { allowFlags: true }).problem).toMatch(/\\C/)
    expect(re2ToJs('(a)\\1', { allowFlags: true }).problem).toMatch(/backreference/)
    expect(re2ToJs('(?<=a)b', { allowFlags: true }).problem).toMatch(/lookaround/)
    expect(re2ToJs('a**', { allowFlags: true }).problem).toMatch(/nested repetition/)
    expect(re2ToJs('(?z)a', { allowFlags: true }).problem).toBeDefined()
    expect(re2ToJs('[a-', { allowFlags: true }).problem).toMatch(/missing closing \]/)
    expect(re2ToJs('a{1001}', { allowFlags: true }).problem).toMatch(/1000/)
  })
})

describe('keywords and samples from an expression', () => {
  it('derives the literals every match contains', () => {
    const tree = (source: string) => re2ToJs(source, { allowFlags: true }).tree
    expect(deriveKeywords(tree('\\b(itk_(?i)[a-z0-9]{30})\\b'))).toEqual(['itk_'])
    expect(deriveKeywords(tree('(?i)(?:acme|acme-corp)_key\\s*=\\s*([a-z]{8})'))).toEqual(['acme'])
    expect(deriveKeywords(tree('(?:xoxb|xoxp)-[0-9]{10}'))).toEqual(['xoxb', 'xoxp'])
    expect(deriveKeywords(tree('(?i)ABC(?:DEF)?[0-9]+'))).toEqual(['abc'])
    expect(deriveKeywords(tree('[a-z]{32}'))).toBeUndefined()
    expect(deriveKeywords(tree('(?:a|bc)x'))).toBeUndefined()
  })

  it('generates samples the converted regex matches', () => {
    for (const source of ['\\b(itk_(?i)[a-z0-9]{30})\\b', "(?i)[\\w.-]{0,50}?(?:acme)(?:[ \\t\\w.-]{0,20})[\\s'\"]{0,3}(?:=|>|:{1,3}=)[\\x60'\"\\s=]{0,5}([a-z0-9_-]{32})(?:[\\x60'\"\\s;]|$)"]) {
      const converted = re2ToJs(source, { allowFlags: true })
      const regex = new RegExp(converted.source!, converted.flags)
      const hits = [0, 1, 2, 3].filter((attempt) => regex.test(generateSample(converted.tree!, attempt)))
      expect(hits.length, source).toBeGreaterThan(0)
    }
  })
})

describe('gitleaks path regexes as globs', () => {
  const CASES: [string, string[], string[]][] = [
    ['gitleaks\\.toml', ['gitleaks.toml', 'a/gitleaks.toml', 'a/my-gitleaks.toml'], ['gitleaks.yaml']],
    ['(.*?)(jpg|gif|pdf)$', ['a/b.jpg', 'x.pdf'], ['a.jpgx', 'a.png']],
    ['(?:^|/)vendor/', ['vendor/a.go', 'x/vendor/b/c.go'], ['myvendor/a.go']],
    ['^\\.?gitleaks\\.toml$', ['.gitleaks.toml', 'gitleaks.toml'], ['a/.gitleaks.toml']],
    ['(?i)\\.env$', ['a/.ENV', '.env'], ['a/.env.local']],
    ['^docs/[^/]*\\.md$', ['docs/a.md'], ['docs/x/a.md', 'src/docs/a.md']],
    ['node_modules', ['node_modules/a/b.js', 'x/node_modules/y'], ['src/a.js']],
  ]
  for (const [regex, yes, no] of CASES) {
    it(`${regex}`, () => {
      const { glob, problem } = pathRegexToGlob(regex)
      expect(problem).toBeUndefined()
      for (const path of yes) expect(micromatch.isMatch(path, glob!, { dot: true }), `${glob} ${path}`).toBe(true)
      for (const path of no) expect(micromatch.isMatch(path, glob!, { dot: true }), `${glob} ${path}`).toBe(false)
    })
  }

  it('says when a path regex has no glob equivalent, or is only approximated', () => {
    expect(pathRegexToGlob('foo\\d+').problem).toMatch(/no glob equivalent/)
    expect(pathRegexToGlob('.*').problem).toMatch(/every path/)
    expect(pathRegexToGlob('^test/.*\\.json$')).toMatchObject({ glob: 'test/*.json', approximate: expect.stringContaining('does not cross') })
  })
})
