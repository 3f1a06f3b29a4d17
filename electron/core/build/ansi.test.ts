import { describe, expect, it } from 'vitest';

import { feedInPieces } from '../testing/feed-in-pieces.ts';
import { MAX_LINE_CHARS, PlainLineReader, stripAnsi, type LogLine } from './ansi.ts';

const ESC = '\u001b';

function readInPieces(text: string, size: number): LogLine[] {
  return feedInPieces(new PlainLineReader(), text, size);
}

describe('stripAnsi', () => {
  it('leaves plain text untouched', () => {
    expect(stripAnsi('src/A.hs:12:5: error: ‘x’')).toBe('src/A.hs:12:5: error: ‘x’');
    expect(stripAnsi('')).toBe('');
  });

  it('removes the SGR sequences GHC 9.0 prints with -fdiagnostics-color=always', () => {
    // Verbatim header of a coloured GHC 9.0.2 error (see diagnostics.ghc.test.ts).
    const header = `${ESC}[;1mA.hs:6:7: ${ESC}[;1m${ESC}[31merror:${ESC}[0m${ESC}[0m${ESC}[;1m`;
    expect(stripAnsi(header)).toBe('A.hs:6:7: error:');
    expect(stripAnsi(`${ESC}[1;38;5;196mred${ESC}[m`)).toBe('red');
  });

  it('keeps the visible text of an OSC 8 hyperlink and drops the link', () => {
    const link = 'https://errors.haskell.org/messages/GHC-88464';
    const code = `${ESC}]8;;${link}${ESC}\\GHC-88464${ESC}]8;;${ESC}\\`;
    expect(stripAnsi(`error: [${code}]`)).toBe('error: [GHC-88464]');
    expect(stripAnsi(`${ESC}]8;;${link}\u0007GHC-1${ESC}]8;;\u0007`)).toBe('GHC-1');
  });

  it('removes cursor moves, erases, window titles and charset switches', () => {
    expect(stripAnsi(`${ESC}[2K${ESC}[1G[3 of 5]${ESC}[?25l`)).toBe('[3 of 5]');
    expect(stripAnsi(`${ESC}]0;cabal build\u0007Building`)).toBe('Building');
    expect(stripAnsi(`${ESC}(Bplain${ESC}7${ESC}8`)).toBe('plain');
    expect(stripAnsi(`${ESC}Pdevice control${ESC}\\x`)).toBe('x');
  });

  it('removes 8-bit C1 CSI and OSC forms', () => {
    expect(stripAnsi('\u009b31mred\u009b0m')).toBe('red');
    expect(stripAnsi('\u009d8;;http://x\u009cfile\u009d8;;\u009c')).toBe('file');
  });

  it('drops a sequence cut off at the end of the text', () => {
    expect(stripAnsi(`ok${ESC}`)).toBe('ok');
    expect(stripAnsi(`ok${ESC}[38;5`)).toBe('ok');
    expect(stripAnsi(`ok${ESC}]8;;http://x`)).toBe('ok');
  });

  it('keeps the text after a malformed sequence', () => {
    // A CSI broken by a control character ends there; the rest is ordinary text.
    expect(stripAnsi(`a${ESC}[12\tb`)).toBe('a\tb');
    // An OSC that never terminates stops at the next escape or newline, not the end of the log.
    expect(stripAnsi(`a${ESC}]8;;http://x${ESC}[31mb`)).toBe('ab');
    expect(stripAnsi(`a${ESC}]0;title\nb`)).toBe('a\nb');
  });
});

describe('PlainLineReader', () => {
  it('numbers lines from 0 and accepts LF and CRLF', () => {
    const lines = readInPieces('one\r\ntwo\nthree\r\n', 100);
    expect(lines).toEqual([
      { index: 0, text: 'one' },
      { index: 1, text: 'two' },
      { index: 2, text: 'three' },
    ]);
  });

  it('counts blank lines and returns an unterminated last line at end()', () => {
    const lines = readInPieces('a\n\n\nb', 100);
    expect(lines.map((line) => line.index)).toEqual([0, 1, 2, 3]);
    expect(lines[3]).toEqual({ index: 3, text: 'b' });
  });

  it('gives the same lines whatever the chunk size, even inside CRLF and escapes', () => {
    const log =
      `${ESC}[;1mA.hs:6:7: ${ESC}[31merror:${ESC}[0m\r\n    • x\r\n\r\n` +
      `${ESC}]8;;https://e.example/GHC-1${ESC}\\GHC-1${ESC}]8;;${ESC}\\\nend`;
    const whole = readInPieces(log, log.length);
    expect(whole.map((line) => line.text)).toEqual([
      'A.hs:6:7: error:',
      '    • x',
      '',
      'GHC-1',
      'end',
    ]);
    for (const size of [1, 2, 3, 7]) expect(readInPieces(log, size)).toEqual(whole);
  });

  it('keeps what a terminal shows after a lone carriage return', () => {
    const lines = readInPieces('Downloading 10%\rDownloading 100%\ndone\n', 4);
    expect(lines.map((line) => line.text)).toEqual(['Downloading 100%', 'done']);
  });

  it('keeps the start of a very long line and still counts the lines after it', () => {
    const lines = readInPieces(`${'x'.repeat(MAX_LINE_CHARS * 3)}\nnext\n`, 10_000);
    expect(lines).toHaveLength(2);
    expect(lines[0]?.text).toHaveLength(MAX_LINE_CHARS);
    expect(lines[1]).toEqual({ index: 1, text: 'next' });
  });

  it('keeps lines whole when two streams share one counter', () => {
    const counter = { next: 0 };
    const stdout = new PlainLineReader(counter);
    const stderr = new PlainLineReader(counter);

    // stderr's line is cut by a stdout chunk, as two pipes deliver them.
    expect(stderr.push('A.hs:4:5: err')).toEqual([]);
    expect(stdout.push('[2 of 3] Compiling Two\n')).toEqual([
      { index: 0, text: '[2 of 3] Compiling Two' },
    ]);
    expect(stderr.push('or:\n')).toEqual([{ index: 1, text: 'A.hs:4:5: error:' }]);
  });

  it('returns nothing for an empty stream', () => {
    const reader = new PlainLineReader();
    expect(reader.push('')).toEqual([]);
    expect(reader.end()).toEqual([]);
  });
});
