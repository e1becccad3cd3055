import { Args } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { SentraCommand } from '../cli/base.js'
import { findRepoRoot } from '../git/repo.js'
import type { TeamState } from '../vault/manifest/state.js'
import { loadTrustedTeam } from '../vault/manifest/trust.js'
import { openKeyQuietly } from '../vault/values/quiet-key.js'
import { textconv } from '../vault/values/textconv.js'

export default class Textconv extends SentraCommand {
  static override summary = 'The git diff textconv driver: shows per-value encrypted files decrypted in `git diff` and `git log -p`.'
  static override description = `git runs \`sentra textconv FILE\` for paths marked diff=sentra in .gitattributes (\`sentra init\` registers
it, never with cachetextconv, which would store plaintext in git notes). Members see decrypted diffs;
anyone else sees the file as it is. It never prompts (a passphrase-protected key needs \`sentra unlock\`)
and never fails, since a failing textconv stops the diff.

git hands the driver a temporary copy of each version, so the version's real path is not known:
textconv checks the signature against the path the file itself names, and cannot check that the
file really sits at that path (\`sentra verify\` and \`sentra decrypt\` do). A version whose signature
does not verify is shown with a WARNING line on top.`

  static override examples = [{ command: 'git diff HEAD~1 -- .env.production', description: 'With the driver registered, shows the decrypted change.' }]

  static override args = {
    file: Args.string({ description: 'The file git hands over.', required: true }),
  }

  async run(): Promise<void> {
    const { args } = await this.parse(Textconv)
    const text = readFileSync(args.file, 'utf8')
    const repoRoot = findRepoRoot(process.cwd())
    let state: TeamState | undefined
    try {
      state = repoRoot ? loadTrustedTeam({ repoRoot, purpose: 'read' }).state : undefined
    } catch {
      state = undefined
    }
    const warn = (message: string) => process.stderr.write(`sentra: warning: ${message}\n`)
    const result = await textconv(text, state, () => openKeyQuietly(process.env, warn))
    if (result.note) process.stderr.write(`sentra: ${result.note}\n`)
    await new Promise<void>((done, fail) => process.stdout.write(result.text, (error) => (error ? fail(error) : done())))
  }
}
