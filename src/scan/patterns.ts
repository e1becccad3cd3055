import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import validatePatternFile from '../generated/validate-patterns.js'
import type { RuleSpec } from './rule.js'
import { describeSchemaErrors } from './schema-errors.js'

/** The pattern library shipped with sentra. */
export const BUILTIN_PATTERNS_DIR = fileURLToPath(new URL('../../patterns/', import.meta.url))

export interface LoadedRule {
  spec: RuleSpec
  source: string
}

export class PatternError extends Error {}

/** Names a JSON pointer inside a pattern file after the rule it falls in: `rule "aws-access-key-id" (#3) /severity`. */
function pointerName(rules: unknown): (pointer: string) => string {
  return (pointer) => {
    const match = /^\/rules\/(\d+)(.*)$/.exec(pointer)
    if (!match) return pointer === '' ? 'file' : pointer
    const rule = Array.isArray(rules) ? (rules[Number(match[1])] as { id?: unknown } | undefined) : undefined
    const id = typeof rule?.id === 'string' ? `rule "${rule.id}"` : `rule #${match[1]}`
    return `${id}${match[2] ? ` ${match[2]}` : ''}`
  }
}

/** Validates one parsed pattern document; throws naming the file and rule on any error. */
export function validatePatternDocument(doc: unknown, source: string): RuleSpec[] {
  if (!validatePatternFile(doc)) {
    const rules = (doc as { rules?: unknown } | null)?.rules
    const lines = describeSchemaErrors(validatePatternFile.errors, pointerName(rules))
    throw new PatternError(`${source}: ${lines.join('; ')}`)
  }
  return (doc as { rules: RuleSpec[] }).rules
}

export function loadPatternFile(path: string, displayRoot = process.cwd()): LoadedRule[] {
  const source = relative(displayRoot, path) || path
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new PatternError(`${source}: ${(error as Error).message}`)
  }
  return validatePatternDocument(doc, source).map((spec) => ({ spec, source }))
}

/** Every `*.json` file of a pattern directory except the schema, in name order. */
export function loadPatternDir(dir = BUILTIN_PATTERNS_DIR): LoadedRule[] {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json') && name !== 'schema.json')
    .sort()
  return files.flatMap((name) => loadPatternFile(join(dir, name), join(dir, '..')))
}
