import { createConnection } from 'node:net';

/**
 * Whether an SSH server greets on 127.0.0.1:<port> within the timeout. A reverse tunnel
 * accepts connections as soon as the VM's agent is connected, even when nothing answers behind
 * it yet; the banner shows that sshd is really there before a full probe is made.
 */
export function sshBanner(port: number, timeoutMs = 3_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let seen = '';
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.length >= 4) done(seen.startsWith('SSH-'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
