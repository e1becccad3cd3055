import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { AgeDecryptError, type AgeFailure, type FileKeySource } from '../age.js'
import { fromBase64, toBase64 } from '../encoding.js'
import { VaultError } from '../errors.js'
import type { AgeIdentity } from '../identity.js'
import type { SignatureLabel } from '../signing.js'
import type { AgentRequest, AgentResponse } from './protocol.js'
import { agentSocketPath, preparePrivateDir } from './socket-path.js'

export function agentRequest(socketPath: string, request: AgentRequest, timeoutMs = 10_000): Promise<AgentResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new VaultError('the sentra agent did not answer', 'agent'))
    }, timeoutMs)
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('end', () => {
      clearTimeout(timer)
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as AgentResponse)
      } catch {
        reject(new VaultError('the sentra agent sent a malformed answer', 'agent'))
      }
    })
  })
}

export interface AgentStatus {
  socketPath: string
  recipient: string
  signingKey: string
  expires: string
}

/** The running agent's public status, or undefined when none answers (a stale socket counts as none). */
export async function agentStatus(env: NodeJS.ProcessEnv = process.env): Promise<AgentStatus | undefined> {
  const socketPath = agentSocketPath(env)
  if (!existsSync(socketPath)) return undefined
  try {
    const response = await agentRequest(socketPath, { op: 'hello' }, 3000)
    if (!response.ok || !('recipient' in response)) return undefined
    return { socketPath, recipient: response.recipient, signingKey: response.signingKey, expires: response.expires }
  } catch {
    return undefined
  }
}

/** A key held by the agent: it signs and recovers file keys, and never hands the identity out. */
export class AgentKey implements FileKeySource {
  constructor(
    readonly status: AgentStatus,
  ) {}

  get recipient(): string {
    return this.status.recipient
  }

  get signingKey(): string {
    return this.status.signingKey
  }

  async sign(label: SignatureLabel, message: Uint8Array): Promise<Uint8Array> {
    const response = await agentRequest(this.status.socketPath, { op: 'sign', label, message: toBase64(message) })
    const signature = response.ok && 'signature' in response ? fromBase64(response.signature, 64) : undefined
    if (!signature) throw new VaultError(`the sentra agent refused to sign: ${'error' in response ? response.error : 'bad answer'}`, 'agent')
    return signature
  }

  async fileKeyFor(header: Uint8Array): Promise<Uint8Array | null> {
    const response = await agentRequest(this.status.socketPath, { op: 'file-key', header: toBase64(header) })
    if (!response.ok) {
      if (response.failure && AGE_FAILURES.includes(response.failure as AgeFailure)) throw new AgeDecryptError(response.error, response.failure as AgeFailure)
      throw new VaultError(`the sentra agent could not read the file: ${response.error}`, 'agent')
    }
    if (!('fileKey' in response)) throw new VaultError('the sentra agent sent a malformed answer', 'agent')
    return response.fileKey === null ? null : (fromBase64(response.fileKey) ?? null)
  }
}

const AGE_FAILURES: AgeFailure[] = ['armor', 'header', 'no-match', 'hmac', 'payload']

const AGENT_MAIN = fileURLToPath(new URL('./main.js', import.meta.url))

/** Starts a detached agent holding `identity` for `lifetimeMs`; the identity goes over a pipe. */
export async function startAgent(identity: AgeIdentity, lifetimeMs: number, env: NodeJS.ProcessEnv = process.env): Promise<AgentStatus> {
  const socketPath = agentSocketPath(env)
  preparePrivateDir(socketPath)
  if (await agentStatus(env)) await stopAgent(env)
  const childEnv = { ...env }
  for (const name of ['SENTRA_IDENTITY', 'SENTRA_IDENTITY_FILE']) delete childEnv[name]
  const child = spawn(process.execPath, [AGENT_MAIN, socketPath, String(lifetimeMs)], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: childEnv,
    cwd: '/',
  })
  const ready = new Promise<void>((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new VaultError('the sentra agent did not start within 10 s', 'agent')), 10_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8')
      if (out.includes('ready\n')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new VaultError(`the sentra agent exited (${code}): ${err.trim().split('\n')[0] ?? ''}`, 'agent'))
    })
  })
  child.stdin!.end(`${identity.revealSecret()}\n`)
  try {
    await ready
  } finally {
    child.stdout!.destroy()
    child.stderr!.destroy()
    child.removeAllListeners('exit')
    child.unref()
  }
  const status = await agentStatus(env)
  if (!status) throw new VaultError('the sentra agent started but does not answer', 'agent')
  return status
}

/** Ends the running agent; true when one was running. */
export async function stopAgent(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const socketPath = agentSocketPath(env)
  if (!existsSync(socketPath)) return false
  try {
    await agentRequest(socketPath, { op: 'lock' }, 3000)
  } catch {
    return false
  }
  // The agent removes its socket as it exits; wait briefly so that a following command sees it gone.
  for (let i = 0; i < 50 && existsSync(socketPath); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  return true
}

/** Parses durations like 15m, 1h, 90s, 1h30m. */
export function parseDuration(text: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim())
  if (!match || text.trim() === '' || (!match[1] && !match[2] && !match[3])) {
    throw new VaultError(`not a duration: ${text} (use e.g. 15m, 1h, 90s, 1h30m)`, 'usage')
  }
  const ms = (Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0)) * 1000
  if (ms <= 0 || ms > 7 * 24 * 3600 * 1000) throw new VaultError('the duration must be between 1 s and 7 days', 'usage')
  return ms
}
