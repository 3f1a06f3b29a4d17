/**
 * Terminal escape handling for build logs: GHC colours its diagnostics
 * (`-fdiagnostics-color=always`) and links error codes to the error index with OSC 8
 * hyperlinks, so the parsers and plain-text logs see the text only after these are removed.
 */

const ESC = '\u001b';
const BEL = '\u0007';
/** 8-bit C1 forms of CSI, OSC and ST: rare in UTF-8 output, but they are escapes too. */
const C1_CSI = '\u009b';
const C1_OSC = '\u009d';
const C1_ST = '\u009c';

/** Where a sequence starting at `start` ends (exclusive), or INCOMPLETE if the text ends first. */
const INCOMPLETE = -1;

/** A line longer than this keeps its start only: a runaway line must not hold the whole log. */
export const MAX_LINE_CHARS = 64 * 1024;

/** Removes ANSI/VT escape sequences: SGR colours, cursor moves, OSC titles and hyperlinks. */
export function stripAnsi(text: string): string {
  let out = '';
  let from = 0;

  for (let start = nextEscape(text, 0); start !== -1; start = nextEscape(text, from)) {
    out += text.slice(from, start);
    const end = escapeEnd(text, start);
    // A sequence cut off by the end of the text shows nothing either: drop the rest.
    from = end === INCOMPLETE ? text.length : end;
  }

  return from === 0 ? text : out + text.slice(from);
}

function nextEscape(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (char === ESC || char === C1_CSI || char === C1_OSC) return i;
  }
  return -1;
}

function escapeEnd(text: string, start: number): number {
  const first = text[start];
  if (first === C1_CSI) return controlSequenceEnd(text, start + 1);
  if (first === C1_OSC) return stringEnd(text, start + 1, true);

  const second = text[start + 1];
  if (second === undefined) return INCOMPLETE;
  if (second === '[') return controlSequenceEnd(text, start + 2);
  if (second === ']') return stringEnd(text, start + 2, true);
  // DCS, SOS, PM and APC carry a string up to ST, like OSC.
  if ('PX^_'.includes(second)) return stringEnd(text, start + 2, false);

  // Other escapes: intermediates (0x20-0x2f), then one final byte (0x30-0x7e), e.g. ESC ( B.
  let i = start + 1;
  while (i < text.length && inRange(text, i, 0x20, 0x2f)) i++;
  if (i >= text.length) return INCOMPLETE;
  // A malformed escape: drop the ESC and what was read, keep the character that broke it.
  return inRange(text, i, 0x30, 0x7e) ? i + 1 : i;
}

/** CSI: parameter bytes, intermediate bytes, then a final byte in 0x40-0x7e. */
function controlSequenceEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && inRange(text, i, 0x30, 0x3f)) i++;
  while (i < text.length && inRange(text, i, 0x20, 0x2f)) i++;
  if (i >= text.length) return INCOMPLETE;
  return inRange(text, i, 0x40, 0x7e) ? i + 1 : i;
}

/** A string command ends at ST (ESC \ or 0x9c), or BEL for OSC as xterm accepts. */
function stringEnd(text: string, from: number, acceptBel: boolean): number {
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (char === C1_ST || (acceptBel && char === BEL)) return i + 1;
    if (char === ESC) {
      if (i + 1 >= text.length) return INCOMPLETE;
      // ESC that does not start ST is a new sequence: the unterminated string ends here.
      return text[i + 1] === '\\' ? i + 2 : i;
    }
    // Strings never span lines in practice; a lost terminator must not eat the log.
    if (char === '\n') return i;
  }
  return INCOMPLETE;
}

function inRange(text: string, index: number, low: number, high: number): boolean {
  const code = text.charCodeAt(index);
  return code >= low && code <= high;
}

/** One line of a build log, numbered from 0 in the order the tool printed it. */
export interface LogLine {
  index: number;
  /** The line without its ending and without escape sequences. */
  text: string;
}

/** Numbers lines across several readers: see `PlainLineReader`. */
export interface LineCounter {
  next: number;
}

/**
 * Splits a stream of output chunks into numbered plain-text lines. Chunks may split anywhere,
 * even inside an escape sequence or a CRLF: a line is handled only once it is complete.
 * `\n` and `\r\n` end a line; a lone `\r` (a progress bar redrawing itself) does not, and only
 * the text after the last one is kept, as a terminal would show it.
 *
 * When stdout and stderr arrive on separate pipes, a chunk of one can land in the middle of a
 * line of the other. Give each stream its own reader sharing one counter: lines then stay
 * whole and are numbered in the order they were completed.
 */
export class PlainLineReader {
  private partial = '';

  constructor(private readonly counter: LineCounter = { next: 0 }) {}

  push(chunk: string): LogLine[] {
    const lines: LogLine[] = [];
    let from = 0;

    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', from)) {
      this.append(chunk.slice(from, newline));
      lines.push(this.takeLine());
      from = newline + 1;
    }

    this.append(chunk.slice(from));
    return lines;
  }

  /** Returns the last line if the stream did not end with a newline. */
  end(): LogLine[] {
    if (this.partial === '') return [];
    return [this.takeLine()];
  }

  private append(text: string): void {
    const room = MAX_LINE_CHARS - this.partial.length;
    if (room > 0) this.partial += text.length > room ? text.slice(0, room) : text;
  }

  private takeLine(): LogLine {
    let raw = this.partial;
    this.partial = '';
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);

    let text = stripAnsi(raw);
    const lastReturn = text.lastIndexOf('\r');
    if (lastReturn !== -1) text = text.slice(lastReturn + 1);

    return { index: this.counter.next++, text };
  }
}
