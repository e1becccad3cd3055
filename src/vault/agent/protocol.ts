/**
 * The agent speaks newline-terminated JSON, one request and one response per connection. Byte
 * strings travel in base64. The identity itself is never part of any response.
 */
export type AgentRequest =
  | { op: 'hello' }
  | { op: 'sign'; label: string; message: string }
  | { op: 'file-key'; header: string }
  | { op: 'lock' }

export type AgentResponse =
  | { ok: true; recipient: string; signingKey: string; expires: string }
  | { ok: true; signature: string }
  | { ok: true; fileKey: string | null }
  | { ok: true }
  | { ok: false; error: string; /** For file-key: how the age header failed (see AgeFailure). */ failure?: string }

/** Upper bound for one request: signed messages are whole files, headers are small. */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024
