/**
 * The guard's rule set, cached on disk. Loading the pattern library (JSON parse and schema
 * validation of every file), validating the config, building the keyword automaton and loading
 * micromatch cost more than the rest of a small commit's scan, and they give the same result until
 * a pattern file, the config or sentra itself changes. So their product is kept in one file under
 * the git common dir: the effective rules, the validated config, the automaton's tables, and every
 * path glob compiled to a regular expression.
 *
 * The cache is keyed by a SHA-256 of exactly those inputs (pattern files, config, sentra's code).
 * To spare hashing them on every commit, it also records their sizes and modification times: when
 * those are unchanged the content is taken as unchanged; when they differ the content hash decides.
 * A stale or damaged cache is rebuilt, never trusted.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SentraConfig } from '../config/config.js'
import { hasBinaryExtension, isLockfile, isSourceMap } from '../scan/defaults.js'
import { KeywordAutomaton } from '../scan/keywords.js'
import type { LoadedRule } from '../scan/patterns.js'
import { compileRule, type CompiledRule, type RuleSpec } from '../scan/rule.js'
import type { RuleSet } from '../scan/ruleset.js'

/** Same place as BUILTIN_PATTERNS_DIR in src/scan/patterns.ts (this module sits as deep in dist/ as that one). */
export const PATTERNS_DIR = fileURLToPath(new URL('../../patterns/', import.meta.url))
const DIST_DIR = fileURLToPath(new URL('../', import.meta.url))
const CONFIG_RELATIVE = '.sentra/config.json'
const MAGIC = Buffer.from('SNTRRC02')
/** Code whose change changes what the cache holds: a rebuilt or upgraded sentra invalidates it. */
const CODE_FILES = ['scan/keywords.js', 'scan/rule.js', 'scan/ruleset.js', 'scan/rules-from-config.js', 'scan/scan-paths.js', 'scan/patterns.js', 'config/config.js', 'fast/compiled-rules.js']

interface GlobRegex {
  glob: string
  source: string
  flags: string
}

interface CacheDoc {
  /** SHA-256 of the inputs' contents. */
  key: string
  /** Sizes and modification times of the inputs when the cache was written. */
  stamp: string
  config: SentraConfig
  rules: LoadedRule[]
  rulePaths: { only?: GlobRegex[]; not?: GlobRegex[] }[]
  allowPaths?: GlobRegex[]
  fixturePaths?: GlobRegex[]
  /** The automaton's own fields; typed arrays point into the binary part of the file. */
  automaton: Record<string, StoredField>
}

type TypedName = 'Int32Array' | 'Uint32Array' | 'Int16Array' | 'Uint16Array' | 'Uint8Array' | 'Int8Array'
type StoredTyped = { type: TypedName; offset: number; length: number }
/** A list of typed arrays of one type: their elements end to end, and (start, length) pairs, length -1 for a hole. */
type StoredList = { type: TypedName; data: StoredTyped; index: StoredTyped }
type StoredField = { number: number } | { typed: StoredTyped } | { list: StoredList }
type Typed = Int32Array | Uint32Array | Int16Array | Uint16Array | Uint8Array | Int8Array
type TypedConstructor = { new (buffer: ArrayBuffer, offset: number, length: number): Typed; new (length: number): Typed }
const TYPED: Record<TypedName, TypedConstructor> = { Int32Array, Uint32Array, Int16Array, Uint16Array, Uint8Array, Int8Array }

function typedName(value: unknown): TypedName | undefined {
  for (const name of Object.keys(TYPED) as TypedName[]) if (value instanceof TYPED[name]) return name
  return undefined
}

/**
 * The automaton's fields (numbers, typed arrays, lists of typed arrays of one type), whatever their
 * names: the automaton is rebuilt from them without running its constructor. Undefined when a field
 * is of another kind: such an automaton is not cached.
 */
function storeAutomaton(automaton: object): { fields: Record<string, StoredField>; binary: Buffer } | undefined {
  const parts: Buffer[] = []
  let offset = 0
  const put = (array: Typed): StoredTyped => {
    // Each array starts 8-aligned so that it can be viewed in place.
    const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength)
    const pad = (8 - (bytes.length % 8)) % 8
    parts.push(bytes, Buffer.alloc(pad))
    const stored = { type: typedName(array)!, offset, length: array.length }
    offset += bytes.length + pad
    return stored
  }
  const fields: Record<string, StoredField> = {}
  for (const [name, value] of Object.entries(automaton)) {
    if (typeof value === 'number') fields[name] = { number: value }
    else if (typedName(value)) fields[name] = { typed: put(value as Typed) }
    else if (Array.isArray(value)) {
      const items = value as (Typed | undefined)[]
      const type = items.map(typedName).find((t) => t !== undefined) ?? 'Int32Array'
      if (!items.every((item) => item === undefined || typedName(item) === type)) return undefined
      const index = new Int32Array(items.length * 2)
      const data = new TYPED[type](items.reduce((n, item) => n + (item?.length ?? 0), 0))
      let at = 0
      items.forEach((item, i) => {
        index[2 * i] = at
        index[2 * i + 1] = item ? item.length : -1
        if (item) {
          data.set(item, at)
          at += item.length
        }
      })
      fields[name] = { list: { type, data: put(data), index: put(index) } }
    } else return undefined
  }
  return { fields, binary: Buffer.concat(parts) }
}

function restoreAutomaton(fields: Record<string, StoredField>, binary: ArrayBuffer, base: number): KeywordAutomaton {
  const view = (stored: StoredTyped) => new TYPED[stored.type](binary, base + stored.offset, stored.length)
  const values: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(fields)) {
    if ('number' in field) values[name] = field.number
    else if ('typed' in field) values[name] = view(field.typed)
    else {
      const data = view(field.list.data)
      const index = view(field.list.index)
      const items: (Typed | undefined)[] = new Array(index.length / 2)
      for (let i = 0; i < items.length; i++) {
        const length = index[2 * i + 1]!
        items[i] = length < 0 ? undefined : data.subarray(index[2 * i]!, index[2 * i]! + length)
      }
      values[name] = items
    }
  }
  return Object.assign(Object.create(KeywordAutomaton.prototype) as KeywordAutomaton, values)
}

type PathTest = (path: string) => boolean

/** micromatch.matcher(glob) is `path === glob || regex.test(path)` for the `/`-separated paths sentra tests. */
function globTest(globs: GlobRegex[] | undefined): PathTest | undefined {
  if (!globs || globs.length === 0) return undefined
  const tests = globs.map(({ glob, source, flags }) => {
    const regex = new RegExp(source, flags)
    return (path: string) => path !== '' && (path === glob || regex.test(path))
  })
  return (path) => tests.some((test) => test(path))
}

/** The parts of RuleSet the Scanner uses, over cached path regexes instead of micromatch. */
class CachedRuleSet {
  constructor(
    readonly rules: CompiledRule[],
    readonly automaton: KeywordAutomaton,
    private readonly onlyPaths: (PathTest | undefined)[],
    private readonly notPaths: (PathTest | undefined)[],
  ) {}

  appliesTo(rule: CompiledRule, path: string): boolean {
    const only = this.onlyPaths[rule.index]
    if (only && !only(path)) return false
    const not = this.notPaths[rule.index]
    return !(not && not(path))
  }

  get size(): number {
    return this.rules.length
  }
}

export interface GuardRules {
  config: SentraConfig
  rules: LoadedRule[]
  ruleSet: RuleSet
  /** Why the scan skips a path (src/scan/scan-paths.ts pathFilter, without fixtures), or undefined. */
  skip: (path: string) => string | undefined
  cache: 'hit' | 'written' | 'unwritable' | 'uncacheable'
}

/** Mirrors pathFilter(ctx) of src/scan/scan-paths.ts (a test keeps the two in step). */
function skipFilter(config: SentraConfig, allow: PathTest | undefined, fixtures: PathTest | undefined): (path: string) => string | undefined {
  const scanLockfiles = config.scan?.includeLockfiles === true
  const scanMaps = config.scan?.includeSourceMaps === true
  return (file) => {
    if (allow?.(file)) return 'allowlisted path'
    if (fixtures?.(file)) return 'test fixture'
    if (!scanLockfiles && isLockfile(file)) return 'lock file'
    if (!scanMaps && isSourceMap(file)) return 'source map'
    if (hasBinaryExtension(file)) return 'binary file type'
    return undefined
  }
}

/**
 * A rule compiled on first use: a commit's text selects a handful of rules through the keyword
 * automaton, and the others' regexes are never built. (The build that wrote the cache compiled every
 * rule once, so none can fail here.)
 */
function lazyRule(spec: RuleSpec, index: number, source: string): CompiledRule {
  let compiled: CompiledRule | undefined
  const get = () => (compiled ??= compileRule(spec, index, source))
  return {
    spec,
    id: spec.id,
    index,
    source,
    get regex() {
      return get().regex
    },
    get keywords() {
      return get().keywords
    },
    get stopwords() {
      return get().stopwords
    },
    get allowRegexes() {
      return get().allowRegexes
    },
  }
}

function fromDoc(doc: CacheDoc, automaton: KeywordAutomaton, cache: GuardRules['cache']): GuardRules {
  const compiled = doc.rules.map(({ spec, source }, index) => lazyRule(spec, index, source))
  const ruleSet = new CachedRuleSet(
    compiled,
    automaton,
    doc.rulePaths.map((paths) => globTest(paths.only)),
    doc.rulePaths.map((paths) => globTest(paths.not)),
  ) as unknown as RuleSet
  const skip = skipFilter(doc.config, globTest(doc.allowPaths), globTest(doc.fixturePaths))
  return { config: doc.config, rules: doc.rules, ruleSet, skip, cache }
}

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * A short id of this sentra installation: two installations used on one repository (a global one
 * and a project's own) keep a cache each instead of invalidating each other's on every commit.
 */
function installationId(): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < DIST_DIR.length; i++) hash = Math.imul(hash ^ DIST_DIR.charCodeAt(i), 0x01000193)
  return (hash >>> 0).toString(16).padStart(8, '0')
}

/** The files a cache depends on: sentra's code, the pattern library, the config. */
function inputs(configPath: string): { code: string[]; patterns: string[]; config: string } {
  const patterns = readdirSync(PATTERNS_DIR)
    .filter((name) => name.endsWith('.json') && name !== 'schema.json')
    .sort()
    .map((name) => join(PATTERNS_DIR, name))
  return { code: CODE_FILES.map((file) => join(DIST_DIR, file)), patterns, config: configPath }
}

/** Sizes and modification times of the inputs: equal stamps mean unchanged files. */
function stampOf(files: ReturnType<typeof inputs>): string {
  const stat = (path: string) => {
    try {
      const s = statSync(path, { bigint: true })
      return `${s.size}:${s.mtimeNs}:${s.ino}`
    } catch {
      return 'absent'
    }
  }
  return [...files.code, ...files.patterns, files.config].map((path) => `${path}=${stat(path)}`).join('\n')
}

/** SHA-256 of the inputs' contents (the code by its stamp: it is not edited in place). */
async function contentKey(files: ReturnType<typeof inputs>): Promise<string> {
  const { createHash } = await import('node:crypto')
  const hash = createHash('sha256').update('sentra/guard-rules/v2\0')
  for (const path of files.code) {
    try {
      const s = statSync(path)
      hash.update(`${path}:${s.size}:${s.mtimeMs}\0`)
    } catch {
      hash.update(`${path}:absent\0`)
    }
  }
  for (const path of [...files.patterns, files.config]) {
    const bytes = readOptional(path)
    hash.update(`\0${path}\0${bytes ? bytes.length : 'absent'}\0`)
    if (bytes) hash.update(bytes)
  }
  return hash.digest('hex')
}

interface CacheFile {
  doc: CacheDoc
  binary: ArrayBuffer
  base: number
  raw: Buffer
}

function readCache(path: string): CacheFile | undefined {
  const bytes = readOptional(path)
  if (!bytes || bytes.length < 12 || !bytes.subarray(0, 8).equals(MAGIC)) return undefined
  try {
    const jsonLength = bytes.readUInt32LE(8)
    const doc = JSON.parse(bytes.subarray(12, 12 + jsonLength).toString('utf8')) as CacheDoc
    const start = 12 + jsonLength + ((8 - ((12 + jsonLength) % 8)) % 8)
    // Typed arrays need aligned offsets: a file this size gets a buffer of its own (offset 0), read
    // in place; otherwise the binary part is copied.
    let binary: ArrayBuffer
    let base = bytes.byteOffset + start
    if (base % 8 === 0 && bytes.buffer instanceof ArrayBuffer) binary = bytes.buffer
    else {
      binary = new ArrayBuffer(bytes.length - start)
      new Uint8Array(binary).set(bytes.subarray(start))
      base = 0
    }
    return { doc, binary, base, raw: bytes.subarray(start) }
  } catch {
    return undefined
  }
}

function writeCache(path: string, doc: CacheDoc, binary: Uint8Array): boolean {
  try {
    mkdirSync(join(path, '..'), { recursive: true })
    const json = Buffer.from(JSON.stringify(doc), 'utf8')
    const header = Buffer.alloc(12)
    MAGIC.copy(header)
    header.writeUInt32LE(json.length, 8)
    const pad = Buffer.alloc((8 - ((12 + json.length) % 8)) % 8)
    const temp = `${path}.${process.pid}.tmp`
    writeFileSync(temp, Buffer.concat([header, json, pad, binary]), { mode: 0o600 })
    renameSync(temp, path)
    return true
  } catch {
    return false
  }
}

/** Builds the rule set the ordinary way (schema validation, micromatch), as the cache will hold it. */
async function build(root: string, configPath: string | undefined, key: string, stamp: string) {
  const [{ loadConfig, loadConfigFile }, { effectiveRules }, { RuleSet }, { default: micromatch }] = await Promise.all([
    import('../config/config.js'),
    import('../scan/rules-from-config.js'),
    import('../scan/ruleset.js'),
    import('micromatch'),
  ])
  const config = configPath ? loadConfigFile(configPath) : loadConfig(root).config
  const rules = effectiveRules(config)
  const toRegex = (globs: string[] | undefined): GlobRegex[] | undefined =>
    globs && globs.length > 0
      ? globs.map((glob) => {
          const regex = micromatch.makeRe(glob, { dot: true })
          return { glob, source: regex.source, flags: regex.flags }
        })
      : undefined
  const automaton = new RuleSet(rules).automaton
  const stored = storeAutomaton(automaton)
  const optional = <T>(name: string, value: T | undefined) => (value === undefined ? {} : { [name]: value })
  const doc: CacheDoc = {
    key,
    stamp,
    config,
    // A rule's examples and negatives are for the tests: not worth parsing on every commit.
    rules: rules.map(({ spec, source }) => ({ spec: { ...spec, examples: [], negatives: [] }, source })),
    rulePaths: rules.map(({ spec }) => ({ ...optional('only', toRegex(spec.paths)), ...optional('not', toRegex(spec.allowPaths)) })),
    ...optional('allowPaths', toRegex(config.allowlist?.paths)),
    ...optional('fixturePaths', toRegex(config.fixtures)),
    automaton: stored?.fields ?? {},
  }
  return { doc, automaton, stored }
}

/**
 * The guard's rules for a repository: from the cache when it is current, else built and cached.
 * `configPath` replaces `<root>/.sentra/config.json` (the --config flag). SENTRA_GUARD_CACHE=0
 * neither reads nor writes the cache.
 */
export async function guardRules(root: string, commonDir: string, configPath?: string): Promise<GuardRules> {
  const useCache = process.env.SENTRA_GUARD_CACHE !== '0'
  const files = inputs(configPath ?? join(root, CONFIG_RELATIVE))
  const stamp = stampOf(files)
  const path = join(commonDir, 'sentra', `guard-rules-${installationId()}.cache`)
  const cached = useCache ? readCache(path) : undefined
  if (cached && cached.doc.stamp === stamp) return fromDoc(cached.doc, restoreAutomaton(cached.doc.automaton, cached.binary, cached.base), 'hit')
  const key = await contentKey(files)
  if (cached && cached.doc.key === key) {
    // Touched but unchanged (a checkout, a save without edits): record the new stamp.
    const doc = { ...cached.doc, stamp }
    writeCache(path, doc, cached.raw)
    return fromDoc(doc, restoreAutomaton(doc.automaton, cached.binary, cached.base), 'hit')
  }
  const { doc, automaton, stored } = await build(root, configPath, key, stamp)
  if (!stored) return fromDoc(doc, automaton, 'uncacheable')
  const written = useCache && writeCache(path, doc, stored.binary)
  return fromDoc(doc, automaton, written ? 'written' : 'unwritable')
}
