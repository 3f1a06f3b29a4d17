/**
 * Streaming parser for the errors and warnings in `cabal build` / `ghc` output. It reads the
 * log as it arrives and reports each diagnostic once its block is complete, so the log view can
 * mark it while the build still runs.
 *
 * Formats: GHC's text diagnostics from 8.x to 9.14 (with or without `[GHC-nnnnn]` codes,
 * warning flags, `-ferror-spans` ranges, colours and hyperlinks), `-fdiagnostics-as-json`
 * lines mixed with plain output, and cabal's own `Error:` / `cabal:` / `Warning:` messages.
 *
 * The message is the diagnostic's text without the header and without the source snippet
 * (the `  |`, `12 | code`, `  |  ^^^` lines, kept apart in `snippet`). Its lines are dedented
 * together, so GHC's bullets and nesting survive: "• Couldn't match…\n  Expected: String".
 */
import { PlainLineReader, type LogLine } from './ansi.ts';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Absent when the tool gave no location: `<no location info>`, cabal's own messages. */
  file?: string;
  /** 1-based, as GHC prints it. */
  line?: number;
  column?: number;
  /** End of the span when GHC gave one (`12:5-10`, `(12,5)-(13,7)`, JSON); inclusive. */
  endLine?: number;
  endColumn?: number;
  severity: Severity;
  /** `GHC-88464`, `Cabal-7107`...: the error index code, when the tool printed one. */
  code?: string;
  /** The warning flag that caused it, e.g. `-Wunused-imports`. */
  flag?: string;
  message: string;
  /** The gutter and caret lines GHC printed under the message, as printed. */
  snippet?: string;
  /** Who reported it: the compiler, or cabal itself (resolver, configure, build plan). */
  source: 'ghc' | 'cabal';
  /** Index of the header line in the log (see `LogLine`). */
  logLine: number;
  /** Index of the last log line that belongs to this diagnostic. */
  endLogLine: number;
}

/** A diagnostic with more body lines than this keeps the first ones only. */
const MAX_BODY_LINES = 2_000;

/**
 * `file:line:col`, `file:line:col-endcol` or `file:(line,col)-(endline,endcol)`, then the
 * severity. The path is matched lazily so `C:\src\A.hs:3:1:` keeps its drive letter.
 */
const GHC_HEADER = new RegExp(
  [
    String.raw`^(?<file>\S.*?):`,
    String.raw`(?:(?<line>\d+):(?<col>\d+)(?:-(?<endCol>\d+))?`,
    String.raw`|\((?<startLine>\d+),(?<startCol>\d+)\)-\((?<endLine>\d+),(?<endCol2>\d+)\)):`,
    String.raw`\s*(?<severity>error|warning|fatal)\b:?(?<rest>.*)$`,
  ].join(''),
  'i',
);

/** GHC diagnostics without a source span. */
const GHC_NO_LOCATION =
  /^<(?:no location info|command line)>:\s*(?:(?<severity>error|warning|fatal)\b:?)?(?<rest>.*)$/i;

/**
 * cabal's own messages: `Error: cabal: …` (3.10+), `Error: [Cabal-7107]` (3.12+), `cabal: …`
 * (older) and `Warning: …`. A bare `Error: …` needs a program or code after it, so a test
 * suite printing "Error: expected 3" is not taken for cabal.
 */
const CABAL_MESSAGE = new RegExp(
  [
    String.raw`^(?:Error:\s*(?=\[[A-Za-z]+-\d+\]|[\w.-]+:)`,
    String.raw`|(?<warning>Warning):\s*`,
    String.raw`|(?=cabal(?:-[\d.]+)?(?:\.exe)?:))`,
    String.raw`(?<rest>.*)$`,
  ].join(''),
);
const PROGRAM_PREFIX = /^(?:cabal|setup)[\w.-]*?(?:\.exe)?:\s*/i;
const WARNING_PREFIX = /^warning:\s*/i;

/** The bracketed tags after the severity: `[GHC-62161]`, `[-Wunused-imports, -Werror=…]`. */
const TAG = /^\s*\[(?<tag>[^\]]*)\]/;
const CODE = /^[A-Za-z]+-\d+$/;

/** Lines cabal prints between its messages; they end a cabal message that has no blank line. */
const CABAL_STATUS = new RegExp(
  [
    '^(?:Build profile:|In order, the following|Resolving dependencies|Up to date',
    '|Configuring |Preprocessing |Building |Linking |Running |Test suite |Installing ',
    String.raw`|Completed |Starting |Downloading |Downloaded |\[\s*\d+ of \d+\]| - \S)`,
  ].join(''),
);

/** A numbered source line of a snippet: `245 |     go = zipWithM_ go1`. */
const SNIPPET_SOURCE = /^ *\d+ +\|/;
/** The bare margin that opens a snippet (`    |`), and any margin line inside it. */
const SNIPPET_OPEN = /^ *\|\s*$/;
const SNIPPET_LINE = /^ *(?:\d+ +)?\|/;

/** cabal wraps its messages at 79 columns: a shorter line is the end of a paragraph. */
const CABAL_WRAP_MIN = 60;

interface Block {
  diagnostic: Diagnostic;
  /** The text after the header's tags, if GHC put the message on the header line. */
  headText: string;
  body: string[];
  snippet: string[];
  /** cabal errors end at a blank or status line; cabal warnings also when a line is short. */
  cabalWarning: boolean;
}

export class DiagnosticParser {
  private readonly reader = new PlainLineReader();
  private block: Block | undefined;

  /** Feeds a chunk of raw output; returns the diagnostics it completed. */
  push(chunk: string): Diagnostic[] {
    return this.reader.push(chunk).flatMap((line) => this.pushLine(line));
  }

  /** The stream ended: returns what the last lines completed, including a cut-off block. */
  end(): Diagnostic[] {
    const found = this.reader.end().flatMap((line) => this.pushLine(line));
    return [...found, ...this.flush()];
  }

  /** Feeds one line already split and stripped elsewhere (another reader of the same log). */
  pushLine(line: LogLine): Diagnostic[] {
    const found: Diagnostic[] = [];
    if (this.block && this.continues(this.block, line.text)) {
      this.add(this.block, line);
      return found;
    }

    found.push(...this.flush());
    const json = parseJsonDiagnostic(line);
    if (json) found.push(json);
    else this.block = startBlock(line);
    return found;
  }

  /** Completes the open block, if any: for callers that feed lines with `pushLine`. */
  flush(): Diagnostic[] {
    const block = this.block;
    this.block = undefined;
    return block ? [finishBlock(block)] : [];
  }

  private continues(block: Block, text: string): boolean {
    if (text.trim() === '') return false;

    if (block.diagnostic.source === 'ghc') {
      // Body lines are indented; snippet lines may start with the line number at column 0.
      return /^[ \t]/.test(text) || SNIPPET_SOURCE.test(text);
    }

    if (CABAL_STATUS.test(text) || startsDiagnostic(text)) return false;
    if (!block.cabalWarning) return true;
    const previous = block.body.at(-1) ?? block.headText;
    return previous.length >= CABAL_WRAP_MIN && !/[.:]$/.test(previous);
  }

  private add(block: Block, line: LogLine): void {
    block.diagnostic.endLogLine = line.index;
    const text = line.text.trimEnd();

    const inSnippet = block.snippet.length > 0;
    const isSnippet = inSnippet
      ? SNIPPET_LINE.test(text)
      : SNIPPET_OPEN.test(text) || SNIPPET_SOURCE.test(text);

    if (isSnippet && block.diagnostic.source === 'ghc') {
      if (block.snippet.length < MAX_BODY_LINES) block.snippet.push(text);
    } else if (block.body.length < MAX_BODY_LINES) {
      block.body.push(text);
    }
  }
}

/** Parses a whole log at once. */
export function parseDiagnostics(text: string): Diagnostic[] {
  const parser = new DiagnosticParser();
  return [...parser.push(text), ...parser.end()];
}

function startsDiagnostic(text: string): boolean {
  return (
    GHC_HEADER.test(text) ||
    GHC_NO_LOCATION.test(text) ||
    CABAL_MESSAGE.test(text) ||
    text.startsWith('{')
  );
}

function startBlock(line: LogLine): Block | undefined {
  const ghc = GHC_HEADER.exec(line.text) ?? GHC_NO_LOCATION.exec(line.text);
  if (ghc?.groups) return startGhcBlock(line, ghc.groups);

  const cabal = CABAL_MESSAGE.exec(line.text);
  if (cabal?.groups) return startCabalBlock(line, cabal.groups);

  return undefined;
}

function startGhcBlock(line: LogLine, groups: Record<string, string | undefined>): Block {
  const diagnostic: Diagnostic = {
    severity: groups.severity?.toLowerCase() === 'warning' ? 'warning' : 'error',
    message: '',
    source: 'ghc',
    logLine: line.index,
    endLogLine: line.index,
  };

  if (groups.file !== undefined) {
    diagnostic.file = groups.file;
    diagnostic.line = Number(groups.line ?? groups.startLine);
    diagnostic.column = Number(groups.col ?? groups.startCol);
    if (groups.endCol !== undefined) {
      diagnostic.endLine = diagnostic.line;
      diagnostic.endColumn = Number(groups.endCol);
    } else if (groups.endLine !== undefined) {
      diagnostic.endLine = Number(groups.endLine);
      diagnostic.endColumn = Number(groups.endCol2);
    }
  }

  const headText = readTags(groups.rest ?? '', diagnostic);
  return { diagnostic, headText, body: [], snippet: [], cabalWarning: false };
}

function startCabalBlock(line: LogLine, groups: Record<string, string | undefined>): Block {
  let severity: Severity = groups.warning === undefined ? 'error' : 'warning';
  let rest = groups.rest ?? '';

  const diagnostic: Diagnostic = {
    severity,
    message: '',
    source: 'cabal',
    logLine: line.index,
    endLogLine: line.index,
  };
  rest = readTags(rest, diagnostic).replace(PROGRAM_PREFIX, '');

  // `cabal: warning: …` is a warning although it has the error prefix.
  if (WARNING_PREFIX.test(rest)) {
    severity = 'warning';
    rest = rest.replace(WARNING_PREFIX, '');
  }
  diagnostic.severity = severity;

  return {
    diagnostic,
    headText: rest.trim(),
    body: [],
    snippet: [],
    cabalWarning: severity === 'warning',
  };
}

/** Takes the `[code]` and `[flag]` tags off the header; returns the text after them. */
function readTags(rest: string, diagnostic: Diagnostic): string {
  let text = rest;
  for (let tag = TAG.exec(text); tag?.groups; tag = TAG.exec(text)) {
    const content = (tag.groups.tag ?? '').trim();
    if (CODE.test(content)) {
      diagnostic.code = content;
    } else {
      // `-Wunused-imports (in -Wextra), Werror=unused-imports`: the first flag is the cause.
      const flag = content.split(',')[0]?.replace(/\(.*$/, '').trim() ?? '';
      if (flag.startsWith('-')) diagnostic.flag = flag;
    }
    text = text.slice(tag[0].length);
  }
  return text.trim();
}

function finishBlock(block: Block): Diagnostic {
  const { diagnostic } = block;
  const body = block.diagnostic.source === 'ghc' ? dedent(block.body) : block.body;

  const lines = block.headText === '' ? body : [block.headText, ...body];
  while (lines.length > 0 && lines.at(-1)?.trim() === '') lines.pop();
  diagnostic.message = lines.join('\n');

  if (block.snippet.length > 0) diagnostic.snippet = block.snippet.join('\n');
  return diagnostic;
}

function dedent(lines: string[]): string[] {
  const indents = lines
    .filter((line) => line.trim() !== '')
    .map((line) => /^[ \t]*/.exec(line)?.[0].length ?? 0);
  const indent = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((line) => line.slice(indent));
}

/**
 * The fields we read from GHC's `-fdiagnostics-as-json` lines (schema 1.0/1.1, GHC 9.10+) and
 * from the older `-ddump-json` ones (GHC 8.x/9.x: flat span, `SevError`, `doc`).
 */
interface JsonPosition {
  line?: unknown;
  column?: unknown;
}

interface JsonDiagnostic {
  span?: {
    file?: unknown;
    start?: JsonPosition;
    end?: JsonPosition;
    startLine?: unknown;
    startCol?: unknown;
    endLine?: unknown;
    endCol?: unknown;
  } | null;
  severity?: unknown;
  code?: unknown;
  message?: unknown;
  doc?: unknown;
  hints?: unknown;
  reason?: { flags?: unknown; category?: unknown } | string | null;
}

const JSON_SEVERITIES: Record<string, Severity> = {
  Error: 'error',
  Warning: 'warning',
  SevError: 'error',
  SevFatal: 'error',
  SevWarning: 'warning',
};

function parseJsonDiagnostic(line: LogLine): Diagnostic | undefined {
  const text = line.text.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;

  let value: JsonDiagnostic;
  try {
    value = JSON.parse(text) as JsonDiagnostic;
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;

  // Other JSON (and -ddump-json's `SevOutput` progress lines) is not a diagnostic.
  const severity = typeof value.severity === 'string' ? JSON_SEVERITIES[value.severity] : undefined;
  if (severity === undefined) return undefined;

  const diagnostic: Diagnostic = {
    severity,
    message: jsonMessage(value),
    source: 'ghc',
    logLine: line.index,
    endLogLine: line.index,
  };
  readJsonSpan(value, diagnostic);

  if (typeof value.code === 'number') {
    diagnostic.code = `GHC-${String(value.code).padStart(5, '0')}`;
  } else if (typeof value.code === 'string' && CODE.test(value.code)) {
    diagnostic.code = value.code;
  }

  const reason = typeof value.reason === 'object' ? value.reason : undefined;
  const flags = reason?.flags;
  if (Array.isArray(flags) && typeof flags[0] === 'string') diagnostic.flag = `-W${flags[0]}`;
  else if (typeof reason?.category === 'string') diagnostic.flag = `-W${reason.category}`;

  return diagnostic;
}

function readJsonSpan(value: JsonDiagnostic, diagnostic: Diagnostic): void {
  const span = value.span;
  if (!span || typeof span.file !== 'string') return;

  const line = positiveInteger(span.start?.line ?? span.startLine);
  const column = positiveInteger(span.start?.column ?? span.startCol);
  if (line === undefined || column === undefined) return;
  diagnostic.file = span.file;
  diagnostic.line = line;
  diagnostic.column = column;

  const endLine = positiveInteger(span.end?.line ?? span.endLine);
  const endColumn = positiveInteger(span.end?.column ?? span.endCol);
  if (endLine === undefined || endColumn === undefined) return;
  // JSON gives GHC's exclusive end column; its text form (and this type) is inclusive.
  diagnostic.endLine = endLine;
  diagnostic.endColumn = endLine === line ? Math.max(column, endColumn - 1) : endColumn - 1;
}

/** The message lines, then the hints the way GHC's text output shows them. */
function jsonMessage(value: JsonDiagnostic): string {
  const lines = stringList(value.message ?? value.doc);
  const hints = stringList(value.hints);

  if (hints.length === 1) lines.push('Suggested fix:', indent(hints[0] ?? ''));
  if (hints.length > 1) {
    lines.push('Suggested fixes:', ...hints.map((hint) => indent(`• ${hint}`)));
  }
  return lines.join('\n');
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is string => typeof item === 'string');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}
