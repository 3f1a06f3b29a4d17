import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { scanLocalTree } from './local-scan.ts';
import { createTarStream } from './tar-writer.ts';
import { FIXED_MTIME, writeTree } from './test-support.ts';

const TAR_TIMEOUT_MS = 20_000;

interface TarResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs GNU tar with an argument array, feeding it `input`; killed if it outlives the bound. */
function runTar(args: string[], input: Readable | Buffer): Promise<TarResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), TAR_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    if (Buffer.isBuffer(input)) child.stdin.end(input);
    else input.pipe(child.stdin);
  });
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const LONG_PATH = `src/${'Deeply/'.repeat(12)}Nested/Module/With/A/Long/Name.hs`;
// 60 characters but 120 bytes: only the byte count says it needs a pax header.
const LONG_UNICODE_PATH = `${'é'.repeat(30)}/${'ü'.repeat(29)}.hs`;
const NAME_OF_100_BYTES = `${'n'.repeat(97)}.hs`;

describe('createTarStream', () => {
  let source: string;
  let target: string;

  beforeEach(async () => {
    source = await mkdtemp(join(tmpdir(), 'tar-writer-src-'));
    target = await mkdtemp(join(tmpdir(), 'tar-writer-dst-'));
  });

  afterEach(async () => {
    await rm(source, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
  });

  it('writes an archive GNU tar extracts byte for byte, with modes and exact mtimes', async () => {
    const big = randomBytes(1024 * 1024);
    await writeTree(source, {
      'app.cabal': 'cabal-version: 3.0\n',
      [LONG_PATH]: 'module Name where\n',
      [LONG_UNICODE_PATH]: 'unicode and long\n',
      [NAME_OF_100_BYTES]: 'exactly one hundred bytes of name\n',
      'scripts/run.sh': '#!/bin/sh\nexec cabal build\n',
      'empty.txt': '',
      'big.bin': '',
      'ünïcødé/日本語 ファイル.hs': 'main = putStrLn "こんにちは"\n',
    });
    await writeFile(join(source, 'big.bin'), big);
    await utimes(join(source, 'big.bin'), FIXED_MTIME, FIXED_MTIME + 3600);
    await utimes(join(source, 'app.cabal'), FIXED_MTIME, FIXED_MTIME + 7.9);
    await chmod(join(source, 'scripts/run.sh'), 0o755);
    expect(Buffer.byteLength(LONG_PATH)).toBeGreaterThan(100);
    expect(Buffer.byteLength(NAME_OF_100_BYTES)).toBe(100);

    const { files } = await scanLocalTree(source);
    expect(files).toHaveLength(8);
    const extracted = await runTar(['-x', '-f', '-', '-C', target], createTarStream(source, files));

    expect(extracted.stderr).toBe('');
    expect(extracted.code).toBe(0);
    for (const file of files) {
      const [before, after] = [join(source, file.path), join(target, file.path)];
      // Buffer.equals: a deep toEqual over a MiB of bytes takes seconds.
      expect((await readFile(after)).equals(await readFile(before)), file.path).toBe(true);
      const info = await stat(after);
      expect(info.mode & 0o777, file.path).toBe(file.executable ? 0o755 : 0o644);
      expect(Math.floor(info.mtimeMs / 1000), file.path).toBe(file.mtime);
    }
    expect((await stat(join(target, 'scripts/run.sh'))).mode & 0o111).toBe(0o111);
    // The fraction travels too (pax mtime), so GHC on the VM sees an edit made within the
    // second of its last build as newer than its object files.
    expect((await stat(join(target, 'app.cabal'))).mtimeMs).toBe((FIXED_MTIME + 7.9) * 1000);
    expect((await stat(join(target, 'big.bin'))).size).toBe(1024 * 1024);
  });

  it('lists exactly the given names, in order, for tar -t', async () => {
    const paths = [
      'a.hs',
      LONG_PATH,
      LONG_UNICODE_PATH,
      'with space/and\ttab.hs',
      'ünïcødé.hs',
      'empty',
    ];
    await writeTree(source, Object.fromEntries(paths.map((path) => [path, path])));
    await writeTree(source, { empty: '' });
    const { files } = await scanLocalTree(source);
    const chosen = paths.map((path) => files.find((file) => file.path === path)!);

    const archive = await collect(createTarStream(source, chosen));
    const listed = await runTar(['-t', '-f', '-', '--quoting-style=literal'], archive);

    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout.toString('utf8')).toBe(paths.map((path) => `${path}\n`).join(''));
    expect(archive.length % 512).toBe(0);
  });

  it('writes only the two end blocks for no files', async () => {
    const archive = await collect(createTarStream(source, []));

    expect(archive).toEqual(Buffer.alloc(1024));
    const listed = await runTar(['-t', '-f', '-'], archive);
    expect(listed).toEqual({ code: 0, stdout: Buffer.alloc(0), stderr: '' });
  });

  it('keeps the archive well-formed when a file shrank after the scan', async () => {
    await writeTree(source, { 'shrinks.hs': 'x'.repeat(2000), 'after.hs': 'still here\n' });
    const { files } = await scanLocalTree(source);
    await truncate(join(source, 'shrinks.hs'), 10);

    const extracted = await runTar(['-x', '-f', '-', '-C', target], createTarStream(source, files));

    expect(extracted.code).toBe(0);
    const shrunk = await readFile(join(target, 'shrinks.hs'));
    expect(shrunk.length).toBe(2000);
    expect(shrunk.subarray(0, 10).toString()).toBe('x'.repeat(10));
    expect(shrunk.subarray(10)).toEqual(Buffer.alloc(1990));
    expect(await readFile(join(target, 'after.hs'), 'utf8')).toBe('still here\n');
  });
});
