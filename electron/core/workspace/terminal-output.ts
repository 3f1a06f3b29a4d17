import { StringDecoder } from 'node:string_decoder';

export interface BatchLimits {
  /** How long output may wait for more before it is sent: one frame at 60 Hz. */
  intervalMs: number;
  /** A batch this large goes out at once, so a flood never builds one huge message. */
  maxChars: number;
}

export const DEFAULT_BATCH: BatchLimits = { intervalMs: 16, maxChars: 64 * 1024 };

/**
 * Collects a PTY's bytes into text batches by time and size. The decoder keeps a UTF-8
 * character that straddles two SSH packets whole, so no batch ends in half a character.
 */
export class OutputBatcher {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (text: string) => void,
    private readonly limits: BatchLimits = DEFAULT_BATCH,
  ) {}

  push(chunk: Buffer): void {
    this.pending += this.decoder.write(chunk);
    while (this.pending.length >= this.limits.maxChars) {
      const cut = safeCut(this.pending, this.limits.maxChars);
      const batch = this.pending.slice(0, cut);
      this.pending = this.pending.slice(cut);
      this.send(batch);
    }
    if (this.pending && !this.timer) {
      this.timer = setTimeout(() => this.flush(), this.limits.intervalMs);
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    const batch = this.pending;
    this.pending = '';
    this.send(batch);
  }

  /** Sends what is left, including bytes of an incomplete character (as U+FFFD). */
  end(): void {
    this.pending += this.decoder.end();
    this.flush();
  }
}

/** A cut that does not split a UTF-16 surrogate pair (an emoji, say) across two batches. */
function safeCut(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

export interface FlowLimits {
  /** Above this many characters sent but not yet written by the terminal, the channel pauses. */
  highWater: number;
  /** Below this many, a paused channel resumes. */
  lowWater: number;
}

export const DEFAULT_FLOW: FlowLimits = { highWater: 256 * 1024, lowWater: 64 * 1024 };

/**
 * Backpressure between the VM and xterm: the renderer acknowledges the offset it has written,
 * and while too much is unacknowledged the SSH channel stops reading. SSH's own window then
 * fills, sshd stops reading the PTY, and the program on the VM blocks on its writes, so a
 * flood costs neither memory here nor responsiveness in the window.
 */
export class FlowWindow {
  private sentChars = 0;
  private ackedChars = 0;
  private paused = false;

  constructor(
    private readonly onPause: (paused: boolean) => void,
    private readonly limits: FlowLimits = DEFAULT_FLOW,
  ) {}

  get sent(): number {
    return this.sentChars;
  }

  get unacked(): number {
    return this.sentChars - this.ackedChars;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  sentText(chars: number): void {
    this.sentChars += chars;
    if (!this.paused && this.unacked > this.limits.highWater) this.setPaused(true);
  }

  /**
   * Several windows may show the same terminal; any of them writing the text is progress, so
   * the furthest acknowledgement counts. An offset beyond what was sent is capped.
   */
  ack(offset: number): void {
    this.ackedChars = Math.max(this.ackedChars, Math.min(offset, this.sentChars));
    if (this.paused && this.unacked < this.limits.lowWater) this.setPaused(false);
  }

  /** Forgets what is unacknowledged: after a reconnect nobody will ack the old text. */
  reset(): void {
    this.ackedChars = this.sentChars;
    if (this.paused) this.setPaused(false);
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.onPause(paused);
  }
}
