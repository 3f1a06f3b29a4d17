import { execFile } from 'node:child_process';
import { appendFile, copyFile, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../electron/core/core.ts';
import type { VmsService } from '../../electron/core/vms/vms-service.ts';
import { makeTinyOva, type TinyOva } from '../lab/fake-vbox/tiny-ova.ts';
import { coreForLab } from '../support/core-for-lab.ts';
import { labEnv } from '../support/lab-env.ts';
import {
  callGaps,
  FAKE_VBOXMANAGE,
  pinHostKey,
  unpinHostKeys,
  vboxLab,
  type VboxLab,
} from './vbox-lab.ts';

const run = promisify(execFile);
const lab = labEnv();
const HOST_SCRIPT = new URL('../lab/vbox-host.sh', import.meta.url).pathname;
let laptop: VboxLab;
let ova: TinyOva;
/** The OVA under a name a shell would split and unquote, as a user's download might be named. */
let awkwardOva: string;
let core: Core;
let vms: VmsService;

beforeAll(async () => {
  laptop = await vboxLab(lab);
  await appendFile(join(laptop.home, 'lab.env'), 'ARGV_LOG=1\n');
  const { stdout } = await run('bash', [HOST_SCRIPT, 'up', lab.id, laptop.home], {
    env: { ...process.env, BM_LAB_DIR: lab.dir },
  });
  const host = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  ova = await makeTinyOva('remote-image');
  awkwardOva = join(dirname(ova.path), `it's a "laptop" image $(id) ; *.ova`);
  await copyFile(ova.path, awkwardOva);

  core = await coreForLab(lab, laptop.registry);
  vms = core.features.vms.service;
  await vms.saveHost({
    id: 'laptop',
    label: 'Laptop',
    kind: 'ssh',
    host: host.VBOX_HOST_ADDRESS!,
    port: 22,
    user: host.VBOX_HOST_USER!,
    keyPath: host.VBOX_HOST_KEY!,
    hostKey: host.VBOX_HOST_PIN!,
    vboxmanage: FAKE_VBOXMANAGE,
  });
});

afterAll(async () => {
  await vms?.stop('remote-a', 'laptop', 5).catch(() => undefined);
  await vms?.remove('remote-a', 'remote-a', 'laptop').catch(() => undefined);
  await vms?.removeHost('laptop').catch(() => undefined);
  await core?.close();
  await unpinHostKeys(lab.configDir, ['remote-a']);
  await run('bash', [HOST_SCRIPT, 'down', lab.id], {
    env: { ...process.env, BM_LAB_DIR: lab.dir },
  }).catch(() => undefined);
});

describe('a VirtualBox host reached over SSH (the lab laptop)', () => {
  it('imports, starts and reads the VM there; every argument arrives intact', async () => {
    const task = await vms.startImport('laptop', awkwardOva, 'remote-a');
    const done = await vms.waitForTask(task.id);
    expect(done.error).toBeUndefined();
    expect(done).toMatchObject({ status: 'succeeded', percent: 100, hostId: 'laptop' });

    const listed = await vms.list('laptop');
    expect(listed[0]?.error).toBeUndefined();
    expect(listed[0]?.vms.map((vm) => vm.name)).toEqual(['remote-a']);

    const bridged = await vms.setBridged('remote-a', 'laptop');
    expect(bridged.nic1).toMatchObject({ type: 'bridged', bridgeAdapter: 'eth0' });

    await pinHostKey(lab.configDir, 'remote-a', ova.hostKey);
    const started = await vms.start('remote-a', 'laptop');
    expect(started.state).toBe('running');
    const boot = await vms.waitForBoot('remote-a');
    const ssh = boot?.stages.find((stage) => stage.id === 'ssh');
    expect(ssh?.status).toBe('done');

    const info = await vms.info('remote-a', 'laptop');
    expect(info).toMatchObject({ hostId: 'laptop', state: 'running', registryPort: 12221 });
    expect(info.ip).toMatch(/^198\.18\.\d+\.1\d\d$/);

    // What VBoxManage on the laptop received, word for word, against what the panel sent.
    const received = (await readFile(join(laptop.home, 'argv.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string[]);
    const sent = vms.calls('laptop', 500).map((call) => call.argv);
    expect(received).toEqual(sent);
    expect(received).toContainEqual(['import', awkwardOva, '--vsys', '0', '--vmname', 'remote-a']);

    const gaps = callGaps(vms.calls('laptop', 500));
    console.info(`call gaps (ms) on ssh:laptop: min ${Math.min(...gaps)}, n ${gaps.length}`);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000);

    const stopped = await vms.stop('remote-a', 'laptop', 10);
    expect(stopped.vm.state).toBe('poweroff');
  });
});
