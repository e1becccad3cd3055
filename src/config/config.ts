import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import validateConfigFile from '../generated/validate-config.js'
import type { RuleSpec, Severity } from '../scan/rule.js'
import { describeSchemaErrors } from '../scan/schema-errors.js'

export const CONFIG_PATH = '.sentra/config.json'

export interface RuleOverride {
  severity?: Severity
  entropy?: number
  allowPaths?: string[]
  stopwords?: string[]
  allowRegexes?: string[]
}

/** `.sentra/config.json`: the scanner's settings, validated against schemas/config.schema.json. */
export interface SentraConfig {
  version?: 1
  fingerprintSalt?: string
  rules?: RuleSpec[]
  disabledRules?: string[]
  ruleOverrides?: Record<string, RuleOverride>
  minSeverity?: Severity
  allowlist?: { paths?: string[]; regexes?: string[]; stopwords?: string[] }
  fixtures?: string[]
  scan?: { maxFileSize?: number; includeLockfiles?: boolean; includeSourceMaps?: boolean }
}

export class ConfigError extends Error {}

export function validateConfig(doc: unknown, source: string): SentraConfig {
  if (!validateConfigFile(doc)) {
    const lines = describeSchemaErrors(validateConfigFile.errors, (pointer) => (pointer === '' ? 'top level' : pointer))
    throw new ConfigError(`${source}: ${lines.join('; ')}`)
  }
  return doc as SentraConfig
}

/**
 * Reads the config at `file`. A missing file is an error (a config named with --config must exist),
 * unless `missingIsEmpty` (a target that an import creates); a broken one is always an error.
 */
export function loadConfigFile(file: string, source = file, options: { missingIsEmpty?: boolean } = {}): SentraConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (options.missingIsEmpty) return {}
      throw new ConfigError(`${source}: no such config file`)
    }
    throw new ConfigError(`${source}: cannot read: ${(error as Error).message}`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`${source}: not valid JSON: ${(error as Error).message}`)
  }
  return validateConfig(doc, source)
}

/** The config of a repository (or directory): `<root>/.sentra/config.json`, if present. */
export function loadConfig(root: string): { config: SentraConfig; path?: string } {
  const path = join(root, CONFIG_PATH)
  if (!existsSync(path)) return { config: {} }
  return { config: loadConfigFile(path, CONFIG_PATH), path }
}
