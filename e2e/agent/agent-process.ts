import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A long-running lab program (build-agent, sshd) started by a test: its output kept line by
 * line, so the test waits on what the program says rather than on fixed sleeps.
 */
export class LabProcess {
  readonly lines: string[] = [];
  readonly started = Date.now();
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(file: string, args: readonly string[]) {
    this.child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = { stdout: '', stderr: '' };
    for (const stream of ['stdout', 'stderr'] as const) {
      this.child[stream]?.setEncoding('utf8');
      this.child[stream]?.on('data', (chunk: string) => {
        const text = partial[stream] + chunk;
        const parts = text.split('\n');
        partial = { ...partial, [stream]: parts.pop() ?? '' };
        this.lines.push(...parts);
        this.wake();
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.wake();
        resolve(code);
      });
      this.child.once('error', () => resolve(null));
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get output(): string {
    return this.lines.join('\n');
  }

  /** Lines matching `pattern`, from line `from` on. */
  matching(pattern: RegExp, from = 0): string[] {
    return this.lines.slice(from).filter((line) => pattern.test(line));
  }

  /** Waits until `count` lines from `from` on match; fails with the output after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs: number, count = 1, from = 0): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.matching(pattern, from);
      if (found.length >= count) return found;
      if (!this.running) {
        throw new Error(`the program exited before printing ${pattern}:\n${this.output}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no ${count} line(s) matching ${pattern} in ${timeoutMs} ms:\n${this.output}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
