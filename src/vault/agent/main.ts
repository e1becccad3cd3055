/**
 * Entry point of the agent process started by `sentra unlock`: reads the identity from its stdin
 * (never argv or the environment, which other users can see in /proc), serves the socket, and says
 * "ready" on stdout. Arguments: socket path, lifetime in milliseconds.
 */
import { AgeIdentity } from '../identity.js'
import { startAgentServer } from './server.js'

async function main(): Promise<void> {
  const [socketPath, lifetime] = process.argv.slice(2)
  const ms = Number(lifetime)
  if (!socketPath || !Number.isFinite(ms) || ms <= 0) {
    process.stderr.write('usage: main.js SOCKET MILLISECONDS (identity on stdin)\n')
    process.exit(2)
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const identity = AgeIdentity.parse(Buffer.concat(chunks).toString('utf8'))
  chunks.length = 0
  const agent = await startAgentServer({ identity, socketPath, expiresAt: new Date(Date.now() + ms), onStop: () => process.exit(0) })
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void agent.close())
  process.stdout.write('ready\n')
  process.stdout.end()
}

main().catch((error: unknown) => {
  process.stderr.write(`sentra agent: ${(error as Error).message}\n`)
  process.exit(2)
})
