import { isTransitional, type VmState } from './vm-state.ts';

/**
 * Polls VM states at a pace that follows what the VMs are doing: every second while one of
 * them is starting, stopping, saving..., every ten seconds when all are settled. The
 * HostCallLimiter below the poll function keeps the per-host rate at one call per second even
 * when several pollers or user actions overlap.
 */
export interface PollerOptions {
  /** Fetches the current states of the watched VMs. */
  poll: () => Promise<readonly VmState[]>;
  fastMs?: number;
  slowMs?: number;
  onError?: (error: unknown) => void;
}

export class AdaptivePoller {
  private readonly fastMs: number;
  private readonly slowMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private inFlight = false;
  private interval: number;
  /** After a nudge, poll fast for a while even if the states look settled: the change the
   * user asked for may not show up in the first poll. */
  private fastUntil = 0;

  constructor(private readonly options: PollerOptions) {
    this.fastMs = options.fastMs ?? 1_000;
    this.slowMs = options.slowMs ?? 10_000;
    this.interval = this.slowMs;
  }

  /** The delay before the next poll: fast while a VM is in a transitional state. */
  get currentIntervalMs(): number {
    return this.interval;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Polls right away and fast afterwards; for after a start, stop or save the user asked for. */
  nudge(): void {
    if (!this.running) return;
    this.interval = this.fastMs;
    this.fastUntil = Date.now() + this.slowMs;
    if (this.inFlight) return;
    if (this.timer) clearTimeout(this.timer);
    void this.tick();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.inFlight = true;
    try {
      const states = await this.options.poll();
      const busy = states.some(isTransitional) || Date.now() < this.fastUntil;
      this.interval = busy ? this.fastMs : this.slowMs;
    } catch (error) {
      this.interval = this.slowMs;
      this.options.onError?.(error);
    } finally {
      this.inFlight = false;
    }
    if (this.running) this.timer = setTimeout(() => void this.tick(), this.interval);
  }
}
