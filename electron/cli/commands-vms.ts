/** CLI commands for VM lifecycle (issue 3). */
import { resolve } from 'node:path';

import type { Boot, VmDetails } from '../core/api/contract-vms.ts';
import type { Core } from '../core/core.ts';
import { UserError } from '../core/errors.ts';
import type { VmsService } from '../core/vms/vms-service.ts';
import { chooseVm, COMMON, openCore, type Command, type Values } from './cli-support.ts';

const VM_OPTIONS = { ...COMMON, 'vbox-host': { type: 'string' as const } };

function hostOf(values: Values): string | undefined {
  return typeof values['vbox-host'] === 'string' ? values['vbox-host'] : undefined;
}

async function withVms(values: Values, body: (vms: VmsService, core: Core) => Promise<number>) {
  const core = await openCore(values);
  try {
    return await body(core.features.vms.service, core);
  } finally {
    await core.close();
  }
}

function print(values: Values, json: unknown, human: string): void {
  process.stdout.write(
    values.json ? JSON.stringify({ ok: true, ...(json as object) }) + '\n' : human,
  );
}

function describeVm(vm: VmDetails): string {
  const tunnel =
    vm.registryPort !== undefined ? `localhost:${vm.registryPort}` : 'not in port-registry.yml';
  const nic = vm.nic1
    ? `${vm.nic1.type}${vm.nic1.bridgeAdapter ? ` on ${vm.nic1.bridgeAdapter}` : ''}`
    : 'none';
  return (
    `${vm.name}  {${vm.uuid}}  on ${vm.hostId}\n` +
    `  state      ${vm.state}${vm.uptimeSec !== undefined ? `  (up ${vm.uptimeSec} s)` : ''}\n` +
    `  nic 1      ${nic}${vm.nic1?.mac ? `  ${vm.nic1.mac}` : ''}\n` +
    `  ip         ${vm.ip ?? '-'}\n` +
    `  tunnel     ${tunnel}\n` +
    `  hardware   ${vm.cpus ?? '?'} CPU, ${vm.memoryMb ?? '?'} MB\n`
  );
}

function positional(positionals: string[], what: string, usage: string): string {
  const value = positionals[0];
  if (!value) throw new UserError('usage', `no ${what} given`, usage);
  return value;
}

function stageLine(boot: Boot): string {
  return boot.stages
    .map((stage) => {
      const time = stage.elapsedMs !== undefined ? ` ${(stage.elapsedMs / 1000).toFixed(1)} s` : '';
      return `${stage.label}: ${stage.status}${time}${stage.message ? ` (${stage.message})` : ''}`;
    })
    .join('\n  ');
}

export const vmCommands: Record<string, Command> = {
  'vm-info': {
    summary: 'show the VMs of each VirtualBox host, or one VM in detail',
    help:
      'bm vm-info [<vm>] [--vbox-host <id>] [--json]\n' +
      '  State is read from VirtualBox each time; the tunnel port comes from port-registry.yml.',
    options: VM_OPTIONS,
    async run(values, positionals) {
      return withVms(values, async (vms) => {
        if (positionals[0]) {
          const vm = await vms.info(positionals[0], hostOf(values));
          print(values, { vm }, describeVm(vm));
          return 0;
        }
        const hosts = await vms.list(hostOf(values));
        const lines = hosts.flatMap(({ host, vms: list, error }) => [
          `${host.label} (${host.id})${error ? `: ${error.message}` : ''}`,
          ...list.map(
            (vm) =>
              `  ${vm.name.padEnd(20)} ${vm.state.padEnd(10)} ` +
              `${(vm.nic1?.type ?? '-').padEnd(8)} ` +
              `${vm.registryPort ?? '-'}  {${vm.uuid}}`,
          ),
        ]);
        print(values, { hosts }, lines.join('\n') + '\n');
        return hosts.some((host) => host.error) ? 3 : 0;
      });
    },
  },

  'setup-vm': {
    summary: 'switch NIC 1 of a VM from NAT (build time) to bridged networking',
    help:
      'bm setup-vm <vm> [--adapter <host interface>] [--vbox-host <id>]\n' +
      '  Without --adapter the interface of the default route is used (it must be Up).',
    options: { ...VM_OPTIONS, adapter: { type: 'string' } },
    async run(values, positionals) {
      return withVms(values, async (vms, core) => {
        const name = positionals[0] ?? (await chooseVm(core, undefined));
        const adapter = typeof values.adapter === 'string' ? values.adapter : undefined;
        const vm = await vms.setBridged(name, hostOf(values), adapter);
        print(values, { vm }, `${vm.name}: NIC 1 bridged to ${vm.nic1?.bridgeAdapter}\n`);
        return 0;
      });
    },
  },

  import: {
    summary: 'import an OVA as a new VM, taking the lowest free tunnel port',
    help:
      'bm import <file.ova> [--name <vm>] [--vbox-host <id>] [--json]\n' +
      '  Shows the progress; Ctrl-C cancels the import. On a remote VirtualBox host the path is\n' +
      '  the path on that host.',
    options: { ...VM_OPTIONS, name: { type: 'string' } },
    async run(values, positionals) {
      const ova = positional(positionals, 'OVA file', 'bm import <file.ova> --name <vm>');
      const name =
        typeof values.name === 'string'
          ? values.name
          : /([^/\\]+?)(?:-\d{8})?\.ov[af]$/i.exec(ova)?.[1]?.toLowerCase();
      if (!name || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
        throw new UserError(
          'vm-name-invalid',
          `"${name ?? ''}" cannot be a VM name`,
          'Pass --name with lower-case letters, digits and dashes, e.g. --name haskell-build.',
        );
      }
      return withVms(values, async (vms, core) => {
        const hostId = hostOf(values) ?? 'local';
        const path = hostId === 'local' ? resolve(ova) : ova;
        let shown = -1;
        const stop = core.events.subscribe((event, payload) => {
          if (event !== 'vms.task' || values.json) return;
          const task = payload as { vm: string; percent: number; phase?: string };
          if (task.vm !== name || task.percent < shown + 10) return;
          shown = task.percent - (task.percent % 10);
          process.stderr.write(`import ${name}: ${task.percent}% (${task.phase ?? 'starting'})\n`);
        });
        const started = await vms.startImport(hostId, path, name);
        const cancel = () => vms.cancelTask(started.id);
        process.once('SIGINT', cancel);
        process.once('SIGTERM', cancel);
        const task = await vms.waitForTask(started.id);
        stop();
        if (task.status !== 'succeeded') {
          const error = task.error ?? { code: 'import-failed', message: 'the import failed' };
          throw new UserError(error.code, error.message, error.fix);
        }
        print(
          values,
          { task },
          `imported ${task.vm} {${task.uuid}} on ${hostId}; tunnel port ${task.port}\n`,
        );
        return 0;
      });
    },
  },

  start: {
    summary: 'start a VM headless and follow its boot until SSH answers',
    help:
      'bm start <vm> [--vbox-host <id>] [--no-wait] [--json]\n' +
      '  Stages: VM running, IP known, SSH answers, registered in the State Hub (skipped when\n' +
      '  no hub answers). Exit code 0 when every stage passed, 3 when one failed.',
    options: { ...VM_OPTIONS, 'no-wait': { type: 'boolean' } },
    async run(values, positionals) {
      const name = positional(positionals, 'VM name', 'bm start <vm>');
      return withVms(values, async (vms, core) => {
        // Each stage as it settles, so a slow boot shows what it waits for.
        const reported = new Set<string>();
        const stop = core.events.subscribe((event, payload) => {
          if (event !== 'vms.boot' || values.json) return;
          for (const stage of (payload as Boot).stages) {
            const key = `${stage.id}:${stage.status}`;
            if (stage.status === 'pending' || reported.has(key)) continue;
            reported.add(key);
            process.stderr.write(`${name}: ${stage.label}: ${stage.status}\n`);
          }
        });
        const vm = await vms.start(name, hostOf(values));
        if (values['no-wait']) {
          print(values, { vm }, `${vm.name}: started\n`);
          return 0;
        }
        const boot = await vms.waitForBoot(vm.name);
        stop();
        if (!boot) throw new UserError('boot-not-watched', `${name}: no boot to follow`);
        const failed = boot.stages.some((stage) => stage.status === 'failed');
        print(values, { boot }, `${vm.name}: started\n  ${stageLine(boot)}\n`);
        return failed ? 3 : 0;
      });
    },
  },

  stop: {
    summary: 'shut a VM down: ACPI power button, then power off after the timeout',
    help: 'bm stop <vm> [--timeout <seconds>] [--vbox-host <id>] [--json]',
    options: { ...VM_OPTIONS, timeout: { type: 'string' } },
    async run(values, positionals) {
      const name = positional(positionals, 'VM name', 'bm stop <vm>');
      const timeout = values.timeout === undefined ? 120 : Number(values.timeout);
      if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600) {
        throw new UserError('usage', `--timeout ${String(values.timeout)} is not 1-600 seconds`);
      }
      return withVms(values, async (vms) => {
        const { outcome, vm } = await vms.stop(name, hostOf(values), timeout);
        const how = {
          'already-off': 'was already off',
          acpi: 'shut down (ACPI)',
          poweroff: 'powered off after the timeout',
        }[outcome];
        print(values, { outcome, vm }, `${vm.name}: ${how}; state ${vm.state}\n`);
        return 0;
      });
    },
  },

  'remove-vm': {
    summary: 'unregister a stopped VM, delete its disks and free its tunnel port',
    help: 'bm remove-vm <vm> --confirm <vm> [--vbox-host <id>]',
    options: { ...VM_OPTIONS, confirm: { type: 'string' } },
    async run(values, positionals) {
      const name = positional(positionals, 'VM name', 'bm remove-vm <vm> --confirm <vm>');
      return withVms(values, async (vms) => {
        const confirm = typeof values.confirm === 'string' ? values.confirm : '';
        const removed = await vms.remove(name, confirm, hostOf(values));
        print(values, removed, `${removed.name}: removed\n`);
        return 0;
      });
    },
  },
};
