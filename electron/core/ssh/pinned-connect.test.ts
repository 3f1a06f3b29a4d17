import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { connectPinned } from './pinned-connect.ts';

// ssh2 reads keys in OpenSSH's format, which the real ssh-keygen writes.
const keyFile = join(mkdtempSync(join(tmpdir(), 'bm-key-')), 'id_test');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
const privateKey = readFileSync(keyFile);

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/**
 * A half-open tunnel as the workstation sees it: the port accepts, nothing answers, and the
 * connection drops later. ssh2 then reports the handshake timeout and, after it, the drop.
 */
async function silentServer(dropAfterMs: number): Promise<number> {
  server = createServer((socket) => {
    socket.on('error', () => undefined);
    setTimeout(() => socket.destroy(), dropAfterMs);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return (server!.address() as { port: number }).port;
}

describe('connectPinned', () => {
  it('rejects with the described error when the link drops, and nothing escapes', async () => {
    const port = await silentServer(400);
    const escaped: unknown[] = [];
    const onUncaught = (error: unknown) => escaped.push(error);
    process.on('uncaughtException', onUncaught);

    try {
      await expect(
        connectPinned({
          host: '127.0.0.1',
          port,
          user: 'builder',
          privateKey,
          readyTimeoutMs: 200,
          checkHostKey: () => undefined,
          describeError: (error) => new UserError('vm-unreachable', `dropped: ${error.message}`),
        }),
      ).rejects.toThrow(/^dropped: /);
      // Give ssh2 the time to emit anything else it has for this socket.
      await new Promise((resolve) => setTimeout(resolve, 600));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(escaped).toEqual([]);
  });
});
