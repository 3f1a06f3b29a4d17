/**
 * The `--machinereadable` key=value format of `VBoxManage showvminfo`.
 *
 * VBoxManage quotes a key when it contains `=` or spaces it cares about ("IDE Controller-0-0"),
 * but not always (`BIOS NVRAM File=`); string values are quoted with `\"` and `\\` escaped,
 * numbers are bare (`vrdeport=-1`), and a few lines are not key=value at all (`Encryption:
 * disabled`, ` rec_screen0`). Some values are printed without escaping (bridge adapter names),
 * a few have text after the closing quote (`BandwidthGroup0="name",Network,0`), and a
 * description may run over several lines.
 */
export interface MachineReadable {
  /** Every pair in output order; keys can repeat (each NAT NIC restarts `Forwarding(0)`). */
  entries: Array<[key: string, value: string]>;
  /** Last value per key. */
  map: Record<string, string>;
}

export function parseMachineReadable(text: string): MachineReadable {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  const entries: Array<[string, string]> = [];

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const key = readKey(line);
    if (!key) continue;

    const rest = line.slice(key.end);
    if (!rest.startsWith('"')) {
      entries.push([key.name, rest.trim()]);
      continue;
    }

    const single = readQuotedOnLine(rest);
    if (single !== undefined) {
      entries.push([key.name, single]);
      continue;
    }

    const multi = readQuotedAcrossLines(rest, lines, index + 1);
    if (multi) {
      entries.push([key.name, multi.value]);
      index = multi.lastLine;
    } else {
      // An unterminated quote (truncated output): keep what the line has.
      entries.push([key.name, unescape(rest.slice(1))]);
    }
  }

  const map: Record<string, string> = {};
  for (const [name, value] of entries) map[name] = value;
  return { entries, map };
}

interface KeyToken {
  name: string;
  /** Index just after the `=`. */
  end: number;
}

function readKey(line: string): KeyToken | undefined {
  if (line.startsWith('"')) {
    const close = findClosingQuote(line, 1);
    if (close < 0 || line[close + 1] !== '=') return undefined;
    return { name: unescape(line.slice(1, close)), end: close + 2 };
  }

  const equals = line.indexOf('=');
  if (equals <= 0) return undefined;
  const name = line.slice(0, equals);
  // `Password ID:    a=b` style human lines and indented fragments are not keys.
  if (/^\s/.test(name) || name.includes(':') || name.includes('"')) return undefined;
  return { name: name.trimEnd(), end: equals + 1 };
}

/** The value when the line holds the whole quoted string; undefined when it is not closed. */
function readQuotedOnLine(rest: string): string | undefined {
  const trimmed = rest.trimEnd();
  if (trimmed.length >= 2 && trimmed.endsWith('"') && !isEscaped(trimmed, trimmed.length - 1)) {
    return unescape(trimmed.slice(1, -1));
  }

  const close = findClosingQuote(rest, 1);
  if (close < 0) return undefined;
  return unescape(rest.slice(1, close)) + rest.slice(close + 1).trimEnd();
}

function readQuotedAcrossLines(
  rest: string,
  lines: readonly string[],
  from: number,
): { value: string; lastLine: number } | undefined {
  const parts = [rest.slice(1)];
  for (let index = from; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const trimmed = line.trimEnd();
    const closes = trimmed.endsWith('"') && !isEscaped(trimmed, trimmed.length - 1);
    if (!closes) {
      parts.push(line);
      continue;
    }
    // A line that looks like the next key="value" means the quote was never closed.
    if (/^"?[A-Za-z][\w -]*"?="/.test(trimmed)) return undefined;
    parts.push(trimmed.slice(0, -1));
    return { value: unescape(parts.join('\n')), lastLine: index };
  }
  return undefined;
}

function findClosingQuote(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    if (text[index] === '\\') index++;
    else if (text[index] === '"') return index;
  }
  return -1;
}

function isEscaped(text: string, position: number): boolean {
  let backslashes = 0;
  for (let index = position - 1; index >= 0 && text[index] === '\\'; index--) backslashes++;
  return backslashes % 2 === 1;
}

function unescape(text: string): string {
  return text.replace(/\\(["\\])/g, '$1');
}
