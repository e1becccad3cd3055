import { SentraCommand } from '../cli/base.js'
import { stopAgent } from '../vault/agent/client.js'

export default class Lock extends SentraCommand {
  static override summary = 'End the agent started by `sentra unlock`: your key leaves memory.'
  static override description = 'Stops the running agent, which forgets the key and removes its socket. Nothing happens when no agent runs.'
  static override examples = [{ command: '<%= config.bin %> lock', description: 'Forget the unlocked key now.' }]

  async run(): Promise<void> {
    await this.parse(Lock)
    const stopped = await stopAgent()
    process.stdout.write(stopped ? 'Locked: the agent has stopped.\n' : 'No agent was running.\n')
  }
}
