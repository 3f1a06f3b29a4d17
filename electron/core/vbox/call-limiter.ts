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

  schedule<T>(host: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const queue = this.hosts.get(host) ?? { tail: Promise.resolve(), lastStart: -Infinity };
    this.hosts.set(host, queue);

    const run = queue.tail.then(async () => {
      await this.reserve(queue, signal);
      return call();
    });
    queue.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Waits for this host's next start slot without queueing behind running calls: for actions
   * (an import that runs for minutes must not stop the polls), which still start at least
   * `minIntervalMs` after any other call to the host.
   */
  async pace(host: string, signal?: AbortSignal): Promise<void> {
    const queue = this.hosts.get(host) ?? { tail: Promise.resolve(), lastStart: -Infinity };
    this.hosts.set(host, queue);
    await this.reserve(queue, signal);
  }

  // The slot is claimed before waiting, so calls that arrive together get successive slots.
  private async reserve(queue: HostQueue, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const start = Math.max(this.now(), queue.lastStart + this.minIntervalMs);
    queue.lastStart = start;
    const wait = start - this.now();
    if (wait > 0) await delay(wait, signal);
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
