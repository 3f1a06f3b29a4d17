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
      signal?.throwIfAborted();
      const wait = queue.lastStart + this.minIntervalMs - this.now();
      if (wait > 0) await delay(wait, signal);
      queue.lastStart = this.now();
      return call();
    });
    queue.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
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
