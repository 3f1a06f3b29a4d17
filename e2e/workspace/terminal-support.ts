import type { Core } from '../../electron/core/core.ts';

/**
 * Follows one terminal's output from the core's events as a window would: keeps the text, and
 * acknowledges each batch (immediately, or never when `ack` is false, to test backpressure).
 */
export class TerminalWatcher {
  text = '';
  states: string[] = [];
  batches = 0;
  maxBatch = 0;
  private readonly unsubscribe: () => void;
  ack = true;

  constructor(
    private readonly core: Core,
    readonly id: string,
  ) {
    this.unsubscribe = core.events.subscribe((name, payload) => {
      if (name === 'terminal.output') {
        const output = payload as { id: string; offset: number; data: string };
        if (output.id !== this.id) return;
        this.text += output.data;
        this.batches++;
        this.maxBatch = Math.max(this.maxBatch, output.data.length);
        if (this.ack) {
          core.features.workspace.terminals.ack(this.id, output.offset + output.data.length);
        }
      } else if (name === 'terminal.state') {
        const state = payload as { id: string; state: string };
        if (state.id === this.id) this.states.push(state.state);
      }
    });
  }

  /** Waits (bounded) until the text so far matches. */
  async waitFor(pattern: RegExp | string, timeoutMs = 20_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const matches = () => {
      const tail = this.text.slice(from);
      return typeof pattern === 'string' ? tail.includes(pattern) : pattern.test(tail);
    };
    while (!matches()) {
      if (Date.now() > deadline) {
        throw new Error(
          `terminal never showed ${String(pattern)}; last text:\n${this.text.slice(-600)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.text.slice(from);
  }

  async waitForState(state: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.states.includes(state)) {
      if (Date.now() > deadline) throw new Error(`terminal never became ${state}: ${this.states}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  input(data: string): void {
    this.core.features.workspace.terminals.input(this.id, data);
  }

  stop(): void {
    this.unsubscribe();
  }
}
