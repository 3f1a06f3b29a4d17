/**
 * Streaming parser for Packer's output. `packer -machine-readable` writes
 * `timestamp,target,type,data...` lines; Packer's own messages (HCL diagnostics on stderr,
 * human-mode output) are plain lines. Both become the same events, so the UI shows one log.
 */

export type PackerLogLevel = 'info' | 'output' | 'error';

export interface PackerLogLine {
  level: PackerLogLevel;
  text: string;
  /** Build name (`virtualbox-iso.haskell`), when the line names one. */
  build?: string;
  /** Seconds since the epoch, from machine-readable lines. */
  timestamp?: number;
  stream: 'stdout' | 'stderr';
}

export interface PackerArtifact {
  build: string;
  index: number;
  builderId?: string;
  id?: string;
  description?: string;
  filesCount?: number;
  files: string[];
}

export type PackerVersionField = 'version' | 'prerelease' | 'commit';

export type PackerEvent =
  | { kind: 'log'; line: PackerLogLine }
  | { kind: 'step'; build: string; step: string }
  | { kind: 'error'; message: string; build?: string }
  | { kind: 'error-count'; count: number }
  | { kind: 'build-finished'; build: string }
  | { kind: 'build-errored'; build: string; message: string }
  | { kind: 'artifact-count'; build: string; count: number }
  | { kind: 'artifact'; artifact: PackerArtifact }
  | { kind: 'version'; field: PackerVersionField; value: string }
  | { kind: 'other'; target: string; type: string; data: string[] };

const MACHINE_LINE = /^(\d+),([^,]*),([^,]+)(?:,(.*))?$/;
const STEP_LINE = /^==> ([^\s:]+): (.*)$/;
const OUTPUT_LINE = /^ {4}([^\s:]+): ?(.*)$/;
const ARTIFACT_SUMMARY_LINE = /^--> ([^\s:]+): (.*)$/;
// Packer's closing summaries ("--> build: ...", "==> Some builds didn't complete...") repeat
// errors already reported, so they are logged but not counted again.
const SUMMARY_LINE = /^(--> [^\s:]+: |==> (?![^\s:]+: ))/;
const BUILD_FINISHED = /^Build '([^']+)' finished\b/;
const BUILD_ERRORED = /^Build '([^']+)' errored(?: after [^:]*)?: (.*)$/s;
// "Error starting VM", "Provisioning step had errors", nested "VBoxManage: error:" lines.
const ERROR_TEXT = /^(error\b|.*\berror:)|\berrors?\b.*(cleanup|:)|\bfailed\b/i;

const VERSION_FIELDS: Record<string, PackerVersionField> = {
  version: 'version',
  // Packer's own spelling, also in its documentation.
  'version-prelease': 'prerelease',
  'version-commit': 'commit',
};

/** Undoes Packer's escaping of one machine-readable field. */
export function unescapePackerField(field: string): string {
  return field
    .replace(/\\n/g, '\n')
    .replace(/\\r/g, '\r')
    .replace(/%!\(PACKER_COMMA\)/g, ',');
}

export class PackerOutputParser {
  private pending = '';
  private readonly artifacts = new Map<string, PackerArtifact>();

  constructor(
    private readonly emit: (event: PackerEvent) => void,
    private readonly stream: 'stdout' | 'stderr' = 'stdout',
  ) {}

  /** Feeds a chunk of output; chunks may split lines anywhere. */
  push(chunk: string): void {
    this.pending += chunk;
    let newline = this.pending.indexOf('\n');
    while (newline !== -1) {
      this.parseLine(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
  }

  /** Parses a last line that had no newline. */
  end(): void {
    if (this.pending !== '') this.parseLine(this.pending);
    this.pending = '';
  }

  private parseLine(rawLine: string): void {
    let line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    // A terminal shows only what follows the last carriage return (progress redraws).
    if (line.includes('\r'))
      line =
        line
          .split('\r')
          .filter((part) => part !== '')
          .pop() ?? '';

    const match = MACHINE_LINE.exec(line);
    if (!match) {
      this.parsePlainLine(line);
      return;
    }
    const [, timestampText, target = '', type = '', rest] = match;
    const timestamp = Number(timestampText);
    const data = rest === undefined ? [] : rest.split(',').map(unescapePackerField);
    this.parseMachineRecord(timestamp, target, type, data);
  }

  private parseMachineRecord(timestamp: number, target: string, type: string, data: string[]) {
    const versionField = VERSION_FIELDS[type];
    if (versionField) {
      this.emit({ kind: 'version', field: versionField, value: data.join(',') });
      return;
    }

    switch (type) {
      case 'ui': {
        const [uiType = 'say', ...textParts] = data;
        const level: PackerLogLevel =
          uiType === 'error' ? 'error' : uiType === 'message' ? 'output' : 'info';
        this.parseText(textParts.join(','), level, timestamp);
        return;
      }
      case 'artifact-count':
        this.emit({ kind: 'artifact-count', build: target, count: Number(data[0] ?? 0) });
        return;
      case 'artifact':
        this.parseArtifactRecord(target, data);
        return;
      case 'error-count':
        this.emit({ kind: 'error-count', count: Number(data[0] ?? 0) });
        return;
      case 'error': {
        const message = data.join(',');
        this.emit({ kind: 'error', message, ...(target ? { build: target } : {}) });
        return;
      }
      default:
        this.emit({ kind: 'other', target, type, data });
    }
  }

  // artifact,N,<field>[,value...]: the fields of artifact N arrive one per line until `end`.
  private parseArtifactRecord(build: string, data: string[]): void {
    const [indexText = '0', field = '', ...values] = data;
    const index = Number(indexText);
    const key = `${build}\u0000${index}`;
    let artifact = this.artifacts.get(key);
    if (!artifact) {
      artifact = { build, index, files: [] };
      this.artifacts.set(key, artifact);
    }

    const value = values.join(',');
    switch (field) {
      case 'builder-id':
        artifact.builderId = value;
        break;
      case 'id':
        artifact.id = value;
        break;
      case 'string':
        artifact.description = value;
        break;
      case 'files-count':
        artifact.filesCount = Number(value);
        break;
      case 'file':
        // file,<n>,<path>: the path is everything after the file number.
        artifact.files[Number(values[0] ?? artifact.files.length)] = values.slice(1).join(',');
        break;
      case 'end':
        this.artifacts.delete(key);
        this.emit({ kind: 'artifact', artifact });
        break;
      default:
        break;
    }
  }

  private parsePlainLine(line: string): void {
    const level: PackerLogLevel = /^ {4}\S/.test(line)
      ? 'output'
      : ERROR_TEXT.test(line)
        ? 'error'
        : 'info';
    this.parseText(line, level);
  }

  // One ui record may hold several lines (`\n` inside the data); each can name a step.
  private parseText(text: string, level: PackerLogLevel, timestamp?: number): void {
    const firstLine = text.split('\n').find((part) => part.trim() !== '') ?? '';
    const build = buildNameOf(firstLine);
    const line: PackerLogLine = {
      level,
      text,
      stream: this.stream,
      ...(build ? { build } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
    };
    const isError = level === 'error';

    for (const part of text.split('\n')) {
      const step = STEP_LINE.exec(part);
      if (step && level !== 'output') {
        const [, stepBuild = '', stepText = ''] = step;
        if (isError || ERROR_TEXT.test(stepText)) {
          if (!isError) line.level = 'error';
          this.emit({ kind: 'error', message: stepText, build: stepBuild });
        } else {
          this.emit({ kind: 'step', build: stepBuild, step: stepText });
        }
        continue;
      }

      const finished = BUILD_FINISHED.exec(part);
      if (finished?.[1]) this.emit({ kind: 'build-finished', build: finished[1] });
      const errored = BUILD_ERRORED.exec(part);
      if (errored?.[1]) {
        this.emit({ kind: 'build-errored', build: errored[1], message: errored[2] ?? '' });
      } else if (isError && part.trim() !== '' && !SUMMARY_LINE.test(part)) {
        this.emit({ kind: 'error', message: part.trim(), ...(build ? { build } : {}) });
      }
    }

    this.emit({ kind: 'log', line });
  }
}

function buildNameOf(line: string): string | undefined {
  const match = STEP_LINE.exec(line) ?? OUTPUT_LINE.exec(line) ?? ARTIFACT_SUMMARY_LINE.exec(line);
  return match?.[1];
}

/** Parses a whole transcript at once (tests, saved logs). */
export function parsePackerOutput(text: string, stream: 'stdout' | 'stderr' = 'stdout') {
  const events: PackerEvent[] = [];
  const parser = new PackerOutputParser((event) => events.push(event), stream);
  parser.push(text);
  parser.end();
  return events;
}
