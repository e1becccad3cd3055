import { spawn } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN } from '../helpers/cli.js'
import { cleanupTemp, git, tempDir } from '../helpers/repo.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { appendOperation } from '../../src/vault/team.js'
import { commitAll, ok, person, run, runAsync, teamRepo, type Person } from './support.js'

/** get, set, edit, run and mv on a real repository, through the CLI, with real child processes and editors. */
afterAll(cleanupTemp)

let alice: Person
let bob: Person
let repo: string

const ENV = '# production\nDB_PASSWORD=hunter2-Prod-9f8e7d\nexport API_KEY="two words \\"quoted\\""\nGCP_SA_JSON=\'{"type":"service_account","private_key_id":"k1"}\'\nPUBLIC_URL_unencrypted=https://example.invalid\n'
const YAML = 'db:\n  password: s3cr3t-Value\n  port: 5432\n  hosts:\n    - a.internal\n    - b.internal\nname: app\n'

const read = (path: string) => readFileSync(join(repo, path), 'utf8')
const tokens = (text: string) => new Map([...text.matchAll(/^(?:export )?([A-Z_]+)=(ENC\[[^\]]+\])/gm)].map((m) => [m[1]!, m[2]!]))

beforeAll(async () => {
  alice = person('alice')
  bob = person('bob')
  ;({ repo } = await teamRepo(alice, [{ person: bob }]))
  const signer = new LocalKey(alice.identity, 'env-file')
  await appendOperation({ repoRoot: repo, env: alice.env, signer }, () => ({ type: 'manage', glob: '.env.*', format: 'dotenv', plainKeys: ['*_unencrypted'] }))
  writeFileSync(join(repo, '.env.production'), ENV)
  writeFileSync(join(repo, 'app.yaml'), YAML)
  writeFileSync(join(repo, 'app.json'), '{\n  "token": "json-Secret-123",\n  "nested": {"n": 1}\n}\n')
  writeFileSync(join(repo, '.env.run'), ENV)
  await Promise.all(['.env.production', 'app.yaml', 'app.json', '.env.run'].map(async (path) => ok(await runAsync(alice, repo, ['encrypt', path]))))
  commitAll(repo, 'encrypted')
})

describe('get', () => {
  it('prints one value as a program sees it, for dotenv, YAML and JSON paths', async () => {
    const [password, apiKey, port, host, json, missing, mapping] = await Promise.all([
      runAsync(bob, repo, ['get', '.env.production', 'DB_PASSWORD']),
      runAsync(bob, repo, ['get', '.env.production', 'API_KEY', '-n']),
      runAsync(bob, repo, ['get', 'app.yaml', 'db.port']),
      runAsync(bob, repo, ['get', 'app.yaml', '["db", "hosts", 1]']),
      runAsync(bob, repo, ['get', 'app.json', 'nested.n']),
      runAsync(bob, repo, ['get', '.env.production', 'NOPE']),
      runAsync(bob, repo, ['get', 'app.yaml', 'db']),
    ])
    expect(ok(password).stdout).toBe('hunter2-Prod-9f8e7d\n')
    expect(ok(apiKey).stdout).toBe('two words "quoted"')
    expect(ok(port).stdout).toBe('5432\n')
    expect(ok(host).stdout).toBe('b.internal\n')
    expect(ok(json).stdout).toBe('1\n')
    expect(missing.status).toBe(2)
    expect(missing.stderr).toMatch(/\.env\.production has no key NOPE/)
    expect(mapping.stderr).toMatch(/db holds a mapping or a list, not one value/)
  })
})

describe('set', () => {
  it('changes one value from stdin: only its ciphertext changes, and the file is signed again', async () => {
    const before = tokens(read('.env.production'))
    ok(run(bob, repo, ['set', '.env.production', 'DB_PASSWORD'], 'new-Password-42\n'))
    const after = tokens(read('.env.production'))
    expect(after.get('DB_PASSWORD')).not.toBe(before.get('DB_PASSWORD'))
    for (const key of ['API_KEY', 'GCP_SA_JSON']) expect(after.get(key)).toBe(before.get(key))
    expect(ok(run(alice, repo, ['get', '.env.production', 'DB_PASSWORD'])).stdout).toBe('new-Password-42\n')
    expect(read('.env.production')).toContain(`signer="${bob.identity.signingPublicKey}"`)
    // A new key is added at the end of the body; a value with spaces and quotes is quoted for dotenv.
    ok(run(bob, repo, ['set', '.env.production', 'NEW_KEY'], `it's "new"`))
    expect(ok(run(alice, repo, ['decrypt', '.env.production'])).stdout).toMatch(/PUBLIC_URL_unencrypted=https:\/\/example\.invalid\nNEW_KEY="it's \\"new\\""\n$/)
    expect(ok(run(alice, repo, ['get', '.env.production', 'NEW_KEY'])).stdout).toBe(`it's "new"\n`)
    // A plain key stays in clear.
    ok(run(bob, repo, ['set', '.env.production', 'PUBLIC_URL_unencrypted'], 'https://new.example.invalid\n'))
    expect(read('.env.production')).toContain('PUBLIC_URL_unencrypted=https://new.example.invalid\n')
    expect(ok(run(bob, repo, ['verify'])).status).toBe(0)
  })

  it('sets typed YAML values and adds top-level JSON keys', () => {
    const before = read('app.yaml')
    ok(run(bob, repo, ['set', 'app.yaml', 'db.port', '--type', 'int'], '5433'))
    const after = read('app.yaml')
    expect(after).toMatch(/port: "ENC\[sentra:v1,int,/)
    expect(after.match(/password: "[^"]+"/)![0]).toBe(before.match(/password: "[^"]+"/)![0])
    expect(ok(run(alice, repo, ['decrypt', 'app.yaml'])).stdout).toBe(YAML.replace('5432', '5433'))
    const bad = run(bob, repo, ['set', 'app.yaml', 'db.port', '--type', 'int'], 'five')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/"int" values look like 42: the value given is not one/)
    ok(run(bob, repo, ['set', 'app.json', 'added'], 'added-Value-1'))
    expect(ok(run(alice, repo, ['decrypt', 'app.json'])).stdout).toBe('{\n  "token": "json-Secret-123",\n  "nested": {"n": 1},\n  "added": "added-Value-1"\n}\n')
    expect(run(bob, repo, ['set', 'app.json', 'nested.new'], 'x').stderr).toMatch(/`set` adds top-level keys only/)
  })
})

describe('edit', () => {
  function editor(script: string): string {
    const dir = tempDir('sentra-editor-')
    const file = join(dir, 'editor.sh')
    writeFileSync(file, `#!/bin/sh\nset -e\n${script}\n`)
    chmodSync(file, 0o755)
    return file
  }

  it('opens $EDITOR on a private tmpfs copy, re-encrypts only what changed, and removes the copy', () => {
    const log = join(tempDir('sentra-log-'), 'log')
    // The last argument is the file; the editor records where it was and its modes, then edits one value.
    const script = editor(`for f; do :; done\necho "$f" > ${log}\nstat -c '%a' "$f" >> ${log}\nstat -c '%a' "$(dirname "$f")" >> ${log}\nsed -i 's/^export API_KEY=.*/export API_KEY=edited-Key-77/' "$f"\n`)
    const before = tokens(read('.env.production'))
    const result = ok(run({ ...bob, env: { ...bob.env, EDITOR: script, VISUAL: '' } }, repo, ['edit', '.env.production']))
    expect(result.stderr).toMatch(/\.env\.production re-encrypted and signed/)
    const [path, fileMode, dirMode] = readFileSync(log, 'utf8').trim().split('\n')
    expect(path!.startsWith(`${bob.env.XDG_RUNTIME_DIR}/sentra-edit-`)).toBe(true)
    expect(path!.endsWith('/.env.production')).toBe(true)
    expect([fileMode, dirMode]).toEqual(['600', '700'])
    expect(existsSync(path!)).toBe(false)
    expect(readdirSync(bob.env.XDG_RUNTIME_DIR!).filter((name) => name.startsWith('sentra-edit-'))).toEqual([])
    const after = tokens(read('.env.production'))
    expect(after.get('API_KEY')).not.toBe(before.get('API_KEY'))
    expect(after.get('DB_PASSWORD')).toBe(before.get('DB_PASSWORD'))
    expect(ok(run(alice, repo, ['get', '.env.production', 'API_KEY'])).stdout).toBe('edited-Key-77\n')
  })

  it('leaves the file alone when nothing changed or the editor fails, and cleans up when killed', async () => {
    const before = read('.env.production')
    const noop = ok(run({ ...bob, env: { ...bob.env, EDITOR: editor('true'), VISUAL: '' } }, repo, ['edit', '.env.production']))
    expect(noop.stderr).toMatch(/no changes/)
    const failing = run({ ...bob, env: { ...bob.env, EDITOR: editor('for f; do :; done\necho "X=1" >> "$f"\nexit 3'), VISUAL: '' } }, repo, ['edit', '.env.production'])
    expect(failing.status).toBe(2)
    expect(failing.stderr).toMatch(/the editor exited with status 3/)
    // sentra itself is killed while the editor runs (sh -> editor; sentra is the shell's parent).
    const killer = editor('kill -TERM "$(ps -o ppid= -p $PPID | tr -d " ")"\nsleep 5')
    const killed = await runAsync({ ...bob, env: { ...bob.env, EDITOR: killer, VISUAL: '' } }, repo, ['edit', '.env.production'])
    expect(killed.status).toBe(143)
    expect(read('.env.production')).toBe(before)
    expect(readdirSync(bob.env.XDG_RUNTIME_DIR!).filter((name) => name.startsWith('sentra-edit-'))).toEqual([])
  })
})

describe('run', () => {
  interface RunResult {
    status: number | null
    signal: NodeJS.Signals | null
    stdout: string
    stderr: string
  }

  /** Starts `sentra run` as a child; `onStdout` sees its output as it comes. */
  function sentraRun(args: string[], onStdout?: (text: string, pid: number) => void): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'run', ...args], { cwd: repo, env: { ...process.env, ...bob.env, SENTRA_AGENT_SOCK: '/tmp/not-a-socket' } })
      // Never hang the suite: a run that does not end in 30 s is killed (and the test fails on its result).
      const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
      child.on('close', () => clearTimeout(guard))
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        onStdout?.(stdout, child.pid!)
      })
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }))
    })
  }

  it('gives a real child process the values, without sentra\'s own variables', async () => {
    const script = 'const e = process.env; console.log(JSON.stringify({ p: e.DB_PASSWORD, k: e.API_KEY, u: e.PUBLIC_URL_unencrypted, n: e.name, id: e.SENTRA_IDENTITY_FILE ?? null, sock: e.SENTRA_AGENT_SOCK ?? null, home: e.HOME }))'
    const result = await sentraRun(['-f', '.env.run', '-f', 'app.yaml', '--', process.execPath, '-e', script])
    expect(result.status, result.stderr).toBe(0)
    const seen = JSON.parse(result.stdout) as Record<string, string | null>
    expect(seen).toEqual({ p: 'hunter2-Prod-9f8e7d', k: 'two words "quoted"', u: 'https://example.invalid', n: 'app', id: null, sock: null, home: bob.env.HOME })
    expect(result.stderr).toMatch(/app\.yaml: not passed as variables \(nested, or not a valid name\): db\.password, db\.port, db\.hosts\.0, db\.hosts\.1/)
  })

  it('passes exit codes and signals through, both ways', async () => {
    const exit = await sentraRun(['-f', '.env.run', '--', 'sh', '-c', 'exit 7'])
    expect(exit.status).toBe(7)
    const killedChild = await sentraRun(['-f', '.env.run', '--', 'sh', '-c', 'kill -TERM $$'])
    expect(killedChild.signal).toBe('SIGTERM')
    const missing = await sentraRun(['-f', '.env.run', '--', 'no-such-command-sentra'])
    expect(missing.status).toBe(127)
    // A signal sent to sentra (not to its process group) reaches the command, which reports it and exits 0.
    let sent = false
    const forwarded = await sentraRun(['-f', '.env.run', '--', 'sh', '-c', "trap 'echo got-TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done"], (text, pid) => {
      if (!sent && text.includes('ready')) {
        sent = true
        process.kill(pid, 'SIGTERM')
      }
    })
    expect(forwarded.stdout).toBe('ready\ngot-TERM\n')
    expect(forwarded.status).toBe(0)
  })

  it('hands a value over as a 0600 file on tmpfs with --as-file, removed afterwards', async () => {
    const script = 'const fs = require("fs"); const p = process.env.CREDS; console.log(JSON.stringify({ p, mode: (fs.statSync(p).mode & 0o777).toString(8), dir: (fs.statSync(require("path").dirname(p)).mode & 0o777).toString(8), body: fs.readFileSync(p, "utf8"), inEnv: process.env.GCP_SA_JSON ?? null }))'
    const result = await sentraRun(['-f', '.env.run', '--as-file', 'CREDS=GCP_SA_JSON', '--', process.execPath, '-e', script])
    expect(result.status, result.stderr).toBe(0)
    const seen = JSON.parse(result.stdout) as { p: string; mode: string; dir: string; body: string; inEnv: string | null }
    expect(seen.p.startsWith(`${bob.env.XDG_RUNTIME_DIR}/sentra-run-`)).toBe(true)
    expect([seen.mode, seen.dir]).toEqual(['600', '700'])
    expect(seen.body).toBe('{"type":"service_account","private_key_id":"k1"}')
    expect(seen.inEnv).toBeNull()
    expect(existsSync(seen.p)).toBe(false)
    const bad = await sentraRun(['-f', '.env.run', '--as-file', 'CREDS=NOPE', '--', 'true'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/no value named NOPE/)
  })
})

describe('mv', () => {
  it('moves a file and signs it for its new path; a plain copy is refused', async () => {
    commitAll(repo, 'before mv')
    writeFileSync(join(repo, '.env.staging'), 'STAGING=staging-Value-1\n')
    ok(run(alice, repo, ['encrypt', '.env.staging']))
    commitAll(repo, 'staging')
    ok(run(bob, repo, ['mv', '.env.staging', '.env.preview']))
    expect(existsSync(join(repo, '.env.staging'))).toBe(false)
    expect(git(repo, ['status', '--porcelain'])).toMatch(/^R {2}\.env\.staging -> \.env\.preview$/m)
    expect(read('.env.preview')).toContain('path=".env.preview"')
    expect(ok(run(alice, repo, ['decrypt', '.env.preview'])).stdout).toBe('STAGING=staging-Value-1\n')
    expect(ok(run(alice, repo, ['verify'])).status).toBe(0)
    expect(run(bob, repo, ['mv', '.env.preview', '.env.production']).stderr).toMatch(/\.env\.production exists: pass --force/)
  })
})
