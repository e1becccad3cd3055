import { chmodSync, existsSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { AgeDecryptError, fileKeyFromHeader } from '../age.js'
import { fromBase64, toBase64 } from '../encoding.js'
import { AgeIdentity } from '../identity.js'
import { isSignatureLabel } from '../signing.js'
import { MAX_REQUEST_BYTES, type AgentRequest, type AgentResponse } from './protocol.js'
import { preparePrivateDir } from './socket-path.js'

export interface AgentServer {
  server: Server
  close(): Promise<void>
}

/**
 * Holds one unlocked identity in memory and answers over a 0600 unix socket: it signs (with the
 * label the caller names, which it prefixes itself) and recovers age file keys from headers. It
 * never sends the identity. It stops at `expiresAt` or on a `lock` request.
 */
export async function startAgentServer(options: { identity: AgeIdentity; socketPath: string; expiresAt: Date; onStop?: () => void }): Promise<AgentServer> {
  const { identity, socketPath, expiresAt } = options
  preparePrivateDir(socketPath)
  if (existsSync(socketPath)) rmSync(socketPath, { force: true })
  let stopping = false
  const server = createServer((socket) => handle(socket))
  const stop = async () => {
    if (stopping) return
    stopping = true
    clearTimeout(timer)
    await new Promise<void>((resolve) => server.close(() => resolve()))
    rmSync(socketPath, { force: true })
    options.onStop?.()
  }
  const timer = setTimeout(() => void stop(), Math.max(0, expiresAt.getTime() - Date.now()))
  timer.unref?.()

  async function answer(request: AgentRequest): Promise<AgentResponse> {
    switch (request.op) {
      case 'hello':
        return { ok: true, recipient: identity.recipient, signingKey: identity.signingPublicKey, expires: expiresAt.toISOString() }
      case 'sign': {
        if (!isSignatureLabel(request.label)) return { ok: false, error: 'unknown signature label' }
        const message = typeof request.message === 'string' ? fromBase64(request.message) : undefined
        if (!message) return { ok: false, error: 'message must be base64' }
        return { ok: true, signature: toBase64(identity.signingKey.sign(request.label, message)) }
      }
      case 'file-key': {
        const header = typeof request.header === 'string' ? fromBase64(request.header) : undefined
        if (!header) return { ok: false, error: 'header must be base64' }
        try {
          const fileKey = await fileKeyFromHeader(header, [identity])
          return { ok: true, fileKey: fileKey ? toBase64(fileKey) : null }
        } catch (error) {
          return { ok: false, error: (error as Error).message, ...(error instanceof AgeDecryptError ? { failure: error.failure } : {}) }
        }
      }
      case 'lock':
        return { ok: true }
      default:
        return { ok: false, error: 'unknown request' }
    }
  }

  function handle(socket: Socket): void {
    const chunks: Buffer[] = []
    let size = 0
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_REQUEST_BYTES) {
        socket.end(`${JSON.stringify({ ok: false, error: 'request too large' })}\n`)
        socket.destroy()
        return
      }
      chunks.push(chunk)
      if (!chunk.includes(0x0a)) return
      socket.pause()
      const line = Buffer.concat(chunks).toString('utf8').split('\n')[0]!
      let request: AgentRequest
      try {
        request = JSON.parse(line) as AgentRequest
      } catch {
        socket.end(`${JSON.stringify({ ok: false, error: 'bad request' })}\n`)
        return
      }
      void answer(request).then((response) => {
        socket.end(`${JSON.stringify(response)}\n`)
        if (request.op === 'lock') socket.on('close', () => void stop())
      })
    })
    socket.on('error', () => socket.destroy())
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    // umask applies to the socket file; chmod right after listen closes the gap for other users,
    // and the 0700 directory already keeps them out.
    server.listen(socketPath, () => {
      chmodSync(socketPath, 0o600)
      resolve()
    })
  })
  return { server, close: stop }
}
