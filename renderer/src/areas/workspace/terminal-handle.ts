import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ILink } from '@xterm/xterm';

import type { ApiClient } from '../../api/api-client.ts';
import { findUrls, openExternal } from './terminal-links.ts';

/**
 * One xterm.js terminal bound to a REPL in the core. It lives outside React so switching tabs
 * (or leaving the Workspace tab) keeps its screen: views only move its element in and out.
 * Output is acknowledged once xterm has really written it, which is what lets the core hold
 * a flood back instead of burying the page in text.
 */
export class TerminalHandle {
  readonly term: Terminal;
  readonly fit = new FitAddon();
  readonly element: HTMLDivElement;
  private received = 0;
  private written = 0;
  private acked = 0;
  private acking = false;
  private opened = false;

  constructor(
    readonly id: string,
    private readonly api: ApiClient,
    startOffset: number,
  ) {
    this.received = this.written = this.acked = startOffset;
    this.element = document.createElement('div');
    this.element.className = 'terminal-host';
    this.term = new Terminal({
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace',
      fontSize: 13,
      scrollback: 10_000,
      cursorBlink: true,
      allowProposedApi: false,
      theme: { background: '#11151c', foreground: '#d6dae2' },
    });
    this.term.loadAddon(this.fit);
    this.term.onData((data) => this.send('terminal.input', { id, data }));
    this.term.onResize(({ cols, rows }) => this.send('terminal.resize', { id, cols, rows }));
    this.term.attachCustomKeyEventHandler((event) => this.clipboardKeys(event));
    this.term.registerLinkProvider({
      provideLinks: (line, callback) => callback(this.linksOn(line)),
    });
  }

  /** Puts the terminal into the page the first time it is shown. */
  mount(container: HTMLElement): void {
    container.appendChild(this.element);
    if (!this.opened) {
      this.term.open(this.element);
      this.opened = true;
    }
    this.resizeToFit();
  }

  resizeToFit(): void {
    // A hidden tab measures as zero; fitting it would shrink the PTY to nothing.
    if (!this.opened || this.element.offsetWidth === 0 || this.element.offsetHeight === 0) return;
    this.fit.fit();
  }

  /** A batch from the core; `offset` lets a duplicate after a reconnect be dropped. */
  write(offset: number, data: string): void {
    const end = offset + data.length;
    if (end <= this.received) return;
    const fresh = offset < this.received ? data.slice(this.received - offset) : data;
    this.received = end;
    this.term.write(fresh, () => {
      this.written = Math.max(this.written, end);
      this.flushAck();
    });
  }

  get size(): { cols: number; rows: number } {
    return { cols: this.term.cols, rows: this.term.rows };
  }

  dispose(): void {
    this.term.dispose();
    this.element.remove();
  }

  /** One acknowledgement in flight at a time; the next one carries everything written since. */
  private flushAck(): void {
    if (this.acking || this.written <= this.acked) return;
    this.acking = true;
    const offset = this.written;
    this.api
      .call('terminal.ack', { id: this.id, offset })
      .catch(() => undefined)
      .finally(() => {
        this.acked = offset;
        this.acking = false;
        this.flushAck();
      });
  }

  private send(operation: 'terminal.input', input: { id: string; data: string }): void;
  private send(
    operation: 'terminal.resize',
    input: { id: string; cols: number; rows: number },
  ): void;
  private send(
    operation: 'terminal.input' | 'terminal.resize',
    input: { id: string; data: string } | { id: string; cols: number; rows: number },
  ): void {
    // A dropped terminal refuses input; its banner already says so and offers Reconnect.
    void this.api.call(operation, input as never).catch(() => undefined);
  }

  /** Ctrl+Shift+C copies the selection and Ctrl+Shift+V pastes; plain Ctrl+C stays an interrupt. */
  private clipboardKeys(event: KeyboardEvent): boolean {
    if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true;
    const key = event.key.toLowerCase();
    if (key === 'c' && this.term.hasSelection()) {
      void navigator.clipboard?.writeText(this.term.getSelection());
      return false;
    }
    if (key === 'v') {
      void navigator.clipboard?.readText().then((text) => this.term.paste(text));
      return false;
    }
    return true;
  }

  private linksOn(lineNumber: number): ILink[] {
    const line = this.term.buffer.active.getLine(lineNumber - 1);
    if (!line) return [];
    return findUrls(line.translateToString(true)).map(({ start, end, url }) => ({
      range: { start: { x: start + 1, y: lineNumber }, end: { x: end, y: lineNumber } },
      text: url,
      decorations: { underline: true, pointerCursor: true },
      activate: () => openExternal(url),
    }));
  }
}
