import { abortableDelay } from './abortable-delay.ts';

/**
 * Keeps polling from flooding VBoxSVC: calls to one host run one at a time, and each starts at
 * least `minIntervalMs` after the previous one started. Hosts do not wait for each other.
 */
export interface CallLimiterOptions {
  minIntervalMs?: number;
  now?: () => number;
}

interface HostQueue {
  /** Settles when the last queued call has finished. */
  tail: Promise<void>;
  /** The latest slot handed out (it may still be waiting). */
  lastSlot: number;
  /** When the last call really started. */
  lastStart: number;
}

export class HostCallLimiter {
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly hosts = new Map<string, HostQueue>();

  constructor(options: CallLimiterOptions = {}) {
    this.minIntervalMs = options.minIntervalMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Queues a call behind the host's other queued calls and starts it in its slot. The call is
   * given its start time, which callers log: the gaps in the call log are the limiter's own.
   */
  schedule<T>(
    host: string,
    call: (startedAt: number) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const queue = this.queue(host);
    const run = queue.tail.then(async () => call(await this.reserve(queue, signal)));
    queue.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Waits for this host's next start slot without queueing behind running calls: for actions
   * (an import that runs for minutes must not stop the polls), which still start at least
   * `minIntervalMs` after any other call to the host. Resolves with the start time; the call
   * must start right away.
   */
  pace(host: string, signal?: AbortSignal): Promise<number> {
    return this.reserve(this.queue(host), signal);
  }

  private queue(host: string): HostQueue {
    const existing = this.hosts.get(host);
    if (existing) return existing;
    const queue = { tail: Promise.resolve(), lastSlot: -Infinity, lastStart: -Infinity };
    this.hosts.set(host, queue);
    return queue;
  }

  private async reserve(queue: HostQueue, signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    // The slot is claimed before waiting, so calls that arrive together get successive slots.
    const slot = Math.max(this.now(), queue.lastSlot + this.minIntervalMs);
    queue.lastSlot = slot;
    // Timers fire a little late (or, against the wall clock, early), and an earlier call may
    // have started late: the wait ends only when the gap to the real last start is whole.
    for (;;) {
      const wait = Math.max(slot, queue.lastStart + this.minIntervalMs) - this.now();
      if (wait <= 0) break;
      await abortableDelay(wait, signal);
    }
    const startedAt = this.now();
    queue.lastStart = startedAt;
    return startedAt;
  }
}
