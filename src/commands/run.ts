import { Flags } from '@oclif/core'
import { constants as osConstants } from 'node:os'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { VaultContext } from '../vault/context.js'
import { privateDir } from '../vault/values/private-dir.js'
import { childEnvironment, parseAsFile, runChild, variablesOf } from '../vault/values/run-env.js'
import { openSession } from '../vault/values/session.js'

export default class Run extends SentraCommand {
  static override summary = 'Run a command with the decrypted values of per-value files in its environment.'
  static override description = `Decrypts each --env-file (verified and checked as \`sentra decrypt\` does) and runs the command with
their values as environment variables: every key of a dotenv file, the top-level keys of a JSON or
YAML file (nested values are skipped, with a notice). Later files override earlier ones, and both
override the inherited environment. Nothing is written to disk.

--as-file VAR=KEY hands the value of KEY over as a file instead (for credentials files such as a
service-account JSON): written with mode 0600 in a private 0700 directory on a memory file system
($XDG_RUNTIME_DIR or /dev/shm), its path put in VAR, removed when the command ends.

sentra's own variables (SENTRA_IDENTITY, SENTRA_IDENTITY_FILE, SENTRA_AGENT_SOCK) are removed from
the command's environment. The command's exit code is sentra's; if a signal ends it, sentra ends with
the same signal; signals sentra receives (Ctrl-C, SIGTERM, SIGHUP…) are passed to the command.`

  static override examples = [
    { command: '<%= config.bin %> run -f .env.production -- node server.js', description: 'Start a server with the production values.' },
    { command: '<%= config.bin %> run -f .env -f .env.local -- npm test', description: 'Several files: later ones win.' },
    { command: '<%= config.bin %> run -f .env.production --as-file GOOGLE_APPLICATION_CREDENTIALS=GCP_SA_JSON -- terraform plan', description: 'A credentials file.' },
  ]

  static override strict = false

  static override flags = {
    'env-file': Flags.string({ char: 'f', description: 'Encrypted per-value file whose values to pass (repeatable).', multiple: true, required: true }),
    'as-file': Flags.string({ description: 'VAR=KEY: give the value of KEY as a 0600 file on tmpfs, its path in VAR (repeatable).', multiple: true }),
  }

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Run)
    const command = argv as string[]
    if (command.length === 0) throw new UserError('no command to run: sentra run -f FILE -- COMMAND [ARGS…]')
    const ctx = new VaultContext()
    const variables = new Map<string, string>()
    for (const file of flags['env-file']) {
      const session = await openSession(ctx, file)
      const found = variablesOf(session.format, session.opened.values)
      if (found.skipped.length > 0) ctx.notice(`${session.path}: not passed as variables (nested, or not a valid name): ${found.skipped.join(', ')}`)
      for (const [name, value] of found.variables) variables.set(name, value)
    }
    const asFiles = (flags['as-file'] ?? []).map(parseAsFile)
    const dir = asFiles.length > 0 ? privateDir(ctx.env, 'sentra-run-') : undefined
    if (dir?.onDisk) ctx.warn(`no memory file system ($XDG_RUNTIME_DIR or /dev/shm): --as-file values are written under ${dir.path}`)
    const removeOnExit = () => dir?.remove()
    process.on('exit', removeOnExit)
    let outcome: Awaited<ReturnType<typeof runChild>>
    try {
      const env = childEnvironment(process.env, variables, asFiles, dir?.path)
      variables.clear()
      outcome = await runChild(command[0]!, command.slice(1), env)
    } finally {
      dir?.remove()
      process.off('exit', removeOnExit)
    }
    if (outcome.signal) {
      const number = osConstants.signals[outcome.signal] ?? 0
      // End the same way the command did, so that callers see the signal (node keeps SIGUSR1 for its
      // inspector, and some signals do not end a process: those give the shell's 128 + n instead).
      if (!['SIGUSR1', 'SIGWINCH', 'SIGCHLD', 'SIGCONT', 'SIGURG'].includes(outcome.signal)) {
        process.kill(process.pid, outcome.signal)
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
      this.exit(128 + number)
    }
    this.exit(outcome.code ?? 1)
  }
}
