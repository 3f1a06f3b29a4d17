import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import type { LabEnv } from '../support/lab-env.ts';

/**
 * Cuts lab VM 1's tunnel the way a network drop does: kills the ssh client that autossh runs on
 * the VM (by the PID found in the VM's namespace, never by name). autossh starts a new one at
 * once, so the lab heals by itself.
 */
export function dropTunnel(lab: LabEnv): number {
  const namespace = `bm-${lab.id}-vm1`;
  const pids = execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  const ssh = pids.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ssh';
    } catch {
      return false;
    }
  });
  if (!ssh) throw new Error(`no tunnel ssh process in ${namespace}`);
  process.kill(Number(ssh), 'SIGKILL');
  return Number(ssh);
}
