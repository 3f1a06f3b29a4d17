/**
 * Tunnel health of every VM, in the core (the main process, never the renderer): each VM is
 * probed about once a second with a deadline, so a cut link shows within about three seconds
 * and a restored one at the next probe. Changes go out as `health.changed`.
 */
import { readFile } from 'node:fs/promises';

import type { Catalog, HealthSnapshot, HubStatus, VmHealth } from '../api/contract-hub.ts';
import type { EventBus } from '../events/event-bus.ts';
import { LocalRunner } from '../exec/local-runner.ts';
import { createLogger } from '../log/logger.ts';
import type { MachineEntry } from '../registry/port-registry.ts';
import type { HostKeyStore } from '../ssh/host-keys.ts';
import { probeTunnel, type TunnelProbe } from './tunnel-probe.ts';

const log = createLogger('health');
const runner = new LocalRunner();

export const PROBE_INTERVAL_MS = 1_000;
export const PROBE_TIMEOUT_MS = 1_800;
// RTT moves every probe; between state changes the UI gets it at this pace.
const QUIET_REFRESH_MS = 5_000;
const SLOW_HANDSHAKE_MS = 1_000;
// A half-open tunnel (the VM's link cut, the workstation's sshd still holding the port) is
// probed every second at first, so a quick return shows at once; after that more slowly,
// because sshd's ClientAlive check only runs when the session has been idle for
// ClientAliveInterval, and a connection every second would keep the dead session and its
// port alive, so the VM could not rebuild its tunnel. While resting, the kernel is asked
// whether the port still listens: once the dead session is gone, probing is fast again.
const HALF_OPEN_FAST_MS = 6_000;
const HALF_OPEN_INTERVAL_MS = 4_000;

export interface HealthMonitorOptions {
  machines: () => Promise<MachineEntry[]>;
  keyPath: string;
  hostKeys: HostKeyStore;
  /** The latest catalog read from the State Hub, if any. */
  catalog: () => Catalog | undefined;
  events: EventBus;
  intervalMs?: number;
  timeoutMs?: number;
}

export class HealthMonitor {
  private readonly health = new Map<string, VmHealth>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<HealthSnapshot> | undefined;
  private lastEmitted = '';
  private lastEmittedAt = 0;
  private closed = false;

  constructor(private readonly options: HealthMonitorOptions) {}

  start(): void {
    if (this.timer || this.closed) return;
    const tick = () => {
      const started = Date.now();
      void this.probeAll().finally(() => {
        if (this.closed) return;
        const wait = Math.max(
          0,
          (this.options.intervalMs ?? PROBE_INTERVAL_MS) - (Date.now() - started),
        );
        this.timer = setTimeout(tick, wait);
      });
    };
    tick();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The last known state, without probing. */
  snapshot(): HealthSnapshot {
    return summarize([...this.health.values()], this.hubStatus());
  }

  /** Probes every VM now; concurrent callers share one round. */
  probeAll(): Promise<HealthSnapshot> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  /** A round that starts after this call (on resume, or after the user changed something). */
  async probeAgain(): Promise<HealthSnapshot> {
    await this.running?.catch(() => undefined);
    return this.probeAll();
  }

  private hubStatus(): HubStatus {
    return (
      this.options.catalog()?.status ?? {
        kind: 'down',
        url: '',
        message: 'The State Hub has not been read yet.',
        canStartEmbedded: false,
        checkedAt: new Date().toISOString(),
      }
    );
  }

  private async round(): Promise<HealthSnapshot> {
    let machines: MachineEntry[];
    try {
      machines = await this.options.machines();
    } catch (error) {
      log.warn('cannot read the port registry', { error: (error as Error).message });
      machines = [];
    }
    const privateKey = await readFile(this.options.keyPath).catch(() => undefined);
    const names = new Set(machines.map((machine) => machine.name));
    for (const name of this.health.keys()) if (!names.has(name)) this.health.delete(name);

    await Promise.all(
      machines.map(async (machine) => {
        if (this.resting(machine.name) && (await listenerPresent(machine.port)) !== false) {
          return;
        }
        const probe: TunnelProbe = privateKey
          ? await probeTunnel(
              machine,
              privateKey,
              await this.options.hostKeys.get(machine.name),
              this.options.timeoutMs ?? PROBE_TIMEOUT_MS,
            )
          : {
              listening: false,
              handshake: 'error',
              message: `the build key ${this.options.keyPath} cannot be read (make keygen)`,
            };
        this.record(machine, probe);
      }),
    );

    const snapshot = this.snapshot();
    const key = JSON.stringify([
      snapshot.overall,
      snapshot.hub.kind,
      snapshot.vms.map((vm) => [vm.name, vm.state, vm.handshake, vm.registration?.freshness]),
    ]);
    if (key !== this.lastEmitted || Date.now() - this.lastEmittedAt >= QUIET_REFRESH_MS) {
      if (key !== this.lastEmitted)
        log.info('health', { overall: snapshot.overall, summary: snapshot.summary });
      this.lastEmitted = key;
      this.lastEmittedAt = Date.now();
      this.options.events.emit('health.changed', snapshot);
    }
    return snapshot;
  }

  private resting(name: string): boolean {
    const health = this.health.get(name);
    if (!health || health.handshake !== 'timeout' || !health.checkedAt) return false;
    const now = Date.now();
    return (
      now - Date.parse(health.since) > HALF_OPEN_FAST_MS &&
      now - Date.parse(health.checkedAt) < HALF_OPEN_INTERVAL_MS
    );
  }

  private record(machine: MachineEntry, probe: TunnelProbe): void {
    const now = new Date().toISOString();
    const entry = this.options
      .catalog()
      ?.entries.find((candidate) => candidate.name === machine.name);
    const registration = entry
      ? { freshness: entry.freshness, ageMs: entry.ageMs, lastSeen: entry.lastSeen }
      : undefined;
    const state = stateOf(probe, registration);
    const previous = this.health.get(machine.name);
    const message =
      probe.message ?? (state === 'degraded' ? degradedReason(probe, registration) : undefined);
    this.health.set(machine.name, {
      name: machine.name,
      port: machine.port,
      state,
      listening: probe.listening,
      handshake: probe.handshake,
      ...(probe.rttMs !== undefined ? { rttMs: probe.rttMs } : {}),
      ...(probe.presentedFingerprint ? { presentedFingerprint: probe.presentedFingerprint } : {}),
      ...(probe.pinnedFingerprint ? { pinnedFingerprint: probe.pinnedFingerprint } : {}),
      ...(registration ? { registration } : {}),
      ...(message ? { message } : {}),
      since: previous && previous.state === state ? previous.since : now,
      checkedAt: now,
    });
    if (previous && previous.state !== state) {
      log.info(`${machine.name}: ${previous.state} -> ${state}`, { handshake: probe.handshake });
    }
  }
}

/**
 * Whether anything listens on the port, asked of the kernel (`ss`) rather than by connecting,
 * so a resting half-open tunnel is not woken. undefined where `ss` cannot tell (not Linux).
 */
async function listenerPresent(port: number): Promise<boolean | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    const result = await runner.run('ss', ['-Hltn', `sport = :${port}`], { timeoutMs: 2_000 });
    return result.exitCode === 0 ? result.stdout.trim() !== '' : undefined;
  } catch {
    return undefined;
  }
}

function stateOf(probe: TunnelProbe, registration: VmHealth['registration']): VmHealth['state'] {
  if (probe.handshake !== 'ok') return 'down';
  if (registration?.freshness !== 'online') return 'degraded';
  if ((probe.rttMs ?? 0) > SLOW_HANDSHAKE_MS) return 'degraded';
  return 'healthy';
}

function degradedReason(probe: TunnelProbe, registration: VmHealth['registration']): string {
  if (!registration) return 'SSH answers, but the VM is not registered in the State Hub';
  if (registration.freshness !== 'online') {
    return (
      `SSH answers, but its State Hub entry is ${registration.freshness} ` +
      `(last seen ${Math.round(registration.ageMs / 1000)} s ago)`
    );
  }
  return `the SSH handshake took ${probe.rttMs} ms`;
}

export function summarize(vms: VmHealth[], hub: HubStatus): HealthSnapshot {
  const sorted = [...vms].sort((a, b) => a.name.localeCompare(b.name));
  const healthy = sorted.filter((vm) => vm.state === 'healthy').length;
  const hubUp = hub.kind === 'external' || hub.kind === 'embedded';
  let overall: HealthSnapshot['overall'];
  if (!hubUp || healthy === 0) overall = 'red';
  else if (healthy === sorted.length) overall = 'green';
  else overall = 'amber';

  const parts = sorted.map((vm) => `${vm.name} ${vm.state}`);
  const summary =
    sorted.length === 0
      ? 'no build machine in the port registry'
      : `${healthy}/${sorted.length} healthy: ${parts.join(', ')}` +
        (hubUp ? '' : `; State Hub ${hub.kind}`);
  return { overall, summary, hub, vms: sorted };
}
