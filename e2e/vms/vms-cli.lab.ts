import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parsePortRegistry } from '../../electron/core/registry/port-registry.ts';
import { makeTinyOva, type TinyOva } from '../lab/fake-vbox/tiny-ova.ts';
import { labEnv } from '../support/lab-env.ts';
import { pinHostKey, unpinHostKeys, vboxLab, type VboxLab } from './vbox-lab.ts';

const lab = labEnv();
const ROOT = new URL('../../', import.meta.url).pathname;
const TSX_LOADER = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
let vbox: VboxLab;
let ova: TinyOva;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function bm(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    // tsx as a loader in one node process: `npx tsx` would start npx, tsx and node in turn.
    execFile(
      process.execPath,
      [
        '--import',
        TSX_LOADER,
        'electron/cli/main.ts',
        ...args,
        '--registry',
        vbox.registry,
        '--key',
        lab.buildKey,
        '-q',
      ],
      { cwd: ROOT, env: { ...process.env, ...vbox.env }, timeout: 110_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  vbox = await vboxLab(lab);
  ova = await makeTinyOva('cli-image');
});

afterAll(async () => {
  await unpinHostKeys(lab.configDir, ['cli-a']);
});

describe('the VM lifecycle from the CLI, on the lab VirtualBox', () => {
  it('imports, refuses a second import, gives distinct ports, bridges, starts, stops', async () => {
    const first = await bm('import', ova.path, '--name', 'cli-a');
    // Live progress on stderr: both of VBoxManage's runs mapped onto one percentage.
    expect(first.stderr).toMatch(
      /import cli-a: \d+% \(interpret\)\n[^]*import cli-a: 100% \(import\)\n$/,
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/imported cli-a \{[0-9a-f-]{36}\} on local; tunnel port 12221/);

    const again = await bm('import', ova.path, '--name', 'cli-a');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('a VM named cli-a already exists');
    expect(again.stderr).toContain('fix: Choose another name');

    const second = await bm('import', ova.path, '--name', 'cli-b', '--json');
    expect(second.code).toBe(0);
    const registry = parsePortRegistry(await readFile(vbox.registry, 'utf8'));
    const ports = Object.fromEntries(registry.map((entry) => [entry.name, entry.port]));
    expect(ports).toMatchObject({ 'lab-vm1': 12222, 'cli-a': 12221, 'cli-b': 12223 });
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: true, task: { port: 12223 } });

    const info = await bm('vm-info');
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/cli-a\s+poweroff\s+nat\s+12221/);
    expect(info.stdout).toMatch(/cli-b\s+poweroff\s+nat\s+12223/);

    const setup = await bm('setup-vm', 'cli-a');
    expect(setup.code).toBe(0);
    expect(setup.stdout).toBe('cli-a: NIC 1 bridged to eth0\n');

    await pinHostKey(lab.configDir, 'cli-a', ova.hostKey);
    const start = await bm('start', 'cli-a');
    expect(start.stderr).toContain('cli-a: SSH answers: done');
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/VM running: done/);
    expect(start.stdout).toMatch(/IP known: done [\d.]+ s \(198\.18\.\d+\.\d+\)/);
    expect(start.stdout).toMatch(/SSH answers: done [\d.]+ s \(port 12221/);
    expect(start.stdout).toMatch(/registered in the State Hub: skipped/);

    const running = await bm('vm-info', 'cli-a', '--json');
    const vm = JSON.parse(running.stdout).vm;
    expect(vm).toMatchObject({
      state: 'running',
      nic1: { type: 'bridged', bridgeAdapter: 'eth0' },
    });
    expect(vm.ip).toMatch(/^198\.18\./);

    const twice = await bm('start', 'cli-a');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('cli-a is already running');

    const stop = await bm('stop', 'cli-a', '--timeout', '20');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toBe('cli-a: shut down (ACPI); state poweroff\n');

    const refused = await bm('remove-vm', 'cli-b', '--confirm', 'cli-a');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('does not match its name');
    for (const name of ['cli-a', 'cli-b']) {
      expect((await bm('remove-vm', name, '--confirm', name)).code).toBe(0);
    }
    const after = parsePortRegistry(await readFile(vbox.registry, 'utf8'));
    expect(after.map((entry) => entry.name)).toEqual(['lab-vm1']);
  });

  it('reports a missing OVA and an unknown VM with exit code 2', async () => {
    const missing = await bm('import', '/nonexistent/box.ova', '--name', 'nothing');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('is not an OVA file on this computer');
    const unknown = await bm('start', 'no-such-vm');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no VirtualBox VM named no-such-vm');
  });
});
