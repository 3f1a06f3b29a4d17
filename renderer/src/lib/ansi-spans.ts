/**
 * Turns one line of terminal output into styled segments: SGR colours and bold, the rest of the
 * escape sequences dropped. Text is never interpreted as HTML; React escapes it.
 */
export interface Segment {
  text: string;
  className: string;
}

interface Style {
  fg?: number;
  bold?: boolean;
  underline?: boolean;
}

const ESCAPE =
  // eslint-disable-next-line no-control-regex -- terminal escapes are control characters
  /\u001b\[([0-9;?]*)([A-Za-z])|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[()][A-Za-z0-9]/g;

export function segmentsOf(line: string): Segment[] {
  const segments: Segment[] = [];
  let style: Style = {};
  let from = 0;

  const push = (text: string) => {
    if (!text) return;
    const classes = [
      style.fg !== undefined ? `fg-${style.fg}` : '',
      style.bold ? 'bold' : '',
      style.underline ? 'underline' : '',
    ].filter(Boolean);
    segments.push({ text, className: classes.join(' ') });
  };

  for (const match of line.matchAll(ESCAPE)) {
    push(line.slice(from, match.index));
    from = match.index + match[0].length;
    if (match[2] === 'm') style = applySgr(style, match[1] ?? '');
  }
  push(line.slice(from));
  return segments;
}

function applySgr(style: Style, params: string): Style {
  const codes = params === '' ? [0] : params.split(';').map(Number);
  const next = { ...style };
  for (let index = 0; index < codes.length; index++) {
    const code = codes[index]!;
    if (code === 0) {
      delete next.fg;
      delete next.bold;
      delete next.underline;
    } else if (code === 1) next.bold = true;
    else if (code === 4) next.underline = true;
    else if (code === 22) delete next.bold;
    else if (code === 24) delete next.underline;
    else if (code >= 30 && code <= 37) next.fg = code - 30;
    else if (code >= 90 && code <= 97) next.fg = code - 90 + 8;
    else if (code === 39) delete next.fg;
    else if (code === 38) {
      // 256-colour and true-colour foregrounds: keep the basic 16, skip the parameters of others.
      if (codes[index + 1] === 5) {
        const colour = codes[index + 2] ?? 7;
        if (colour < 16) next.fg = colour;
        index += 2;
      } else if (codes[index + 1] === 2) index += 4;
    } else if (code === 48) index += codes[index + 1] === 5 ? 2 : codes[index + 1] === 2 ? 4 : 0;
  }
  return next;
}

/** Splits a log into the lines the core numbers (`\n` ends a line; `\r` redraws it). */
export function logLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => {
    const body = line.endsWith('\r') ? line.slice(0, -1) : line;
    const redraw = body.lastIndexOf('\r');
    return redraw >= 0 ? body.slice(redraw + 1) : body;
  });
}
