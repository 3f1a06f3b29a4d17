/**
 * One look at a VM's reverse tunnel from the workstation: does its port listen, and does a
 * fresh SSH handshake through it present the pinned host key and accept the build key. A
 * fresh connection each time, so a half-open tunnel (the VM's link cut, sshd still holding
 * the port) shows as a timeout instead of hiding behind a kept-alive session.
 */
import { Client } from 'ssh2';

import type { VmHealth } from '../api/contract-hub.ts';
import type { MachineEntry } from '../registry/port-registry.ts';
import { fingerprintOf, hostKeyFromBlob, type HostKey } from '../ssh/host-keys.ts';

export interface TunnelProbe {
  listening: boolean;
  handshake: VmHealth['handshake'];
  rttMs?: number;
  presentedFingerprint?: string;
  pinnedFingerprint?: string;
  message?: string;
}

export async function probeTunnel(
  machine: MachineEntry,
  privateKey: Buffer,
  pinned: HostKey[],
  timeoutMs: number,
): Promise<TunnelProbe> {
  const client = new Client();
  const started = performance.now();
  let connected = false;
  let presented: HostKey | undefined;
  let keyProblem: 'host-key-changed' | 'host-key-unknown' | undefined;
  const pinnedFingerprint = pinned[0] ? fingerprintOf(pinned[0]) : undefined;

  const outcome = await new Promise<TunnelProbe>((resolve) => {
    // ssh2's readyTimeout does not cover a TCP connect that hangs; this deadline covers all.
    const deadline = setTimeout(() => {
      resolve({
        listening: connected,
        handshake: 'timeout',
        message: connected
          ? `port ${machine.port} accepts connections but no SSH handshake completed within ` +
            `${timeoutMs} ms: the VM's link or its tunnel is down (half-open)`
          : `port ${machine.port} did not accept a connection within ${timeoutMs} ms`,
      });
    }, timeoutMs);
    const done = (probe: TunnelProbe) => {
      clearTimeout(deadline);
      resolve(probe);
    };

    client.on('connect', () => (connected = true));
    client.once('ready', () =>
      done({
        listening: true,
        handshake: 'ok',
        rttMs: Math.round(performance.now() - started),
      }),
    );
    client.once('error', (error: Error & { code?: string; level?: string }) => {
      if (error.code === 'ECONNREFUSED') {
        done({
          listening: false,
          handshake: 'refused',
          message: `nothing listens on port ${machine.port}: the VM's reverse tunnel is not up`,
        });
      } else if (keyProblem) {
        done({
          listening: true,
          handshake: keyProblem,
          message:
            keyProblem === 'host-key-changed'
              ? `host key changed: pinned ${pinnedFingerprint}, presented ` +
                `${presented ? fingerprintOf(presented) : '?'}; connection refused`
              : `no host key pinned for ${machine.name}`,
        });
      } else if (error.level === 'client-authentication') {
        done({
          listening: true,
          handshake: 'auth-failed',
          message: `${machine.name} refused the build key`,
        });
      } else {
        done({ listening: connected, handshake: 'error', message: error.message });
      }
    });

    client.connect({
      host: machine.host,
      port: machine.port,
      username: machine.user,
      privateKey,
      readyTimeout: timeoutMs,
      hostVerifier: (blob: Buffer) => {
        presented = hostKeyFromBlob(blob);
        if (pinned.length === 0) keyProblem = 'host-key-unknown';
        else if (!pinned.some((key) => key.base64 === presented!.base64)) {
          keyProblem = 'host-key-changed';
        }
        return keyProblem === undefined;
      },
    });
  });

  client.end();
  // A client whose deadline passed may still emit an error later; nobody listens by then.
  client.on('error', () => undefined);
  return {
    ...outcome,
    ...(presented ? { presentedFingerprint: fingerprintOf(presented) } : {}),
    ...(pinnedFingerprint ? { pinnedFingerprint } : {}),
  };
}
