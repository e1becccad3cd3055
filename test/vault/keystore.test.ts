import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateHybridIdentity } from 'age-encryption'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSecretService, type SecretService } from '../helpers/secret-service.js'
import { cleanupTemp, tempDir, tempRepo } from '../helpers/repo.js'
import { AgeIdentity } from '../../src/vault/identity.js'
import { ok, run, runAsync, sandbox, type Sandbox } from './support.js'

/** Key storage for real: a headless Secret Service, passphrase files readable by `age -d`, env vars. */
let service: SecretService
let keyring: Sandbox

beforeAll(async () => {
  keyring = sandbox()
  service = await startSecretService(keyring.dir)
  keyring.env = { ...keyring.env, DBUS_SESSION_BUS_ADDRESS: service.env.DBUS_SESSION_BUS_ADDRESS, XDG_DATA_HOME: service.env.XDG_DATA_HOME }
})

afterAll(async () => {
  await service?.stop()
  cleanupTemp()
})

function keyFile(identity = AgeIdentity.generate()): { identity: AgeIdentity; file: string } {
  const file = join(tempDir(), 'key.txt')
  writeFileSync(file, identity.toIdentityFile(), { mode: 0o600 })
  return { identity, file }
}

describe('OS credential store (Secret Service)', () => {
  it('stores the key there by default, and uses it to sign and decrypt', () => {
    const { identity, file } = keyFile()
    const created = JSON.parse(ok(run(keyring, keyring.dir, ['keygen', '--import', file, '--json'])).stdout) as { recipient: string; store: string }
    expect(created).toMatchObject({ recipient: identity.recipient, store: 'keyring' })
    // The secret is in the Secret Service, under service "sentra", and nowhere on disk.
    const stored = spawnSync('secret-tool', ['lookup', 'service', 'sentra', 'username', 'identity'], { env: service.env, encoding: 'utf8' })
    expect(stored.stdout.trim() === identity.revealSecret()).toBe(true)
    const config = join(keyring.env.XDG_CONFIG_HOME!, 'sentra')
    expect(existsSync(join(config, 'identity.age')) || existsSync(join(config, 'identity.txt'))).toBe(false)
    expect(readFileSync(join(config, 'keystore.json'), 'utf8')).not.toContain(identity.revealSecret())
    expect(ok(run(keyring, keyring.dir, ['whoami'])).stdout).toMatch(/key source: +OS credential store/)
    const repo = tempRepo()
    ok(run(keyring, repo, ['team', 'init', '--name', 'alice']))
    writeFileSync(join(repo, 'cert.p12'), 'keyring secret')
    ok(run(keyring, repo, ['encrypt', 'cert.p12']))
    expect(ok(run(keyring, repo, ['decrypt', 'cert.p12.age'])).stdout).toBe('keyring secret')
  })

  it('never replaces an existing key without --force', () => {
    const result = run(keyring, keyring.dir, ['keygen'])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/this device already has an identity \(age1[a-z0-9]+, in the keyring store\): back it up with `sentra keygen --backup FILE`; --force replaces it/)
  })

  it.concurrent('without a credential store, fails and names the explicit alternatives (never a silent downgrade)', async () => {
    const box = sandbox()
    const result = await runAsync(box, box.dir, ['keygen'])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/no OS credential store is available \(.*\); choose explicitly: `sentra keygen --keystore file` .*SENTRA_IDENTITY \/ SENTRA_IDENTITY_FILE \(CI\), or --insecure-plaintext-key/)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(existsSync(join(box.env.XDG_CONFIG_HOME!, 'sentra'))).toBe(false)
  })
})

describe.concurrent('passphrase file', () => {
  it('is an armored age scrypt file, mode 0600, that `age -d` opens with the passphrase', async () => {
    const box = sandbox()
    const created = JSON.parse(ok(await runAsync(box, box.dir, ['keygen', '--keystore', 'file', '--json'], 'correct horse battery\n')).stdout) as { recipient: string; location: string }
    const file = created.location
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/)
    const out = join(box.dir, 'recovered.txt')
    const age = spawnSync('script', ['-qfec', `age -d -o ${out} ${file}`, '/dev/null'], { input: 'correct horse battery\n', encoding: 'utf8', timeout: 20_000 })
    expect(age.status, age.stdout).toBe(0)
    expect(execFileSync('age-keygen', ['-y', out], { encoding: 'utf8' }).trim()).toBe(created.recipient)
    // Using the key asks for the passphrase (one line on stdin when not a terminal).
    const repo = tempRepo()
    ok(await runAsync(box, repo, ['team', 'init', '--name', 'alice'], 'correct horse battery\n'))
    const wrong = await runAsync(box, repo, ['team', 'role', 'alice', 'admin'], 'wrong passphrase\n')
    expect(wrong.status).toBe(2)
    expect(wrong.stderr).toMatch(/wrong passphrase for .*identity\.age/)
    const missing = await runAsync(box, repo, ['team', 'role', 'alice', 'admin'])
    expect(missing.stderr).toMatch(/Passphrase for .*identity\.age needed: run in a terminal, or give it as a line on standard input/)
  })

  it('backs up and restores the same key (one backup restores decryption and signing)', async () => {
    const box = sandbox()
    const { identity, file } = keyFile()
    ok(await runAsync(box, box.dir, ['keygen', '--keystore', 'file', '--import', file], 'first pass\n'))
    const backup = join(box.dir, 'backup.age')
    ok(await runAsync(box, box.dir, ['keygen', '--backup', backup], 'first pass\nbackup pass\n'))
    expect(statSync(backup).mode & 0o777).toBe(0o600)
    const other = sandbox()
    const restored = JSON.parse(ok(await runAsync(other, other.dir, ['keygen', '--keystore', 'file', '--import', backup, '--json'], 'backup pass\nnew pass\n')).stdout) as { recipient: string; signingKey: string }
    expect(restored).toMatchObject({ recipient: identity.recipient, signingKey: identity.signingPublicKey })
  })

  it('refuses post-quantum identities on import', async () => {
    const box = sandbox()
    const file = join(box.dir, 'pq.txt')
    writeFileSync(file, `${await generateHybridIdentity()}\n`)
    const result = await runAsync(box, box.dir, ['keygen', '--keystore', 'file', '--import', file], 'pass\n')
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/post-quantum age identities .* are not supported/)
  })
})

describe.concurrent('plaintext key file and environment', () => {
  it('writes an unencrypted key only with --insecure-plaintext-key, and warns on every use', async () => {
    const box = sandbox()
    const created = await runAsync(box, box.dir, ['keygen', '--insecure-plaintext-key'])
    expect(created.status).toBe(0)
    expect(created.stderr).toMatch(/warning: your private key is stored UNENCRYPTED in .*identity\.txt/)
    expect(statSync(join(box.env.XDG_CONFIG_HOME!, 'sentra', 'identity.txt')).mode & 0o777).toBe(0o600)
    const repo = tempRepo()
    for (const args of [['whoami'], ['team', 'init', '--name', 'alice']]) {
      expect(ok(await runAsync(box, repo, args)).stderr, args.join(' ')).toMatch(/warning: your private key is stored UNENCRYPTED/)
    }
  })

  it('takes the key from SENTRA_IDENTITY or SENTRA_IDENTITY_FILE before any store', async () => {
    const { identity, file } = keyFile()
    const box = sandbox()
    const inline = JSON.parse(ok(await runAsync({ ...box, env: { ...box.env, SENTRA_IDENTITY: identity.revealSecret() } }, box.dir, ['whoami', '--json'])).stdout) as { recipient: string; source: string }
    expect(inline).toEqual({ recipient: identity.recipient, signingKey: identity.signingPublicKey, source: 'env' })
    const fromFile = JSON.parse(ok(await runAsync({ ...box, env: { ...box.env, SENTRA_IDENTITY_FILE: file } }, box.dir, ['whoami', '--json'])).stdout) as { source: string }
    expect(fromFile.source).toBe('env-file')
    const bad = await runAsync({ ...box, env: { ...box.env, SENTRA_IDENTITY: 'AGE-SECRET-KEY-1NOTAKEY' } }, box.dir, ['whoami'])
    expect(bad.stderr).toMatch(/SENTRA_IDENTITY: not a valid age X25519 identity/)
    const none = await runAsync(box, box.dir, ['whoami'])
    expect(none.stderr).toMatch(/no identity on this device: run `sentra keygen`/)
  })
})
