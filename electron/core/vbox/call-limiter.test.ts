import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { CallLog } from '../vms/call-log.ts';
import { HostCallLimiter } from './call-limiter.ts';
import { FakeRunner } from './test-support.ts';
import { VBoxManageDriver } from './vbox-driver.ts';

const UUID = '7e261a39-d356-4eb1-a8ed-75675b149241';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('HostCallLimiter', () => {
  it('starts at most one call per second per host however many are queued', async () => {
    const limiter = new HostCallLimiter();
    const starts: number[] = [];
    const calls = Array.from({ length: 10 }, (_, index) =>
      limiter.schedule('local', async () => {
        starts.push(Date.now());
        return index;
      }),
    );

    await vi.advanceTimersByTimeAsync(4_500);
    expect(starts).toHaveLength(5);

    await vi.advanceTimersByTimeAsync(10_000);
    await expect(Promise.all(calls)).resolves.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const gaps = starts.slice(1).map((start, index) => start - (starts[index] ?? 0));
    expect(gaps).toEqual(Array(9).fill(1_000));
  });

  it('never overlaps calls to one host, even slow ones', async () => {
    const limiter = new HostCallLimiter();
    let active = 0;
    let maxActive = 0;
    const slowCall = () =>
      limiter.schedule('local', async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        active--;
      });

    const done = Promise.all([slowCall(), slowCall(), slowCall()]);
    await vi.advanceTimersByTimeAsync(10_000);
    await done;
    expect(maxActive).toBe(1);
  });

  it('does not make one host wait for another', async () => {
    const limiter = new HostCallLimiter();
    const starts: Array<[string, number]> = [];
    const call = (host: string) =>
      limiter.schedule(host, async () => {
        starts.push([host, Date.now()]);
      });

    const t0 = Date.now();
    const done = Promise.all([call('a'), call('b'), call('a'), call('b')]);
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
    expect(starts.map(([host, time]) => [host, time - t0])).toEqual([
      ['a', 0],
      ['b', 0],
      ['a', 1_000],
      ['b', 1_000],
    ]);
  });

  it('keeps going after a failed call and lets a waiting call be aborted', async () => {
    const limiter = new HostCallLimiter();
    const failed = limiter.schedule('local', async () => {
      throw new Error('VBoxManage failed');
    });
    await expect(failed).rejects.toThrow('VBoxManage failed');

    const controller = new AbortController();
    const aborted = limiter.schedule('local', async () => 'never', controller.signal);
    const next = limiter.schedule('local', async () => 'next');
    controller.abort(new Error('user left the page'));
    await expect(aborted).rejects.toThrow('user left the page');

    await vi.advanceTimersByTimeAsync(1_000);
    await expect(next).resolves.toBe('next');
  });

  it('paces the driver polling calls to one VBoxManage call per second', async () => {
    const runner = new FakeRunner('ssh:vbox-host').on(['showvminfo'], {
      stdout: `name="a"\nUUID="${UUID}"\nVMState="running"\n`,
    });
    const driver = new VBoxManageDriver(runner, { limiter: new HostCallLimiter() });
    const times: number[] = [];
    const run = runner.run.bind(runner);
    runner.run = (file, args, options) => {
      times.push(Date.now());
      return run(file, args, options);
    };

    const polls = Promise.all(Array.from({ length: 20 }, () => driver.state(UUID)));
    await vi.advanceTimersByTimeAsync(10_000);
    // 20 calls asked for at once; in 10 s the host saw 11 (t = 0, 1, ..., 10 s).
    expect(times).toHaveLength(11);
    await vi.advanceTimersByTimeAsync(10_000);
    await polls;
    expect(times).toHaveLength(20);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBe(19_000);
  });

  it('paces actions in the poll slots without queueing them behind a long call', async () => {
    const limiter = new HostCallLimiter();
    const t0 = Date.now();
    const starts: Array<[string, number]> = [];
    // A poll that runs for 5 s (an import would run for minutes).
    const slow = limiter.schedule('local', async (startedAt) => {
      starts.push(['slow poll', startedAt - t0]);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    });
    // The poll's turn comes a tick later (it queues behind the host's tail).
    await vi.advanceTimersByTimeAsync(0);
    const action = limiter
      .pace('local')
      .then((startedAt) => starts.push(['action', startedAt - t0]));
    const second = limiter
      .pace('local')
      .then((startedAt) => starts.push(['second', startedAt - t0]));
    const other = limiter
      .pace('laptop')
      .then((startedAt) => starts.push(['laptop', startedAt - t0]));

    await vi.advanceTimersByTimeAsync(2_500);
    await Promise.all([action, second, other]);
    expect(starts).toEqual([
      ['slow poll', 0],
      ['laptop', 0],
      ['action', 1_000],
      ['second', 2_000],
    ]);
    await vi.advanceTimersByTimeAsync(5_000);
    await slow;
  });

  it('waits out the whole gap to a call that started late', async () => {
    // A busy event loop: the clock runs ahead of the timers by `lag`.
    let lag = 0;
    const limiter = new HostCallLimiter({ now: () => Date.now() + lag });
    const t0 = Date.now();
    expect(await limiter.pace('local')).toBe(t0);
    const late = limiter.pace('local');
    const next = limiter.pace('local');

    lag = 300;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await late).toBe(t0 + 1_300);
    lag = 0;
    // Its slot was t0 + 2000, but that is only 700 ms after the late call really started.
    await vi.advanceTimersByTimeAsync(1_300);
    expect(await next).toBe(t0 + 2_300);
  });

  it('keeps one call per second per host in the call log, hosts independent', async () => {
    const limiter = new HostCallLimiter();
    const log = new CallLog(() => undefined);
    const driver = (host: string) =>
      new VBoxManageDriver(
        new FakeRunner(host)
          .on(['showvminfo'], { stdout: `name="a"\nUUID="${UUID}"\nVMState="running"\n` })
          .on(['controlvm'], {}),
        { limiter, executable: 'VBoxManage', onCall: (call) => log.add(call) },
      );
    const local = driver('local');
    const laptop = driver('ssh:laptop');
    const work = Promise.all([
      ...Array.from({ length: 4 }, () => local.state(UUID)),
      local.saveState(UUID),
      ...Array.from({ length: 3 }, () => laptop.state(UUID)),
      laptop.saveState(UUID),
    ]);
    await vi.advanceTimersByTimeAsync(10_000);
    await work;

    const gaps = (host: string) => {
      const starts = log.list(host).map((call) => Date.parse(call.startedAt));
      return starts.slice(1).map((start, index) => start - starts[index]!);
    };
    expect(gaps('local')).toHaveLength(4);
    expect(Math.min(...gaps('local'))).toBeGreaterThanOrEqual(1_000);
    expect(Math.min(...gaps('ssh:laptop'))).toBeGreaterThanOrEqual(1_000);
    // The two hosts ran side by side: their first calls started together.
    expect(log.list('local')[0]?.startedAt).toBe(log.list('ssh:laptop')[0]?.startedAt);
  });
});
