import { readFileSync } from 'node:fs'
import { VaultError } from './errors.js'

/**
 * Asks for passphrases: on a terminal with echo off; otherwise one per line of standard input
 * (like `sudo -S`), in the order they are asked for, so scripts and tests can pipe them in.
 */
export interface PassphraseReader {
  read(prompt: string, options?: { confirm?: boolean }): Promise<string>
}

export function createPassphraseReader(stdin: NodeJS.ReadStream = process.stdin, stderr: NodeJS.WriteStream = process.stderr): PassphraseReader {
  if (stdin.isTTY) return new TerminalReader(stdin, stderr)
  return new PipedReader()
}

class PipedReader implements PassphraseReader {
  #lines: string[] | undefined

  async read(prompt: string): Promise<string> {
    if (!this.#lines) {
      let text = ''
      try {
        text = readFileSync(0, 'utf8')
      } catch {
        text = ''
      }
      this.#lines = text.split(/\r?\n/)
      if (this.#lines.at(-1) === '') this.#lines.pop()
    }
    const line = this.#lines.shift()
    if (line === undefined || line === '') {
      throw new VaultError(`${prompt.replace(/:\s*$/, '')} needed: run in a terminal, or give it as a line on standard input`, 'passphrase-missing')
    }
    return line
  }
}

class TerminalReader implements PassphraseReader {
  constructor(
    private readonly stdin: NodeJS.ReadStream,
    private readonly stderr: NodeJS.WriteStream,
  ) {}

  async read(prompt: string, options: { confirm?: boolean } = {}): Promise<string> {
    const first = await this.once(prompt)
    if (first === '') throw new VaultError('the passphrase must not be empty', 'passphrase-missing')
    if (options.confirm) {
      const second = await this.once('Repeat the passphrase: ')
      if (second !== first) throw new VaultError('the passphrases do not match', 'passphrase-mismatch')
    }
    return first
  }

  private once(prompt: string): Promise<string> {
    const { stdin, stderr } = this
    stderr.write(prompt)
    return new Promise((resolve, reject) => {
      let value = ''
      const wasRaw = stdin.isRaw
      stdin.setRawMode(true)
      stdin.resume()
      const finish = (error?: Error) => {
        stdin.off('data', onData)
        stdin.setRawMode(wasRaw)
        stdin.pause()
        stderr.write('\n')
        if (error) reject(error)
        else resolve(value)
      }
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') return finish()
          if (char === '\u0003') return finish(new VaultError('interrupted', 'interrupted'))
          if (char === '\u0004' && value === '') return finish()
          if (char === '\u007f' || char === '\b') value = value.slice(0, -1)
          else if (char >= ' ') value += char
        }
      }
      stdin.on('data', onData)
    })
  }
}
