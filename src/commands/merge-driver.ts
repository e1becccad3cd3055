import { Args } from '@oclif/core'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { findRepoRoot } from '../git/repo.js'
import { runMergeDriver } from '../vault/values/merge-driver.js'
import { openKeyQuietly } from '../vault/values/quiet-key.js'

export default class MergeDriver extends SentraCommand {
  static override summary = 'The git merge driver for per-value encrypted files (git runs it; `sentra init` registers it).'
  static override description = `git runs \`sentra merge-driver %O %A %B %P\` for paths marked merge=sentra in .gitattributes: the
common ancestor, our version (where the result goes), their version, and the path.

It verifies the versions against the team manifests of both sides (HEAD and MERGE_HEAD, REBASE_HEAD or
CHERRY_PICK_HEAD), and when both sides share a data key (same file id and DEK commitment) it merges
key by key with no decryption at all: a key changed on one side takes that side's ciphertext. The
result is signed with your key. Exit 0 means merged; 1 leaves a conflict, with a message saying why
and what to do:
  - the same key changed on both sides (the file is merged, with our value for that key: fix it with
    \`sentra set\` or \`sentra edit\`, then git add);
  - one side rotated the data key, or a side is not validly signed (the file is left as ours);
  - no unlocked key (run \`sentra unlock\`), or you may not write the path.
Where git does not know the driver (a fresh clone before \`sentra init\`, a merge in a web UI) it
merges the file as text: \`sentra guard\` and \`sentra verify\` then report the damage and the fix.`

  static override examples = [{ command: 'git config merge.sentra.driver "sentra merge-driver %O %A %B %P"', description: 'What `sentra init` sets up (with absolute paths).' }]

  static override args = {
    base: Args.string({ description: 'The common ancestor (%O).', required: true }),
    ours: Args.string({ description: 'Our version, replaced by the result (%A).', required: true }),
    theirs: Args.string({ description: 'Their version (%B).', required: true }),
    path: Args.string({ description: 'The path in the repository (%P).', required: true }),
  }

  async run(): Promise<void> {
    const { args } = await this.parse(MergeDriver)
    const repoRoot = findRepoRoot(process.cwd())
    if (!repoRoot) throw new UserError('the merge driver runs inside a git repository')
    const warn = (message: string) => process.stderr.write(`sentra: warning: ${message}\n`)
    const code = await runMergeDriver({
      repoRoot,
      base: args.base,
      ours: args.ours,
      theirs: args.theirs,
      path: args.path,
      openKey: () => openKeyQuietly(process.env, warn),
      log: (message) => process.stderr.write(`${message}\n`),
    })
    this.exit(code)
  }
}
