import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  fingerprintOf,
  hostKeyFromBlob,
  hostKeyMismatchError,
  HostKeyStore,
  hostKeyUnknownError,
  type HostKey,
} from './host-keys.ts';

const KEYGEN_TIMEOUT_MS = 30_000;

function sshKeygen(args: string[]): string {
  const result = spawnSync('ssh-keygen', args, { encoding: 'utf8', timeout: KEYGEN_TIMEOUT_MS });
  if (result.status !== 0) throw new Error(`ssh-keygen ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Generates a key pair; returns the public key as a HostKey and ssh-keygen's fingerprint. */
async function generateKey(folder: string, type: string, bits?: number) {
  const file = join(folder, `key-${type}`);
  sshKeygen(['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-f', file]);
  const [keyType, base64] = (await readFile(`${file}.pub`, 'utf8')).trim().split(' ');
  const listed = sshKeygen(['-l', '-E', 'sha256', '-f', `${file}.pub`]).split(' ');
  return { key: { type: keyType!, base64: base64! }, fingerprint: listed[1]! };
}

describe('host key fingerprints', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'host-keys-test-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it.each([
    ['ed25519', undefined],
    ['ecdsa', 256],
    ['rsa', 2048],
  ])('matches ssh-keygen -lf for a %s key', async (type, bits) => {
    const { key, fingerprint } = await generateKey(folder, type, bits);

    expect(fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fingerprintOf(key)).toBe(fingerprint);
  });

  it('reads the key type from the blob ssh2 hands the verifier', async () => {
    const { key, fingerprint } = await generateKey(folder, 'ed25519');
    const blob = Buffer.from(key.base64, 'base64');

    const fromBlob = hostKeyFromBlob(blob);

    expect(fromBlob).toEqual({ type: 'ssh-ed25519', base64: key.base64 });
    expect(fingerprintOf(fromBlob)).toBe(fingerprint);
  });

  it('reads ecdsa-sha2-nistp256 as the type of an ECDSA blob', async () => {
    const { key } = await generateKey(folder, 'ecdsa', 256);
    expect(hostKeyFromBlob(Buffer.from(key.base64, 'base64')).type).toBe('ecdsa-sha2-nistp256');
  });

  it('calls a blob too short to hold a type unknown', () => {
    expect(hostKeyFromBlob(Buffer.alloc(0))).toEqual({ type: 'unknown', base64: '' });
    expect(hostKeyFromBlob(Buffer.from([0, 0]))).toEqual({ type: 'unknown', base64: 'AAA=' });
    expect(hostKeyFromBlob(Buffer.from([0, 0, 0, 0, 1])).type).toBe('unknown');
  });

  it('names the fingerprint and the fix in host key errors', async () => {
    const { key, fingerprint } = await generateKey(folder, 'ed25519');
    const other = (await generateKey(folder, 'ecdsa', 256)).key;

    const unknown = hostKeyUnknownError('haskell-build', key);
    expect(unknown.code).toBe('host-key-unknown');
    expect(unknown.message).toBe(
      `no host key is pinned for haskell-build; it presents ssh-ed25519 ${fingerprint}`,
    );
    expect(unknown.fix).toContain(`bm trust-host-key haskell-build ${fingerprint}`);

    const changed = hostKeyMismatchError('haskell-build', [other], key);
    expect(changed.code).toBe('host-key-changed');
    expect(changed.message).toContain(`pinned ecdsa-sha2-nistp256 ${fingerprintOf(other)}`);
    expect(changed.message).toContain(`presented ssh-ed25519 ${fingerprint}`);
    expect(changed.fix).toMatch(/accept the new key on the VM card/);
  });
});

describe('HostKeyStore', () => {
  let folder: string;
  let file: string;
  const keyA: HostKey = { type: 'ssh-ed25519', base64: 'AAAAC3NzaC1lZDI1NTE5AAAAIAAAA' };
  const keyB: HostKey = { type: 'ssh-ed25519', base64: 'AAAAC3NzaC1lZDI1NTE5AAAAIBBBB' };
  const keyC: HostKey = { type: 'ecdsa-sha2-nistp256', base64: 'AAAAE2VjZHNhLXNoYTItbmlzdHAC' };

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'host-keys-test-'));
    file = join(folder, 'known_hosts');
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('has no keys while the file does not exist', async () => {
    expect(await new HostKeyStore(file).get('haskell-build')).toEqual([]);
  });

  it('creates the file and its folder, with mode 0600, on the first pin', async () => {
    const store = new HostKeyStore(join(folder, 'config', 'known_hosts'));

    await store.pin('haskell-build', keyA);

    expect(await readFile(store.file, 'utf8')).toBe(`haskell-build ${keyA.type} ${keyA.base64}\n`);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    expect(await store.get('haskell-build')).toEqual([keyA]);
  });

  it('finds every key of an alias, in host lists too, and skips comments', async () => {
    await writeFile(
      file,
      [
        '# pinned by hand',
        `# haskell-build ${keyB.type} ${keyB.base64}`,
        `haskell-build ${keyA.type} ${keyA.base64} comment words`,
        `other,haskell-build ${keyC.type} ${keyC.base64}`,
        `haskell-build-2 ${keyB.type} ${keyB.base64}`,
        'haskell-build',
        '',
        `  haskell-build   ${keyB.type}\t${keyB.base64}  `,
      ].join('\n'),
    );

    expect(await new HostKeyStore(file).get('haskell-build')).toEqual([keyA, keyC, keyB]);
    expect(await new HostKeyStore(file).get('other')).toEqual([keyC]);
    expect(await new HostKeyStore(file).get('haskell')).toEqual([]);
  });

  it("replaces only the alias's line, keeping comments, blank lines and other hosts", async () => {
    const before = [
      '# Build machines: written by the panel, read by ssh (HostKeyAlias).',
      `ghc-9-10 ${keyB.type} ${keyB.base64}`,
      '',
      `# haskell-build ${keyC.type} ${keyC.base64} (old, kept as a note)`,
      `haskell-build ${keyA.type} ${keyA.base64}`,
      `haskell-build-2 ${keyA.type} ${keyA.base64}`,
      `shared,haskell-build ${keyC.type} ${keyC.base64} # two hosts, one key`,
    ];
    const store = new HostKeyStore(file);
    await writeFile(file, before.join('\n') + '\n', { mode: 0o644 });

    await store.pin('haskell-build', keyB);

    expect((await readFile(store.file, 'utf8')).split('\n')).toEqual([
      before[0],
      before[1],
      '',
      before[3],
      before[5],
      `shared ${keyC.type} ${keyC.base64} # two hosts, one key`,
      `haskell-build ${keyB.type} ${keyB.base64}`,
      '',
    ]);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    expect(await store.get('haskell-build')).toEqual([keyB]);
    expect(await store.get('shared')).toEqual([keyC]);
    expect(await store.get('ghc-9-10')).toEqual([keyB]);
    expect(await store.get('haskell-build-2')).toEqual([keyA]);
  });

  it('pins again without growing the file', async () => {
    const store = new HostKeyStore(file);
    await store.pin('a', keyA);
    await store.pin('b', keyB);

    await store.pin('a', keyC);
    await store.pin('a', keyC);

    expect(await readFile(file, 'utf8')).toBe(
      `b ${keyB.type} ${keyB.base64}\na ${keyC.type} ${keyC.base64}\n`,
    );
  });
});
