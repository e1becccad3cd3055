import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, git, tempRepo, writeFiles } from '../helpers/repo.js'
import { canonicalJson } from '../../src/vault/encoding.js'
import { LocalKey } from '../../src/vault/keystore/index.js'
import { SIGNATURE_LABELS } from '../../src/vault/signing.js'
import { appendOperation } from '../../src/vault/team.js'
import { commitAll, ok, person, run, runAsync, teamRepo, type Person } from './support.js'

/** Whole-file encryption through the real CLI, against the real `age` binary in both directions. */
afterAll(cleanupTemp)

let alice: Person
let bob: Person
let carol: Person
let ci: Person
let repo: string

function age(args: string[], input?: Buffer): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync('age', args, { input: input ?? Buffer.alloc(0), maxBuffer: 64 * 1024 * 1024 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() }
}

function write(path: string, content: string | Buffer): void {
  writeFiles(repo, { [path]: content })
}

beforeAll(async () => {
  alice = person('alice')
  bob = person('bob')
  carol = person('carol')
  ci = person('ci')
  ;({ repo } = await teamRepo(alice, [{ person: bob }, { person: carol, paths: ['staging/**'] }, { person: ci, role: 'service' }]))
  // Plaintext stays out of git; the .age files and their signatures are committed.
  writeFileSync(join(repo, '.gitignore'), 'files/*\n!files/*.age\n!files/*.age.sig\nstaging/*.key\n*.out\n')
})

describe('sentra -> age', () => {
  it('writes standard armored age files that the age CLI decrypts for every recipient, empty and multi-chunk', async () => {
    const cases = [
      ['files/empty.bin', Buffer.alloc(0)],
      ['files/big.bin', randomBytes(200 * 1024 + 17)],
    ] as const
    await Promise.all(
      cases.map(async ([name, content]) => {
        write(name, content)
        const result = JSON.parse(ok(await runAsync(alice, repo, ['encrypt', name, '--json'])).stdout) as { recipients: string[]; encrypted: string }
        expect(result.recipients).toEqual([alice, bob, ci].map((p) => p.identity.recipient).sort())
        const file = join(repo, result.encrypted)
        expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/)
        for (const reader of [alice, bob, ci]) {
          const decrypted = age(['-d', '-i', reader.file, file])
          expect(decrypted.status, decrypted.stderr).toBe(0)
          expect(decrypted.stdout.equals(content)).toBe(true)
        }
        expect(age(['-d', '-i', carol.file, file]).status).not.toBe(0)
        const viaSentra = ok(await runAsync(bob, repo, ['decrypt', result.encrypted, '-o', `${name}.out`]))
        expect(viaSentra.stderr).toContain('signed by alice')
        expect(readFileSync(join(repo, `${name}.out`)).equals(content)).toBe(true)
        expect(statSync(join(repo, `${name}.out`)).mode & 0o777).toBe(0o600)
      }),
    )
  })

  it('scopes recipients by path, and refuses signers who may not write the path', async () => {
    write('staging/app.key', 'staging secret\n')
    write('files/prod.key', 'prod secret\n')
    const [staged, denied, service] = await Promise.all([
      runAsync(carol, repo, ['encrypt', 'staging/app.key', '--json']),
      runAsync(carol, repo, ['encrypt', 'files/prod.key']),
      runAsync(ci, repo, ['encrypt', 'files/prod.key']),
    ])
    expect((JSON.parse(ok(staged).stdout) as { recipients: string[] }).recipients).toContain(carol.identity.recipient)
    expect(denied.status).toBe(2)
    expect(denied.stderr).toMatch(/you cannot sign files\/prod\.key\.age: carol may not write files\/prod\.key\.age \(scope: staging\/\*\*\)/)
    expect(service.stderr).toMatch(/ci is a read-only service member/)
    ok(run(alice, repo, ['encrypt', 'files/prod.key']))
    const [outside, reader] = await Promise.all([runAsync(carol, repo, ['decrypt', 'files/prod.key.age']), runAsync(ci, repo, ['decrypt', 'files/prod.key.age'])])
    expect(outside.status).toBe(2)
    expect(outside.stderr).toMatch(new RegExp(`your key \\(${carol.identity.recipient}\\) is not a recipient of files/prod.key.age`))
    expect(ok(reader).stdout).toBe('prod secret\n')
  })
})

describe('age -> sentra', () => {
  it('reads plain age files (armored or binary, several recipients, empty or multi-chunk) only with --allow-unsigned', async () => {
    const cases = [
      ['files/from-age.bin', randomBytes(150_000), true],
      ['files/from-age-empty.bin', Buffer.alloc(0), false],
    ] as const
    await Promise.all(
      cases.map(async ([name, content, armor]) => {
        const encrypted = age(['-e', ...(armor ? ['-a'] : []), '-r', alice.identity.recipient, '-r', bob.identity.recipient], content)
        expect(encrypted.status, encrypted.stderr).toBe(0)
        write(`${name}.age`, encrypted.stdout)
        const [refused, allowed] = await Promise.all([
          runAsync(bob, repo, ['decrypt', `${name}.age`]),
          runAsync(bob, repo, ['decrypt', `${name}.age`, '--allow-unsigned', '-o', `${name}.out`]),
        ])
        expect(refused.status).toBe(2)
        expect(refused.stderr).toMatch(/refusing to decrypt: .* has no signature .*Pass --allow-unsigned/)
        expect(allowed.status, allowed.stderr).toBe(0)
        expect(allowed.stderr).toMatch(/warning: .* has no signature .*reading it anyway: --allow-unsigned/)
        expect(readFileSync(join(repo, `${name}.out`)).equals(content)).toBe(true)
      }),
    )
  })

  it('reads a plain age file in a repository without a team only with --allow-unsigned', async () => {
    const bare = tempRepo()
    writeFileSync(join(bare, 'shared.txt.age'), age(['-e', '-r', bob.identity.recipient], Buffer.from('from a friend\n')).stdout)
    const [refused, allowed] = await Promise.all([runAsync(bob, bare, ['decrypt', 'shared.txt.age']), runAsync(bob, bare, ['decrypt', 'shared.txt.age', '--allow-unsigned'])])
    expect(refused.stderr).toMatch(/no team manifest/)
    expect(ok(allowed).stdout).toBe('from a friend\n')
    expect(allowed.stderr).toMatch(/warning: this repository has no team manifest, so nobody vouches for the file/)
  })
})

describe('signatures', () => {
  beforeAll(() => {
    write('files/db.key', 'database password\n')
    ok(run(alice, repo, ['encrypt', 'files/db.key']))
  })

  it('refuse a changed ciphertext, and a failed decrypt leaves no output behind', () => {
    const original = readFileSync(join(repo, 'files/db.key.age'), 'utf8')
    // One character of the last base64 line: the payload's final chunk.
    const lines = original.split('\n')
    const at = lines.length - 3
    const body = lines[at]!
    lines[at] = body.slice(0, 2) + (body[2] === 'A' ? 'B' : 'A') + body.slice(3)
    write('files/db.key.age', lines.join('\n'))
    const refused = run(bob, repo, ['decrypt', 'files/db.key.age', '-o', 'files/out.txt'])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/refusing to decrypt: files\/db\.key\.age was changed after it was signed/)
    const forced = run(bob, repo, ['decrypt', 'files/db.key.age', '-o', 'files/out.txt', '--allow-unsigned'])
    expect(forced.status).toBe(2)
    expect(forced.stderr).toMatch(/cannot decrypt files\/db\.key\.age: the age (payload|header) failed authentication/)
    expect(existsSync(join(repo, 'files/out.txt'))).toBe(false)
    expect(readdirSync(join(repo, 'files')).filter((name) => name.endsWith('.tmp'))).toEqual([])
    write('files/db.key.age', original)
  })

  it('refuse a signed file copied to another path', () => {
    copyFileSync(join(repo, 'files/db.key.age'), join(repo, 'files/other.key.age'))
    copyFileSync(join(repo, 'files/db.key.age.sig'), join(repo, 'files/other.key.age.sig'))
    const refused = run(bob, repo, ['decrypt', 'files/other.key.age'])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/files\/other\.key\.age carries a signature made for files\/db\.key\.age: a signed file was copied or renamed/)
    for (const name of ['files/other.key.age', 'files/other.key.age.sig']) rmSync(join(repo, name))
  })

  it('refuse content signed by someone outside the team, even when well formed', async () => {
    const mallory = person('mallory')
    const ciphertext = age(['-e', '-a', '-r', alice.identity.recipient, '-r', bob.identity.recipient], Buffer.from('evil\n')).stdout
    write('files/forged.key.age', ciphertext)
    const { createHash } = await import('node:crypto')
    const body = {
      kind: 'sentra-file-signature',
      v: 1,
      path: 'files/forged.key.age',
      ciphertext: `sha256:${createHash('sha256').update(ciphertext).digest('hex')}`,
      recipients: [alice.identity.recipient, bob.identity.recipient].sort(),
      oneOff: [],
      signer: mallory.identity.signingPublicKey,
    }
    const sig = Buffer.from(mallory.identity.signingKey.sign(SIGNATURE_LABELS.file, new TextEncoder().encode(canonicalJson(body)))).toString('base64')
    write('files/forged.key.age.sig', JSON.stringify({ ...body, sig }))
    const refused = run(bob, repo, ['decrypt', 'files/forged.key.age'])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/signed by a key that may not write it: the signing key belongs to no team member/)
    // The same bytes signed under another label (e.g. an access request) are no file signature.
    const wrongLabel = Buffer.from(mallory.identity.signingKey.sign(SIGNATURE_LABELS.request, new TextEncoder().encode(canonicalJson({ ...body, signer: alice.identity.signingPublicKey })))).toString('base64')
    write('files/forged.key.age.sig', JSON.stringify({ ...body, signer: alice.identity.signingPublicKey, sig: wrongLabel }))
    expect(run(bob, repo, ['decrypt', 'files/forged.key.age']).stderr).toMatch(/does not verify/)
    for (const name of ['files/forged.key.age', 'files/forged.key.age.sig']) rmSync(join(repo, name))
  })
})

describe('recipients', () => {
  it('managed paths go to exactly the team: --recipient is refused there and recorded elsewhere', () => {
    const outsider = person('outsider')
    ok(run(alice, repo, ['team', 'manage', 'certs/**', '--format', 'binary']))
    git(repo, ['add', '-A'])
    writeFileSync(join(repo, '.gitignore'), 'files/*\n!files/*.age\n!files/*.age.sig\nstaging/*.key\n*.out\ncerts/*.p12\n')
    write('files/handover.txt', 'for the auditor\n')
    write('certs/prod.p12', randomBytes(64))
    const refused = run(alice, repo, ['encrypt', 'certs/prod.p12', '--recipient', outsider.identity.recipient])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/certs\/prod\.p12\.age is a managed path: it always goes to exactly the recipients the team policy gives/)
    ok(run(alice, repo, ['encrypt', 'certs/prod.p12']))
    const shared = JSON.parse(ok(run(alice, repo, ['encrypt', 'files/handover.txt', '--recipient', outsider.identity.recipient, '--json'])).stdout) as { oneOff: string[] }
    expect(shared.oneOff).toEqual([outsider.identity.recipient])
    const signature = JSON.parse(readFileSync(join(repo, 'files/handover.txt.age.sig'), 'utf8')) as { oneOff: string[]; recipients: string[] }
    expect(signature.oneOff).toEqual([outsider.identity.recipient])
    expect(signature.recipients).toContain(outsider.identity.recipient)
    expect(age(['-d', '-i', outsider.file, join(repo, 'files/handover.txt.age')]).stdout.toString()).toBe('for the auditor\n')
    expect(run(alice, repo, ['encrypt', 'files/handover.txt', '--recipient', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG']).stderr).toMatch(/SSH recipients are not supported/)
  })

  it('verify reports drift, removed keys, unsigned files and managed paths committed in plaintext', async () => {
    commitAll(repo, 'files')
    const clean = run(alice, repo, ['verify', '--json'])
    const cleanReport = JSON.parse(clean.stdout) as { ok: boolean; problems: Array<{ path: string; message: string }>; checkedFiles: number }
    // Only the two plain age files made with the age CLI above, which nobody signed.
    expect(cleanReport.problems.map((problem) => problem.path)).toEqual(['files/from-age-empty.bin.age', 'files/from-age.bin.age'])
    expect(cleanReport.problems.every((problem) => problem.message.includes('has no signature'))).toBe(true)
    expect(cleanReport.checkedFiles).toBe(9)
    // The service member is removed; the files still encrypted to it are drift, and encrypting to it is refused.
    await appendOperation({ repoRoot: repo, env: alice.env, signer: new LocalKey(alice.identity, 'env-file') }, () => ({ type: 'remove-member', name: 'ci' }))
    write('certs/leak.p12', 'oops')
    git(repo, ['add', '-f', 'certs/leak.p12'])
    const result = run(alice, repo, ['verify', '--json'])
    expect(result.status).toBe(1)
    const report = JSON.parse(result.stdout) as { problems: Array<{ kind: string; path?: string; message: string }> }
    const messages = report.problems.map((problem) => problem.message).join('\n')
    expect(messages).toMatch(/files\/db\.key\.age is still encrypted to removed key\(s\) /)
    expect(messages).toMatch(/files\/from-age\.bin\.age has no signature/)
    expect(messages).toMatch(/certs\/leak\.p12 is a managed \(binary\) path but is committed in plaintext/)
    expect(report.problems.find((problem) => problem.path === 'certs/prod.p12.age')?.message).toMatch(/removed key/)
    const decrypted = run(bob, repo, ['decrypt', 'files/db.key.age'])
    expect(decrypted.status).toBe(0)
    expect(decrypted.stderr).toMatch(/warning: files\/db\.key\.age is still encrypted to removed key/)
    const removed = run(alice, repo, ['encrypt', 'files/handover.txt', '--recipient', ci.identity.recipient])
    expect(removed.stderr).toMatch(/is a key removed from the team: encrypting to it is refused/)
  })
})
