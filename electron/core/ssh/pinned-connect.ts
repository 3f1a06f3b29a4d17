/**
 * Opens an ssh2 connection that is accepted only when the server presents an acceptable host
 * key: the caller decides which keys are acceptable, and a refusal is the error the connect
 * rejects with (not ssh2's generic handshake failure). Shared by the build-machine sessions
 * and the VirtualBox host runner, which pin keys differently.
 */
import { Client } from 'ssh2';

import type { UserError } from '../errors.ts';
import { hostKeyFromBlob, type HostKey } from './host-keys.ts';

export const READY_TIMEOUT_MS = 8_000;
export const KEEPALIVE_INTERVAL_MS = 5_000;

export interface PinnedConnectOptions {
  host: string;
  port: number;
  user: string;
  privateKey: Buffer;
  /** Called with the presented key; returns the refusal, or undefined to accept the key. */
  checkHostKey(presented: HostKey): UserError | undefined;
  /** How long the handshake may take; READY_TIMEOUT_MS unless given. */
  readyTimeoutMs?: number;
  /** Turns a connection or authentication failure into the error the user sees. */
  describeError(error: Error & { level?: string; code?: string }): Error;
}

export async function connectPinned(options: PinnedConnectOptions): Promise<Client> {
  const client = new Client();
  let refusal: UserError | undefined;

  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    // `on`, not `once`: ssh2 may emit a second error (a half-open tunnel times out, then the
    // socket closes), and an 'error' with no listener would end the whole panel process.
    client.on('error', (error: Error & { level?: string; code?: string }) => {
      reject(refusal ?? options.describeError(error));
      client.end();
    });
    // A peer that drops the connection mid-handshake may close without an error.
    client.once('close', () =>
      reject(refusal ?? options.describeError(new Error('connection closed during the handshake'))),
    );
    client.connect({
      host: options.host,
      port: options.port,
      username: options.user,
      privateKey: options.privateKey,
      readyTimeout: options.readyTimeoutMs ?? READY_TIMEOUT_MS,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: 3,
      hostVerifier: (blob: Buffer) => {
        refusal = options.checkHostKey(hostKeyFromBlob(blob));
        return refusal === undefined;
      },
    });
  });
  return client;
}
