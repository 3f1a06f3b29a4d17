import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { MachineStatus } from '../api/contract.ts';
import type { Boot } from '../api/contract-vms.ts';
import { BootWatcher, type BootChecks } from './boot-watcher.ts';

const TIMEOUTS = { running: 5_000, ip: 10_000, ssh: 8_000, hub: 4_000 };

function answering(): MachineStatus {
  return { name: 'vm', port: 12221, user: 'builder', ssh: 'answering', rttMs: 12 };
}

function checks(overrides: Partial<BootChecks> = {}): BootChecks {
  return {
    state: async () => 'running',
    guestIp: async () => '198.18.1.101',
    probe: async () => answering(),
    hub: async () => ({ kind: 'skip', message: 'no State Hub answers' }),
    ...overrides,
  };
}

function statuses(boot: Boot): string[] {
  return boot.stages.map((stage) => `${stage.id}:${stage.status}`);
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('BootWatcher', () => {
  it('walks the stages in order, each with its elapsed time', async () => {
    const ipAfter = Date.now() + 3_000;
    const watcher = new BootWatcher(
      'vm',
      'local',
      checks({ guestIp: async () => (Date.now() >= ipAfter ? '198.18.1.101' : undefined) }),
      () => undefined,
      TIMEOUTS,
    );
    await vi.advanceTimersByTimeAsync(5_000);
    const boot = await watcher.done;
    expect(statuses(boot)).toEqual(['running:done', 'ip:done', 'ssh:done', 'hub:skipped']);
    expect(boot.ip).toBe('198.18.1.101');
    expect(boot.stages.find((stage) => stage.id === 'ip')?.elapsedMs).toBe(3_000);
    expect(boot.stages.find((stage) => stage.id === 'running')?.elapsedMs).toBe(0);
  });

  it('fails a stage at its own time limit with the last thing it waited for', async () => {
    const emitted: Boot[] = [];
    const watcher = new BootWatcher(
      'vm',
      'local',
      checks({ guestIp: async () => undefined }),
      (boot) => emitted.push(structuredClone(boot)),
      TIMEOUTS,
    );
    await vi.advanceTimersByTimeAsync(9_999);
    expect(statuses(watcher.boot)).toEqual([
      'running:done',
      'ip:active',
      'ssh:pending',
      'hub:pending',
    ]);

    await vi.advanceTimersByTimeAsync(2_000);
    const boot = await watcher.done;
    const ip = boot.stages.find((stage) => stage.id === 'ip')!;
    expect(ip.status).toBe('failed');
    expect(ip.message).toBe(
      'timed out after 10 s; last: waiting for the guest to report its address',
    );
    expect(ip.elapsedMs).toBe(10_000);
    // The later stages never started.
    expect(statuses(boot).slice(2)).toEqual(['ssh:pending', 'hub:pending']);
    expect(boot.finished).toBe(true);
    expect(emitted.at(-1)?.finished).toBe(true);
  });

  it('fails at once when the VM stops during startup, and stops on cancel', async () => {
    const stopped = new BootWatcher(
      'vm',
      'local',
      checks({ state: async () => 'aborted' }),
      () => undefined,
      TIMEOUTS,
    );
    const first = await stopped.done;
    expect(first.stages[0]?.message).toContain('VirtualBox reports the VM as aborted');

    const watched = new BootWatcher(
      'vm',
      'local',
      checks({ probe: async () => ({ ...answering(), ssh: 'unreachable', message: 'no banner' }) }),
      () => undefined,
      TIMEOUTS,
    );
    await vi.advanceTimersByTimeAsync(3_000);
    watched.cancel();
    const canceled = await watched.done;
    const ssh = canceled.stages.find((stage) => stage.id === 'ssh')!;
    expect(ssh.status).toBe('failed');
    expect(ssh.message).toContain('stopped watching');
  });
});
