import { readFile } from 'node:fs/promises';

import type { CommandRunner } from '../exec/command-runner.ts';

/**
 * The interface of the default route, to preselect the bridge adapter the LAN is on. Linux only
 * (/proc/net/route here, `ip route` on a remote host); elsewhere nothing is preselected.
 */
export async function defaultRouteInterface(runner: CommandRunner): Promise<string | undefined> {
  if (runner.host === 'local') {
    if (process.platform !== 'linux') return undefined;
    try {
      const table = await readFile('/proc/net/route', 'utf8');
      return parseProcRoute(table);
    } catch {
      return undefined;
    }
  }
  try {
    const result = await runner.run('ip', ['-o', 'route', 'show', 'default'], { timeoutMs: 5_000 });
    return result.exitCode === 0 ? /\bdev (\S+)/.exec(result.stdout)?.[1] : undefined;
  } catch {
    return undefined;
  }
}

export function parseProcRoute(table: string): string | undefined {
  for (const line of table.split('\n').slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (iface && destination === '00000000' && mask === '00000000') return iface;
  }
  return undefined;
}
