import type { ClientChannel } from 'ssh2';

import { UserError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { SshSession } from '../ssh/ssh-session.ts';
import { FlowWindow, OutputBatcher, type BatchLimits, type FlowLimits } from './terminal-output.ts';

export type TerminalState = 'opening' | 'open' | 'dropped' | 'closed';

export interface TerminalSink {
  output(offset: number, data: string): void;
  state(state: TerminalState, message: string | undefined, exitCode: number | undefined): void;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

/**
 * One REPL on a VM: an exec channel with a PTY, its output batched and held back while the
 * window has not caught up, its state told apart as closed (the program ended) or dropped (the
 * connection went away first, so the program may still run in tmux and a reconnect finds it).
 */
export class RemoteTerminal {
  private channel: ClientChannel | undefined;
  private readonly flow: FlowWindow;
  private size: TerminalSize;
  private closing = false;
  current: TerminalState = 'opening';
  exitCode: number | undefined;

  constructor(
    private readonly session: SshSession,
    private readonly command: string,
    private readonly sink: TerminalSink,
    private readonly log: Logger,
    size: TerminalSize,
    private readonly limits: { batch?: BatchLimits; flow?: FlowLimits } = {},
  ) {
    this.size = size;
    this.flow = new FlowWindow((paused) => {
      if (paused) this.channel?.pause();
      else this.channel?.resume();
      this.log.debug(paused ? 'output paused' : 'output resumed', { unacked: this.flow.unacked });
    }, limits.flow);
  }

  get offset(): number {
    return this.flow.sent;
  }

  get paused(): boolean {
    return this.flow.isPaused;
  }

  async start(): Promise<void> {
    this.flow.reset();
    this.closing = false;
    this.exitCode = undefined;
    const client = await this.session.connect();
    const pty = { term: 'xterm-256color', cols: this.size.cols, rows: this.size.rows };
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(this.command, { pty }, (error, stream) =>
        error ? reject(error) : resolve(stream),
      );
    });
    this.channel = channel;

    const batcher = new OutputBatcher((text) => this.emitOutput(text), this.limits.batch);
    let exited: { code: number | undefined; signal: string | undefined } | undefined;

    channel.on('data', (chunk: Buffer) => batcher.push(chunk));
    channel.stderr.on('data', (chunk: Buffer) => batcher.push(chunk));
    channel.on('exit', (code: number | null, signal?: string) => {
      exited = { code: code ?? undefined, signal };
    });
    channel.on('error', (error: Error) => this.log.warn('channel error', { error: error.message }));
    channel.on('close', () => {
      batcher.end();
      if (this.channel === channel) this.channel = undefined;
      this.ended(exited);
    });

    this.setState('open', undefined);
  }

  input(data: string): void {
    if (!this.channel || this.current !== 'open') {
      throw new UserError(
        'terminal-not-open',
        `the terminal is ${this.current}, it takes no input`,
        this.current === 'dropped' ? 'Reconnect it first.' : 'Open a new terminal.',
      );
    }
    this.channel.write(data);
  }

  resize(size: TerminalSize): void {
    this.size = size;
    // The PTY on the VM takes the new size and the REPL (or tmux) gets SIGWINCH.
    this.channel?.setWindow(size.rows, size.cols, 0, 0);
  }

  ack(offset: number): void {
    this.flow.ack(offset);
  }

  close(): void {
    this.closing = true;
    if (this.channel) this.channel.close();
    else this.setState('closed', 'closed');
  }

  private emitOutput(text: string): void {
    const offset = this.flow.sent;
    this.flow.sentText(text.length);
    this.sink.output(offset, text);
  }

  private ended(exited: { code: number | undefined; signal: string | undefined } | undefined) {
    if (this.closing) {
      this.setState('closed', 'closed');
      return;
    }
    if (exited) {
      this.exitCode = exited.code;
      const how = exited.signal ? `signal ${exited.signal}` : `exit code ${exited.code ?? '?'}`;
      this.setState('closed', `the REPL ended (${how})`);
      return;
    }
    // No exit status: sshd never saw the program end, the connection went away under it.
    this.setState(
      'dropped',
      'the connection to the VM dropped; the REPL may still be running there',
    );
  }

  private setState(state: TerminalState, message: string | undefined): void {
    this.current = state;
    this.log.info('terminal state', { state, message });
    this.sink.state(state, message, this.exitCode);
  }
}
