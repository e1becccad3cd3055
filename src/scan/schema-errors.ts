import type { ErrorObject } from 'ajv'

/** Turns ajv errors into precise, readable lines: where, and what is wrong there. */
export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined, name: (path: string) => string): string[] {
  if (!errors || errors.length === 0) return ['invalid']
  const lines = new Set<string>()
  for (const error of errors) {
    // oneOf/anyOf wrappers repeat what their branches already said.
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf' || error.keyword === 'if') continue
    const where = name(error.instancePath)
    let what = error.message ?? 'is invalid'
    if (error.keyword === 'additionalProperties') what = `unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"`
    else if (error.keyword === 'enum') what = `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
    lines.add(`${where}: ${what}`)
  }
  return [...lines]
}
