#!/usr/bin/env node
// Build: TypeScript to dist/, then the ajv schema validators compiled to standalone code so that
// loading patterns and config costs no schema compilation at run time.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
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
