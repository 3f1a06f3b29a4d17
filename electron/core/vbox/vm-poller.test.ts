import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { HostCallLimiter } from './call-limiter.ts';
import { AdaptivePoller } from './vm-poller.ts';
import { parseVmState, type VmState } from './vm-state.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A poll function that answers with whatever `states` holds and counts its calls. */
function scriptedPoll(initial: string[]) {
  const box = { states: initial.map(parseVmState), calls: [] as number[] };
  const poll = async (): Promise<VmState[]> => {
    box.calls.push(Date.now());
    return box.states;
  };
  return { box, poll };
}

describe('AdaptivePoller', () => {
  it('polls every second while a VM is in a transitional state', async () => {
    const { box, poll } = scriptedPoll(['running', 'starting']);
    const poller = new AdaptivePoller({ poll });

    poller.start();
    await vi.advanceTimersByTimeAsync(10_000);
    poller.stop();

    // t = 0, 1, ..., 10 s
    expect(box.calls).toHaveLength(11);
    expect(poller.currentIntervalMs).toBe(1_000);
  });

  it('polls every ten seconds when all VMs are settled', async () => {
    const { box, poll } = scriptedPoll(['running', 'poweroff', 'saved']);
    const poller = new AdaptivePoller({ poll });

    poller.start();
    await vi.advanceTimersByTimeAsync(60_000);
    poller.stop();

    expect(box.calls).toHaveLength(7);
    expect(poller.currentIntervalMs).toBe(10_000);
  });

  it('speeds up when a VM starts changing and slows down once it settles', async () => {
    const { box, poll } = scriptedPoll(['poweroff']);
    const poller = new AdaptivePoller({ poll });
    poller.start();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(box.calls).toHaveLength(3);

    // Without a nudge the change is seen at the next slow poll (t = 30 s), then polled fast.
    box.states = [parseVmState('starting')];
    await vi.advanceTimersByTimeAsync(10_000);
    expect(box.calls).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(box.calls).toHaveLength(14);

    box.states = [parseVmState('running')];
    await vi.advanceTimersByTimeAsync(30_000);
    poller.stop();
    // t = 41 s sees "running"; then 51 s and 61 s.
    expect(box.calls).toHaveLength(17);
  });

  it('polls fast for a while after a nudge, even before the state changes', async () => {
    const { box, poll } = scriptedPoll(['poweroff']);
    const poller = new AdaptivePoller({ poll });
    poller.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(box.calls).toHaveLength(1);

    poller.nudge();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(box.calls).toHaveLength(2 + 5);

    await vi.advanceTimersByTimeAsync(30_000);
    poller.stop();
    expect(poller.currentIntervalMs).toBe(10_000);
  });

  it('keeps polling slowly after a failed poll and reports the error', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const poller = new AdaptivePoller({
      poll: async () => {
        calls++;
        throw new Error('VBoxSVC not answering');
      },
      onError: (error) => errors.push(error),
    });
    poller.start();
    await vi.advanceTimersByTimeAsync(20_000);
    poller.stop();

    expect(calls).toBe(3);
    expect(errors).toHaveLength(3);
  });

  it('stays at one call per second per host when two pollers share a limiter', async () => {
    const limiter = new HostCallLimiter();
    const calls: number[] = [];
    const poll = () =>
      limiter.schedule('local', async () => {
        calls.push(Date.now());
        return [parseVmState('starting')];
      });
    const first = new AdaptivePoller({ poll });
    const second = new AdaptivePoller({ poll });

    first.start();
    second.start();
    await vi.advanceTimersByTimeAsync(30_000);
    first.stop();
    second.stop();

    const gaps = calls.slice(1).map((time, index) => time - (calls[index] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000);
    expect(calls.length).toBeLessThanOrEqual(31);
    expect(calls.length).toBeGreaterThanOrEqual(20);
  });
});
