/**
 * The lab's VirtualBox for the VM lifecycle tests: a fake-vbox home with the lab's settings, a
 * private copy of the port registry (the shared lab's stays as it was) and the env that points
 * the panel's local VirtualBox host at e2e/lab/fake-vbox/VBoxManage.
 */
import { appendFile, copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { VBoxCall } from '../../electron/core/api/contract-vms.ts';
import type { LabEnv } from '../support/lab-env.ts';

export const FAKE_VBOXMANAGE = new URL('../lab/fake-vbox/VBoxManage', import.meta.url).pathname;

export interface VboxLab {
  home: string;
  registry: string;
  env: Record<string, string>;
}

export async function vboxLab(lab: LabEnv, importStepMs = 60): Promise<VboxLab> {
  // The VM run folders go into sshd_config: the path must have no spaces.
  const home = await mkdtemp(join(lab.dir, 'fake-vbox-'));
  const work = await mkdtemp(join(tmpdir(), 'bm-vms-'));
  const registry = join(work, 'port-registry.yml');
  await copyFile(lab.registry, registry);
  await mkdir(home, { recursive: true });
  await writeFile(
    join(home, 'lab.env'),
    `LAB_ID=${lab.id}\nLAB_DIR=${lab.dir}\nREGISTRY=${registry}\nIMPORT_STEP_MS=${importStepMs}\n` +
      'ACPI_DELAY_MS=500\n',
  );
  return {
    home,
    registry,
    env: { FAKE_VBOX_HOME: home, BM_VBOXMANAGE: FAKE_VBOXMANAGE },
  };
}

/** Pins an image's host key for a VM name, as the user does after checking the fingerprint. */
export async function pinHostKey(configDir: string, vm: string, hostKey: string): Promise<void> {
  await appendFile(join(configDir, 'known_hosts'), `${vm} ${hostKey}\n`);
}

/** Takes the lines a test added back out of the shared known_hosts. */
export async function unpinHostKeys(configDir: string, vms: string[]): Promise<void> {
  const file = join(configDir, 'known_hosts');
  const lines = (await readFile(file, 'utf8')).split('\n');
  const kept = lines.filter((line) => !vms.includes(line.split(' ')[0] ?? ''));
  await writeFile(file, kept.join('\n'));
}

/** The gaps (ms) between the starts of successive VBoxManage calls of one host. */
export function callGaps(calls: readonly VBoxCall[]): number[] {
  const starts = calls.map((call) => Date.parse(call.startedAt)).sort((a, b) => a - b);
  return starts.slice(1).map((start, index) => start - starts[index]!);
}
