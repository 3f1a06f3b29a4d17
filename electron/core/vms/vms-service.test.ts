import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeEach, describe, expect, it } from 'vitest';

import type { VmTask } from '../api/contract-vms.ts';
import { EventBus } from '../events/event-bus.ts';
import type { MachineService } from '../machines/machine-service.ts';
import { FakeRunner } from '../vbox/test-support.ts';
import { VmsService } from './vms-service.ts';

const UUID_A = '11111111-2222-4333-8444-555555555555';
const REGISTRY = '# the build machines\nmachines:\n  - name: lab-vm1 # the lab\n    port: 12222\n';

function info(name: string, uuid: string, state: string): string {
  return (
    `name="${name}"\nUUID="${uuid}"\nVMState="${state}"\n` +
    'VMStateChangeTime="2026-04-20T09:55:20.000000000"\nmemory=4096\ncpus=2\n' +
    'macaddress1="0800271A4565"\nnic1="nat"\n'
  );
}

let runner: FakeRunner;
let events: EventBus;
let service: VmsService;
let registryPath: string;
/** What `list vms` answers: the VMs VirtualBox has registered. */
let registered: Array<{ name: string; uuid: string; state: string }>;

beforeEach(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bm-vms-service-'));
  registryPath = join(dir, 'port-registry.yml');
  await writeFile(registryPath, REGISTRY);
  registered = [];
  runner = new FakeRunner()
    .on(['list', 'vms'], () => ({
      stdout: registered.map((vm) => `"${vm.name}" {${vm.uuid}}\n`).join(''),
    }))
    .on(['showvminfo'], (args) => {
      const vm = registered.find((entry) => entry.uuid === args[1] || entry.name === args[1]);
      if (!vm) {
        return {
          exitCode: 1,
          stderr:
            `VBoxManage: error: Could not find a registered machine named '${args[1]}'\n` +
            'VBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component ' +
            'VirtualBoxWrap, interface IVirtualBox, callee nsISupports\n',
        };
      }
      return { stdout: info(vm.name, vm.uuid, vm.state) };
    })
    .on(['import'], (args) => {
      registered.push({
        name: args[args.indexOf('--vmname') + 1]!,
        uuid: UUID_A,
        state: 'poweroff',
      });
      return {
        stdout: 'Successfully imported the appliance.\n',
        stderr: '0%...10%...50%...100%\n0%...30%...60%...90%...100%\n',
        chunkSize: 6,
      };
    })
    .on(['controlvm'], (args) => {
      if (args[2] === 'acpipowerbutton') registered[0]!.state = 'poweroff';
      return {};
    });
  events = new EventBus();
  service = new VmsService({
    configDir: dir,
    registryPath,
    stateHubUrl: 'http://127.0.0.1:9',
    events,
    machines: {} as MachineService,
    runnerFor: () => runner,
    portProbe: { isFree: async () => true },
    minCallIntervalMs: 0,
    localVBoxManage: '/opt/VirtualBox/VBoxManage',
  });
});

describe('VmsService on a scripted VirtualBox', () => {
  it('imports in the background: progress events, a registry port, the VM placed', async () => {
    const seen: VmTask[] = [];
    events.subscribe((name, payload) => {
      if (name === 'vms.task') seen.push(payload as VmTask);
    });
    const started = await service
      .startImport('local', '/tmp/none.ova', 'haskell-build')
      .catch((error: unknown) => error);
    // A missing OVA on this computer is refused before VirtualBox is asked.
    expect(started).toMatchObject({ code: 'ova-not-found' });
    expect(runner.calls).toHaveLength(0);

    const ova = join(tmpdir(), `bm-unit-${process.pid}.ova`);
    await writeFile(ova, 'tar');
    const task = await service.startImport('local', ova, 'haskell-build');
    expect(task).toMatchObject({ status: 'running', port: 12221, percent: 0 });
    const done = await service.waitForTask(task.id);
    expect(done).toMatchObject({ status: 'succeeded', percent: 100, uuid: UUID_A });

    const percents = seen.map((entry) => entry.percent);
    expect(percents.filter((value) => value > 0 && value < 100).length).toBeGreaterThan(3);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    // The listing that checked the name served as the "before" of the import.
    expect(runner.argvs().map((argv) => argv.slice(0, 2).join(' '))).toEqual([
      'list vms',
      `import ${ova}`,
      'list vms',
    ]);
    const registry = await readFile(registryPath, 'utf8');
    expect(registry).toContain('# the build machines');
    expect(registry).toContain('- name: lab-vm1 # the lab');
    expect(registry).toMatch(/name: haskell-build\n\s+port: 12221/);

    const again = await service.startImport('local', ova, 'haskell-build').catch((e) => e);
    expect(again).toMatchObject({ code: 'vm-name-taken' });
    expect(again.message).toContain('port-registry.yml lists it on port 12221');
  });

  it('refuses a name VirtualBox has; a failed import gives its port back', async () => {
    registered.push({ name: 'taken', uuid: UUID_A, state: 'poweroff' });
    const ova = join(tmpdir(), `bm-unit-${process.pid}-2.ova`);
    await writeFile(ova, 'tar');
    await expect(service.startImport('local', ova, 'taken')).rejects.toMatchObject({
      code: 'vm-name-taken',
    });

    runner.once(['import'], {
      exitCode: 1,
      stderr:
        "VBoxManage: error: Appliance read failed\nVBoxManage: error: Could not find the file '" +
        `${ova}' (VERR_FILE_NOT_FOUND)\n`,
    });
    const task = await service.startImport('local', ova, 'fresh');
    const done = await service.waitForTask(task.id);
    expect(done.status).toBe('failed');
    expect(await readFile(registryPath, 'utf8')).not.toContain('fresh');
  });

  it('stops with the state it just read and reads the VM by UUID without a listing', async () => {
    registered.push({ name: 'builder', uuid: UUID_A, state: 'running' });
    const { outcome, vm } = await service.stop(UUID_A, 'local', 5);
    expect(outcome).toBe('acpi');
    expect(vm.state).toBe('poweroff');
    expect(runner.argvs().map((argv) => `${argv[0]} ${argv[2] ?? ''}`.trim())).toEqual([
      'showvminfo --machinereadable',
      'controlvm acpipowerbutton',
      'showvminfo --machinereadable',
      'showvminfo --machinereadable',
    ]);
    expect(runner.calls.every((call) => call.file === '/opt/VirtualBox/VBoxManage')).toBe(true);
  });
});
