/**
 * Lets a browser on this machine reach a panel that runs inside the lab's workstation namespace.
 * Network namespaces do not share ports, but they share the file system, so two halves meet on
 * a Unix socket:
 *   inside the namespace:  port-bridge.ts unix-to-tcp <socket> <port>
 *   outside:               port-bridge.ts tcp-to-unix <port> <socket>
 * Both sides listen on 127.0.0.1 only, and the port is the same on both, so the page's origin
 * matches what the panel expects.
 */
import { connect, createServer, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

const [mode, first, second] = process.argv.slice(2);

function pipeBoth(left: Socket, right: Socket): void {
  left.pipe(right);
  right.pipe(left);
  const close = () => {
    left.destroy();
    right.destroy();
  };
  left.on('error', close);
  right.on('error', close);
  left.on('close', close);
  right.on('close', close);
}

if (mode === 'unix-to-tcp' && first && second) {
  rmSync(first, { force: true });
  createServer((incoming) => pipeBoth(incoming, connect(Number(second), '127.0.0.1'))).listen(
    first,
  );
} else if (mode === 'tcp-to-unix' && first && second) {
  createServer((incoming) => pipeBoth(incoming, connect(second))).listen(
    Number(first),
    '127.0.0.1',
  );
} else {
  process.stderr.write(
    'usage: port-bridge.ts unix-to-tcp <socket> <port> | tcp-to-unix <port> <socket>\n',
  );
  process.exit(2);
}
