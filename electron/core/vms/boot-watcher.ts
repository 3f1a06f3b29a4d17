import type { MachineStatus } from '../api/contract.ts';
import type { Boot, BootStage } from '../api/contract-vms.ts';
import { describeError } from '../errors.ts';
import { abortableDelay } from '../vbox/abortable-delay.ts';

/**
 * Follows a VM from `startvm` to ready, in named stages: VirtualBox says it runs, the guest
 * reports an IP, SSH answers through the tunnel, the State Hub lists its agent. Each stage
 * has its own time limit and says what it is waiting for; a stage that runs out fails with a
 * message, and the later ones stay pending.
 */
export interface BootChecks {
  /** VirtualBox's VMState for the VM. */
  state(): Promise<string>;
  /** The guest's IPv4 address, or undefined while it has none. */
  guestIp(): Promise<string | undefined>;
  /** A probe through the tunnel port (MachineService.probe). */
  probe(): Promise<MachineStatus>;
  /** 'skip' when no State Hub answers; otherwise whether the agent is listed yet. */
  hub(): Promise<{ kind: 'skip' | 'listed' | 'waiting'; message: string }>;
}

export interface BootTimeouts {
  running: number;
  ip: number;
  ssh: number;
  hub: number;
}

export const DEFAULT_BOOT_TIMEOUTS: BootTimeouts = {
  running: 60_000,
  ip: 180_000,
  ssh: 180_000,
  hub: 120_000,
};

const LABELS: Record<BootStage['id'], string> = {
  running: 'VM running',
  ip: 'IP known',
  ssh: 'SSH answers',
  hub: 'registered in the State Hub',
};

const STOPPED = new Set(['poweroff', 'aborted', 'saved', 'aborted-saved']);

export class BootWatcher {
  readonly boot: Boot;
  private readonly controller = new AbortController();
  readonly done: Promise<Boot>;

  constructor(
    vm: string,
    hostId: string,
    private readonly checks: BootChecks,
    private readonly emit: (boot: Boot) => void,
    private readonly timeouts: BootTimeouts = DEFAULT_BOOT_TIMEOUTS,
    private readonly pollMs = 1_000,
  ) {
    this.boot = {
      vm,
      hostId,
      startedAt: new Date().toISOString(),
      stages: (Object.keys(LABELS) as BootStage['id'][]).map((id) => ({
        id,
        label: LABELS[id],
        status: 'pending',
      })),
      finished: false,
    };
    this.done = this.run();
  }

  cancel(): void {
    this.controller.abort();
  }

  private async run(): Promise<Boot> {
    try {
      await this.stage('running', async () => {
        const state = await this.checks.state();
        if (state === 'running') return { done: true };
        if (STOPPED.has(state)) {
          throw new Error(`VirtualBox reports the VM as ${state}: it stopped during startup`);
        }
        return { done: false, message: `VirtualBox reports ${state}` };
      });
      await this.stage('ip', async () => {
        const ip = await this.checks.guestIp();
        if (ip) this.boot.ip = ip;
        return ip
          ? { done: true, message: ip }
          : { done: false, message: 'waiting for the guest to report its address' };
      });
      await this.stage('ssh', async () => {
        const status = await this.checks.probe();
        if (status.ssh === 'answering') {
          return { done: true, message: `port ${status.port}, ${status.rttMs ?? '?'} ms` };
        }
        return { done: false, message: status.message ?? `SSH: ${status.ssh}` };
      });
      await this.stage('hub', async () => {
        const hub = await this.checks.hub();
        if (hub.kind === 'skip') return { done: true, skipped: true, message: hub.message };
        return { done: hub.kind === 'listed', message: hub.message };
      });
    } catch {
      // The failed stage carries the message.
    }
    this.boot.finished = true;
    this.emit(this.boot);
    return this.boot;
  }

  private async stage(
    id: BootStage['id'],
    check: () => Promise<{ done: boolean; skipped?: boolean; message?: string }>,
  ): Promise<void> {
    const stage = this.boot.stages.find((candidate) => candidate.id === id)!;
    const started = Date.now();
    stage.status = 'active';
    stage.startedAt = new Date(started).toISOString();
    this.emit(this.boot);
    const deadline = started + this.timeouts[id];

    for (;;) {
      if (this.controller.signal.aborted) {
        this.finish(
          stage,
          'failed',
          started,
          'stopped watching: the VM was stopped or started again',
        );
        throw new Error('canceled');
      }
      let outcome: { done: boolean; skipped?: boolean; message?: string };
      try {
        outcome = await check();
      } catch (error) {
        this.finish(stage, 'failed', started, describeError(error).message);
        throw error;
      }
      if (outcome.done) {
        this.finish(stage, outcome.skipped ? 'skipped' : 'done', started, outcome.message);
        return;
      }
      if (Date.now() >= deadline) {
        const limit = Math.round(this.timeouts[id] / 1000);
        const last = outcome.message ? `; last: ${outcome.message}` : '';
        this.finish(stage, 'failed', started, `timed out after ${limit} s${last}`);
        throw new Error('timeout');
      }
      if (outcome.message !== stage.message) {
        stage.message = outcome.message;
        stage.elapsedMs = Date.now() - started;
        this.emit(this.boot);
      }
      // A cancel ends the pause early; the loop then reports the stage as stopped.
      await abortableDelay(this.pollMs, this.controller.signal).catch(() => undefined);
    }
  }

  private finish(stage: BootStage, status: BootStage['status'], started: number, message?: string) {
    stage.status = status;
    stage.elapsedMs = Date.now() - started;
    if (message !== undefined) stage.message = message;
    else delete stage.message;
    this.emit(this.boot);
  }
}
