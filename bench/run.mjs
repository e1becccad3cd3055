// npm run bench: every benchmark in turn. Figures are ratios to baselines measured in the same run.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './lib.mjs'

for (const name of ['scan.mjs', 'guard.mjs', 'history.mjs']) {
  const path = join(ROOT, 'bench', name)
  if (existsSync(path)) await import(path)
}
