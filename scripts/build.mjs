#!/usr/bin/env node
// Build: TypeScript to dist/, then the ajv schema validators compiled to standalone code so that
// loading patterns and config costs no schema compilation at run time.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import Ajv from 'ajv'
import standaloneCode from 'ajv/dist/standalone/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// dist/ is not wiped first: parallel test runs keep working while a build runs. CI builds from a clean clone.
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' })
} catch (error) {
  // SENTRA_LENIENT_BUILD=1 keeps the emitted JavaScript despite type errors (for working on one part
  // while another is mid-edit); CI and `npm test` never set it.
  if (process.env.SENTRA_LENIENT_BUILD !== '1') process.exit(1)
  console.error('build: type errors ignored (SENTRA_LENIENT_BUILD=1)')
}

const validators = {
  'validate-patterns': 'patterns/schema.json',
  'validate-config': 'schemas/config.schema.json',
}
const outDir = join(root, 'dist/generated')
mkdirSync(outDir, { recursive: true })
const readJson = (path) => JSON.parse(readFileSync(join(root, path), 'utf8'))
for (const [name, schemaPath] of Object.entries(validators)) {
  const schema = readJson(schemaPath)
  const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: true } })
  // The config's custom rules use the pattern schema's rule definition.
  if (schemaPath !== 'patterns/schema.json') ajv.addSchema(readJson('patterns/schema.json'))
  const validate = ajv.compile(schema)
  // ajv's ESM output still require()s its runtime helpers; turn those into imports.
  const imports = []
  const code = standaloneCode(ajv, validate).replace(/require\("(ajv\/dist\/runtime\/[a-z0-9]+)"\)/g, (_, module) => {
    const id = `runtime${imports.length}`
    imports.push(`import ${id} from "${module}.js";`)
    return `{ default: ${id}.default ?? ${id} }`
  })
  writeFileSync(join(outDir, `${name}.js`), imports.join('') + code)
}

// The guard's fast entry, bundled: a pre-commit hook's time is mostly start-up, and one module loads
// faster than ~60 (see src/fast/guard.ts). What a clean commit does not need (history, renderers,
// schema validators, micromatch) goes to chunks loaded on demand. dist/guard/ sits as deep as
// dist/scan/, so URLs relative to a module (the pattern library) still resolve. The version is
// inlined (version.js finds package.json relative to its own place in dist/).
const { build } = await import('esbuild')
const { version } = readJson('package.json')
const inlineVersion = {
  name: 'inline-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]version\.js$/ }, () => ({ contents: `export const VERSION = ${JSON.stringify(version)}`, loader: 'js' }))
  },
}
// node:crypto costs several ms to load and the guard needs it only to fingerprint a finding; the
// bundle gets it (and node:zlib) through wrappers that load the real module on first call.
const { createRequire } = await import('node:module')
const nodeRequire = createRequire(import.meta.url)
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(crypto|zlib)$/ }, (args) => ({ path: args.path, namespace: 'lazy-builtin' }))
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const names = Object.keys(nodeRequire(args.path)).filter((name) => /^[a-z]\w*$/.test(name) && typeof nodeRequire(args.path)[name] === 'function')
      const load = `let m; const load = () => (m ??= process.getBuiltinModule(${JSON.stringify(args.path)}));`
      const wrappers = names.map((name) => `export function ${name}(...a) { return load().${name}(...a) }`)
      return { contents: [load, ...wrappers].join('\n'), loader: 'js' }
    })
  },
}
// Both fast entries (guard, scan) are bundled the same way: minified ESM chunks, nothing written
// until the files are post-processed by writeBundle.
const bundleOptions = {
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  write: false,
}
const bundled = await build({
  ...bundleOptions,
  plugins: [inlineVersion, lazyBuiltins],
  entryPoints: { guard: join(root, 'dist/fast/guard.js') },
  outdir: join(root, 'dist/guard'),
})
// CommonJS dependencies (micromatch) call require(): the chunk holding esbuild's require shim gets
// one, created on first call so that the clean-commit path does not pay for createRequire.
const requireBanner =
  "import { createRequire as __sentraCreateRequire } from 'node:module'; let __sentraRequire; const require = (id) => (__sentraRequire ??= __sentraCreateRequire(import.meta.url))(id);\n"
/**
 * Writes a bundle's files into `dir`. Each is written aside and renamed: a command running during the
 * build reads an old file or a new one, whole. Chunks of earlier builds (names carry a content hash)
 * are removed only then, so that a command run during the build never finds its files gone.
 */
function writeBundle(outputFiles, dir) {
  mkdirSync(dir, { recursive: true })
  for (const file of outputFiles) {
    writeFileSync(`${file.path}.tmp`, file.text.includes('Dynamic require of') ? requireBanner + file.text : file.text)
    renameSync(`${file.path}.tmp`, file.path)
  }
  const current = new Set(outputFiles.map((file) => basename(file.path)))
  for (const name of readdirSync(dir)) if (!current.has(name)) rmSync(join(dir, name), { force: true })
}
writeBundle(bundled.outputFiles, join(root, 'dist/guard'))

// The scan's fast entry (src/fast/scan.ts), bundled the same way: `sentra scan` in CI is mostly
// start-up. Modules find files relative to themselves (`new URL('./worker.js', import.meta.url)`: the
// worker threads, the pattern library, package.json); in the bundle those URLs are rewritten relative
// to dist/scan-entry/, so the worker pool starts dist/scan/worker.js as the unbundled scan does.
// oclif stays out: only the git-sourced scans load it (src/cli/git-scan.ts declares oclif flags).
const scanOutDir = join(root, 'dist/scan-entry')
const relocateUrls = {
  name: 'relocate-module-urls',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, (args) => {
      if (!args.path.startsWith(join(root, 'dist') + sep)) return undefined
      const text = readFileSync(args.path, 'utf8')
      if (!text.includes('import.meta.url')) return undefined
      let rewritten = 0
      const contents = text.replace(/new URL\((['"])(\.{1,2}\/[^'"]*)\1,\s*import\.meta\.url\)/g, (_, quote, target) => {
        rewritten++
        let moved = relative(scanOutDir, resolve(dirname(args.path), target)).split(sep).join('/')
        if (target.endsWith('/')) moved += '/'
        if (!moved.startsWith('.')) moved = `./${moved}`
        return `new URL(${JSON.stringify(moved)}, import.meta.url)`
      })
      // Any other use of import.meta.url would silently point into dist/scan-entry/.
      if (rewritten !== text.split('import.meta.url').length - 1) throw new Error(`${args.path}: import.meta.url used other than in new URL('./relative', import.meta.url)`)
      return { contents, loader: 'js', resolveDir: dirname(args.path) }
    })
  },
}
const scanBundle = await build({
  ...bundleOptions,
  plugins: [inlineVersion, lazyBuiltins, relocateUrls],
  entryPoints: { scan: join(root, 'dist/fast/scan.js') },
  outdir: scanOutDir,
  external: ['@oclif/core'],
})
writeBundle(scanBundle.outputFiles, scanOutDir)
