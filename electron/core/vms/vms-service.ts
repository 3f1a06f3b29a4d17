import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { Boot, HostVms, VboxHost, VmDetails, VmSummary, VmTask } from '../api/contract-vms.ts';
import { describeError, UserError } from '../errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { CommandRunner } from '../exec/command-runner.ts';
import { LocalRunner } from '../exec/local-runner.ts';
import { SshRunner } from '../exec/ssh-runner.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import type { MachineService } from '../machines/machine-service.ts';
import {
  addMachine,
  checkPortBeforeStart,
  removeMachine,
  type PortProbe,
} from '../registry/registry-editor.ts';
import { loadPortRegistry, type MachineEntry } from '../registry/port-registry.ts';
import { createHubClient } from '../statehub/hub-client.ts';
import { HostCallLimiter } from '../vbox/call-limiter.ts';
import { AdaptivePoller } from '../vbox/vm-poller.ts';
import { VBoxManageDriver, type ShutdownOutcome } from '../vbox/vbox-driver.ts';
import type { VmInfo } from '../vbox/vm-info.ts';
import type { VmListEntry } from '../vbox/vm-list.ts';
import { parseVmState } from '../vbox/vm-state.ts';
import { BootWatcher, DEFAULT_BOOT_TIMEOUTS, type BootTimeouts } from './boot-watcher.ts';
import { CallLog } from './call-log.ts';
import { defaultRouteInterface } from './default-route.ts';
import { sshBanner } from './ssh-banner.ts';
import { VboxHostStore } from './vbox-hosts.ts';

export interface VmsServiceOptions {
  configDir: string;
  registryPath: string;
  stateHubUrl: string;
  events: EventBus;
  machines: MachineService;
  /** Makes the runner for a host; tests give a fake. */
  runnerFor?: (host: VboxHost) => CommandRunner;
  portProbe?: PortProbe;
  bootTimeouts?: BootTimeouts;
  minCallIntervalMs?: number;
  /** VBoxManage for this computer when not found on the PATH (BM_VBOXMANAGE). */
  localVBoxManage?: string;
}

interface HostHandle {
  host: VboxHost;
  runner: CommandRunner;
  driver: VBoxManageDriver;
  poller?: AdaptivePoller;
}

interface Located {
  handle: HostHandle;
  uuid: string;
  info: VmInfo;
}

type Placements = Record<string, { hostId: string; uuid: string }>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The VM lifecycle on every VirtualBox host: VirtualBox is asked each time (state is never
 * cached as truth), VMs are addressed by UUID, and the port registry is edited on import and
 * removal. Long work (imports, boots) runs in the background and reports through events.
 */
export class VmsService {
  readonly hosts: VboxHostStore;
  private readonly limiter: HostCallLimiter;
  private readonly handles = new Map<string, HostHandle>();
  private readonly tasks = new Map<string, { task: VmTask; abort: AbortController }>();
  private readonly boots = new Map<string, BootWatcher>();
  private readonly callLog: CallLog;
  private readonly placementsFile: string;
  private watching = false;

  constructor(private readonly options: VmsServiceOptions) {
    this.hosts = new VboxHostStore(options.configDir);
    this.limiter = new HostCallLimiter({ minIntervalMs: options.minCallIntervalMs ?? 1_000 });
    this.callLog = new CallLog((call) => options.events.emit('vms.call', call));
    this.placementsFile = join(options.configDir, 'vm-hosts.json');
  }

  // ---- hosts ----

  async handle(hostId: string): Promise<HostHandle> {
    const host = await this.hosts.get(hostId);
    const existing = this.handles.get(hostId);
    if (existing && JSON.stringify(existing.host) === JSON.stringify(host)) return existing;
    this.dropHandle(hostId);

    const runner = this.options.runnerFor?.(host) ?? defaultRunner(host);
    const executable =
      host.vboxmanage ?? (host.kind === 'local' ? this.options.localVBoxManage : undefined);
    const driver = new VBoxManageDriver(runner, {
      limiter: this.limiter,
      onCall: (record) => this.callLog.add(record),
      ...(executable ? { executable } : {}),
    });
    const handle: HostHandle = { host, runner, driver };
    this.handles.set(hostId, handle);
    if (this.watching) this.startPoller(handle);
    return handle;
  }

  async saveHost(host: VboxHost): Promise<VboxHost> {
    const saved = await this.hosts.save(host);
    this.dropHandle(host.id);
    return saved;
  }

  async removeHost(id: string): Promise<boolean> {
    this.dropHandle(id);
    return this.hosts.remove(id);
  }

  calls(hostId?: string, limit?: number) {
    const runnerHost = hostId ? this.handles.get(hostId)?.runner.host : undefined;
    if (hostId && !runnerHost) return [];
    return this.callLog.list(runnerHost, limit);
  }

  // ---- listing ----

  /** Every host's VMs; a host that fails is reported with its error, the others still list. */
  async list(hostId?: string): Promise<HostVms[]> {
    const hosts = hostId ? [await this.hosts.get(hostId)] : await this.hosts.list();
    const registry = await this.registryByName();
    return Promise.all(
      hosts.map(async (host) => {
        try {
          const handle = await this.handle(host.id);
          return { host, vms: await this.summaries(handle, registry) };
        } catch (error) {
          return { host, vms: [], error: describeError(error) };
        }
      }),
    );
  }

  /** Starts polling every host and pushing `vms.changed`; for windows that show the VMs. */
  async watch(): Promise<void> {
    if (this.watching) return;
    this.watching = true;
    for (const host of await this.hosts.list()) this.startPoller(await this.handle(host.id));
  }

  async info(vm: string, hostId?: string): Promise<VmDetails> {
    const located = await this.locate(vm, hostId);
    return this.details(located);
  }

  // ---- import ----

  async startImport(hostId: string, ova: string, name: string): Promise<VmTask> {
    const handle = await this.handle(hostId);
    if (handle.host.kind === 'local') await checkOvaFile(ova);
    const registry = await this.registryByName();
    if (registry.has(name)) {
      throw new UserError(
        'vm-name-taken',
        `a VM named ${name} already exists: port-registry.yml lists it on port ` +
          `${registry.get(name)!.port}`,
        'Choose another name, or remove the old VM first (its card has Remove).',
      );
    }
    const listed = await handle.driver.listVms();
    const existing = [...listed.values()].find((entry) => entry.name === name);
    if (existing) {
      throw new UserError(
        'vm-name-taken',
        `a VM named ${name} already exists in VirtualBox on ${handle.host.label} ` +
          `(UUID ${existing.uuid})`,
        'Choose another name, or remove the old VM first.',
      );
    }
    const entry = await addMachine(this.options.registryPath, { name }, this.options.portProbe);

    const task: VmTask = {
      id: randomUUID(),
      kind: 'import',
      hostId,
      vm: name,
      source: ova,
      status: 'running',
      percent: 0,
      startedAt: new Date().toISOString(),
      port: entry.port,
    };
    const abort = new AbortController();
    this.tasks.set(task.id, { task, abort });
    this.emitTask(task);
    void this.runImport(handle, task, abort.signal, listed);
    return { ...task };
  }

  private async runImport(
    handle: HostHandle,
    task: VmTask,
    signal: AbortSignal,
    listed: Map<string, VmListEntry>,
  ): Promise<void> {
    try {
      const result = await handle.driver.import(task.source, {
        vmName: task.vm,
        signal,
        // The listing that checked the name is the "before" the new VM is found against.
        knownVms: listed,
        onProgress: (percent, phase) => {
          task.percent = percent;
          task.phase = phase;
          this.emitTask(task);
        },
      });
      task.uuid = result.uuid;
      task.status = 'succeeded';
      task.percent = 100;
      await this.place(task.vm, { hostId: handle.host.id, uuid: result.uuid });
    } catch (error) {
      task.status = signal.aborted ? 'canceled' : 'failed';
      task.error = describeError(error);
      // The port was reserved for this VM only; a failed import gives it back.
      await removeMachine(this.options.registryPath, task.vm).catch(() => undefined);
    }
    task.finishedAt = new Date().toISOString();
    this.emitTask(task);
    handle.poller?.nudge();
  }

  listTasks(): VmTask[] {
    return [...this.tasks.values()].map(({ task }) => ({ ...task }));
  }

  async waitForTask(id: string): Promise<VmTask> {
    const entry = this.requireTask(id);
    if (entry.task.status !== 'running') return { ...entry.task };
    return new Promise((resolve) => {
      const stop = this.options.events.subscribe((name, payload) => {
        if (name !== 'vms.task') return;
        const task = payload as VmTask;
        if (task.id === id && task.status !== 'running') {
          stop();
          resolve(task);
        }
      });
    });
  }

  cancelTask(id: string): VmTask {
    const entry = this.requireTask(id);
    if (entry.task.status === 'running') entry.abort.abort();
    return { ...entry.task };
  }

  private requireTask(id: string) {
    const entry = this.tasks.get(id);
    if (!entry) {
      throw new UserError('task-unknown', `no VM task ${id}`, 'Refresh the panel to list tasks.');
    }
    return entry;
  }

  // ---- networking ----

  async bridgeAdapters(hostId: string) {
    const handle = await this.handle(hostId);
    const choice = await handle.driver.bridgeChoice(await defaultRouteInterface(handle.runner));
    return {
      candidates: choice.candidates.map((nic) => ({
        name: nic.name,
        ...(nic.ipAddress ? { ipAddress: nic.ipAddress } : {}),
      })),
      ...(choice.preselected ? { preselected: choice.preselected.name } : {}),
    };
  }

  /** NIC 1 from NAT (how the image was built) to bridged on a host interface that is Up. */
  async setBridged(vm: string, hostId?: string, adapter?: string): Promise<VmDetails> {
    const located = await this.locate(vm, hostId);
    if (located.info.state.kind !== 'poweroff' && located.info.state.kind !== 'aborted') {
      throw new UserError(
        'vm-not-stopped',
        `${located.info.name} is ${located.info.state.raw}; VirtualBox changes NIC 1 only on a ` +
          'powered-off VM',
        'Stop the VM (or discard its saved state), then switch it to bridged.',
      );
    }
    const { candidates, preselected } = await this.bridgeAdapters(located.handle.host.id);
    const chosen =
      adapter ?? preselected ?? (candidates.length === 1 ? candidates[0]?.name : undefined);
    if (!chosen || !candidates.some((nic) => nic.name === chosen)) {
      throw new UserError(
        'bridge-adapter-unavailable',
        chosen
          ? `${chosen} is not a host interface that is Up on ${located.handle.host.label}`
          : `no bridge adapter could be chosen on ${located.handle.host.label}`,
        `Pick one of: ${candidates.map((nic) => nic.name).join(', ') || '(none is Up)'}.`,
      );
    }
    await located.handle.driver.setBridged(located.uuid, chosen);
    return this.reread(located);
  }

  // ---- power ----

  async start(vm: string, hostId?: string): Promise<VmDetails> {
    const located = await this.locate(vm, hostId);
    const name = located.info.name;
    if (located.info.state.kind === 'running') {
      throw new UserError(
        'vm-running',
        `${name} is already running`,
        'Stop it first to restart it, or wait for its boot stages.',
      );
    }
    const entry = (await this.registryByName()).get(name);
    // Every start checks the tunnel port again: a stale tunnel or another program may hold it.
    if (entry) await checkPortBeforeStart(entry, this.options.portProbe);
    await located.handle.driver.startHeadless(located.uuid);
    this.watchBoot(located, entry);
    located.handle.poller?.nudge();
    // A guest just started has no address yet; the boot watcher asks for it.
    return this.reread(located, { guestIp: false });
  }

  async stop(
    vm: string,
    hostId?: string,
    timeoutSec = 120,
  ): Promise<{ outcome: ShutdownOutcome; vm: VmDetails }> {
    const located = await this.locate(vm, hostId);
    this.boots.get(located.info.name)?.cancel();
    const outcome = await located.handle.driver.shutdown(located.uuid, {
      timeoutMs: timeoutSec * 1000,
      currentState: located.info.state,
    });
    this.boots.delete(located.info.name);
    located.handle.poller?.nudge();
    return { outcome, vm: await this.reread(located) };
  }

  async saveState(vm: string, hostId?: string): Promise<VmDetails> {
    const located = await this.locate(vm, hostId);
    this.boots.get(located.info.name)?.cancel();
    this.boots.delete(located.info.name);
    await located.handle.driver.saveState(located.uuid);
    located.handle.poller?.nudge();
    return this.reread(located);
  }

  /** Unregisters the VM, deletes its disks and frees its registry port. */
  async remove(vm: string, confirm: string, hostId?: string) {
    const located = await this.locate(vm, hostId);
    const name = located.info.name;
    if (confirm !== name) {
      throw new UserError(
        'confirm-mismatch',
        `removing ${name} deletes its disks; the confirmation "${confirm}" does not match its name`,
        `Type the VM name (${name}) to confirm.`,
      );
    }
    if (located.info.state.kind === 'running' || located.info.state.kind === 'paused') {
      throw new UserError(
        'vm-running',
        `${name} is ${located.info.state.raw}; a running VM cannot be removed`,
        'Stop it first.',
      );
    }
    await located.handle.driver.remove(located.uuid);
    await removeMachine(this.options.registryPath, name);
    const placements = await this.placements();
    delete placements[name];
    await writeFileAtomic(this.placementsFile, JSON.stringify(placements, null, 2) + '\n');
    located.handle.poller?.nudge();
    return { removed: true as const, name };
  }

  bootOf(vm: string): Boot | undefined {
    const watcher = this.boots.get(vm);
    return watcher ? structuredClone(watcher.boot) : undefined;
  }

  /** The boot in progress for a VM, when one is watched; resolves when it ends. */
  waitForBoot(vm: string): Promise<Boot> | undefined {
    return this.boots.get(vm)?.done;
  }

  close(): void {
    for (const watcher of this.boots.values()) watcher.cancel();
    for (const { task, abort } of this.tasks.values()) if (task.status === 'running') abort.abort();
    for (const id of [...this.handles.keys()]) this.dropHandle(id);
  }

  // ---- internals ----

  private watchBoot(located: Located, entry: MachineEntry | undefined): void {
    const name = located.info.name;
    this.boots.get(name)?.cancel();
    const { driver, host } = located.handle;
    const hub = createHubClient({ baseUrl: this.options.stateHubUrl });
    const watcher = new BootWatcher(
      name,
      host.id,
      {
        state: async () => (await driver.state(located.uuid)).raw,
        guestIp: () => driver.guestIp(located.uuid),
        probe: async () => {
          if (!entry) {
            throw new UserError(
              'vm-not-registered',
              `${name} is not in port-registry.yml, so it has no tunnel port to answer on`,
              'Add it to the registry with a free port from 12221-12230.',
            );
          }
          if (!(await sshBanner(entry.port))) {
            return {
              name,
              port: entry.port,
              user: entry.user,
              ssh: 'unreachable' as const,
              message: `no SSH server greets on the tunnel port ${entry.port} yet`,
            };
          }
          return this.options.machines.probe(name);
        },
        hub: async () => {
          const health = await hub.health();
          if (health.kind !== 'ok') {
            return { kind: 'skip', message: `no State Hub answers at ${hub.baseUrl}` };
          }
          const agents = await hub.listBuildAgents();
          if (agents.kind !== 'ok') return { kind: 'waiting', message: agents.message };
          const listed = agents.value.some(
            (agent) => agent.name === name || agent.attributes.tunnel_port === entry?.port,
          );
          return listed
            ? { kind: 'listed', message: `listed at ${hub.baseUrl}` }
            : { kind: 'waiting', message: `not listed at ${hub.baseUrl} yet` };
        },
      },
      (boot) => this.options.events.emit('vms.boot', structuredClone(boot)),
      this.options.bootTimeouts ?? DEFAULT_BOOT_TIMEOUTS,
    );
    this.boots.set(name, watcher);
  }

  /** Finds a VM by name or UUID: on the given host, where it was imported, or on any host. */
  private async locate(vm: string, hostId?: string): Promise<Located> {
    const placed = (await this.placements())[vm];
    const hostIds = hostId
      ? [hostId]
      : [
          ...(placed ? [placed.hostId] : []),
          ...(await this.hosts.list()).map((host) => host.id).filter((id) => id !== placed?.hostId),
        ];
    const problems: string[] = [];
    const byUuid = UUID.test(vm) ? vm.toLowerCase() : undefined;
    for (const id of hostIds) {
      let handle: HostHandle;
      try {
        handle = await this.handle(id);
      } catch (error) {
        problems.push(describeError(error).message);
        continue;
      }
      try {
        // A UUID is asked for directly: one showvminfo instead of a listing first.
        let uuid = placed?.hostId === id ? placed.uuid : byUuid;
        if (!uuid) {
          const vms = [...(await handle.driver.listVms()).values()];
          uuid = vms.find((entry) => entry.uuid === vm.toLowerCase() || entry.name === vm)?.uuid;
        }
        if (!uuid) continue;
        return { handle, uuid, info: await handle.driver.info(uuid) };
      } catch (error) {
        const described = describeError(error);
        if (described.code === 'vbox-vm-not-found') continue;
        if (hostId) throw error;
        problems.push(`${handle.host.label}: ${described.message}`);
      }
    }
    throw new UserError(
      'vm-not-found',
      `no VirtualBox VM named ${vm} on ${hostId ?? 'any VirtualBox host'}` +
        (problems.length > 0 ? ` (${problems.join('; ')})` : ''),
      'Import it first, or refresh the VM list; it may have been removed or renamed.',
    );
  }

  /** The VM as VirtualBox shows it after an action: read again, never assumed. */
  private async reread(located: Located, options: { guestIp?: boolean } = {}) {
    const info = await located.handle.driver.info(located.uuid);
    return this.details({ ...located, info }, options);
  }

  private async details(located: Located, options: { guestIp?: boolean } = {}) {
    const registry = await this.registryByName();
    const summary = toSummary(located.handle.host.id, located.info, registry);
    const details: VmDetails = { ...summary };
    if (located.info.state.kind === 'running') {
      const ip =
        options.guestIp === false ? undefined : await located.handle.driver.guestIp(located.uuid);
      if (ip) details.ip = ip;
      const since = located.info.stateChangedAt?.getTime();
      if (since) details.uptimeSec = Math.max(0, Math.round((Date.now() - since) / 1000));
    }
    const boot = this.bootOf(located.info.name);
    if (boot) details.boot = boot;
    return details;
  }

  private async summaries(
    handle: HostHandle,
    registry: Map<string, MachineEntry>,
  ): Promise<VmSummary[]> {
    const summaries: VmSummary[] = [];
    for (const entry of (await handle.driver.listVms()).values()) {
      if (!entry.accessible) {
        summaries.push({
          hostId: handle.host.id,
          uuid: entry.uuid,
          name: entry.name,
          accessible: false,
          state: 'inaccessible',
        });
        continue;
      }
      try {
        summaries.push(toSummary(handle.host.id, await handle.driver.info(entry.uuid), registry));
      } catch (error) {
        // Removed between the listing and the query: it is simply gone.
        if (describeError(error).code !== 'vbox-vm-not-found') throw error;
      }
    }
    return summaries;
  }

  private startPoller(handle: HostHandle): void {
    if (handle.poller) return;
    handle.poller = new AdaptivePoller({
      poll: async () => {
        const vms = await this.summaries(handle, await this.registryByName());
        this.options.events.emit('vms.changed', { hostId: handle.host.id, vms });
        return vms.map((vm) => parseVmState(vm.state));
      },
    });
    handle.poller.start();
  }

  private dropHandle(hostId: string): void {
    const handle = this.handles.get(hostId);
    handle?.poller?.stop();
    if (handle?.runner instanceof SshRunner) handle.runner.close();
    this.handles.delete(hostId);
  }

  private emitTask(task: VmTask): void {
    this.options.events.emit('vms.task', { ...task });
  }

  private async registryByName(): Promise<Map<string, MachineEntry>> {
    try {
      const entries = await loadPortRegistry(this.options.registryPath);
      return new Map(entries.map((entry) => [entry.name, entry]));
    } catch (error) {
      if (describeError(error).code === 'registry-missing') return new Map();
      throw error;
    }
  }

  private async placements(): Promise<Placements> {
    try {
      return JSON.parse(await readFile(this.placementsFile, 'utf8')) as Placements;
    } catch {
      return {};
    }
  }

  private async place(name: string, placement: { hostId: string; uuid: string }) {
    const placements = await this.placements();
    placements[name] = placement;
    await writeFileAtomic(this.placementsFile, JSON.stringify(placements, null, 2) + '\n');
  }
}

function defaultRunner(host: VboxHost): CommandRunner {
  if (host.kind === 'local') return new LocalRunner();
  return new SshRunner({
    label: host.id,
    host: host.host!,
    port: host.port ?? 22,
    user: host.user!,
    keyPath: host.keyPath!,
    hostKey: host.hostKey!,
  });
}

function toSummary(hostId: string, info: VmInfo, registry: Map<string, MachineEntry>): VmSummary {
  const nic = info.nics.find((candidate) => candidate.index === 1);
  const port = registry.get(info.name)?.port;
  return {
    hostId,
    uuid: info.uuid,
    name: info.name,
    accessible: info.accessible,
    state: info.state.raw,
    ...(info.stateChangedAt ? { stateChangedAt: info.stateChangedAt.toISOString() } : {}),
    ...(nic
      ? {
          nic1: {
            type: nic.type,
            ...(nic.bridgeAdapter ? { bridgeAdapter: nic.bridgeAdapter } : {}),
            ...(nic.mac ? { mac: nic.mac } : {}),
          },
        }
      : {}),
    ...(info.memoryMb !== undefined ? { memoryMb: info.memoryMb } : {}),
    ...(info.cpus !== undefined ? { cpus: info.cpus } : {}),
    ...(port !== undefined ? { registryPort: port } : {}),
  };
}

async function checkOvaFile(path: string): Promise<void> {
  try {
    if ((await stat(path)).isFile()) return;
  } catch {
    // Reported below with the same words as a folder.
  }
  throw new UserError(
    'ova-not-found',
    `${path} is not an OVA file on this computer`,
    'Choose the .ova file Packer built (packer build . writes haskell-build-YYYYMMDD.ova).',
  );
}
