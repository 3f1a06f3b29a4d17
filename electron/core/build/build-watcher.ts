import type { BuildRun, Diagnostic } from '../api/contract.ts';
import { PlainLineReader } from './ansi.ts';
import { BuildProgressParser, type BuildProgress } from './build-progress.ts';
import { DiagnosticParser, type Diagnostic as ParsedDiagnostic } from './diagnostics.ts';

export interface WatchResult {
  diagnostics: Diagnostic[];
  progress: BuildRun['progress'];
}

export interface BuildWatcher {
  push(text: string): WatchResult;
  /** The log ended: diagnostics still open are complete now. */
  end(): Diagnostic[];
}

/**
 * Reads a build's output once, line by line, for both the diagnostics list and the progress
 * bar, so both number log lines the same way the log view does.
 */
export function createBuildWatcher(): BuildWatcher {
  const reader = new PlainLineReader();
  const diagnostics = new DiagnosticParser();
  const progress = new BuildProgressParser();

  const consume = (lines: ReturnType<PlainLineReader['push']>): WatchResult => {
    const found: Diagnostic[] = [];
    let latest: BuildRun['progress'];
    for (const line of lines) {
      found.push(...diagnostics.pushLine(line).map(toContract));
      for (const step of progress.pushLine(line)) latest = toProgress(step) ?? latest;
    }
    return { diagnostics: found, progress: latest };
  };

  return {
    push: (text) => consume(reader.push(text)),
    end: () => {
      const last = consume(reader.end());
      return [...last.diagnostics, ...diagnostics.flush().map(toContract)];
    },
  };
}

function toContract(parsed: ParsedDiagnostic): Diagnostic {
  return {
    ...(parsed.file !== undefined ? { file: parsed.file } : {}),
    ...(parsed.line !== undefined ? { line: parsed.line } : {}),
    ...(parsed.column !== undefined ? { column: parsed.column } : {}),
    ...(parsed.endLine !== undefined ? { endLine: parsed.endLine } : {}),
    ...(parsed.endColumn !== undefined ? { endColumn: parsed.endColumn } : {}),
    severity: parsed.severity,
    ...(parsed.code ? { code: parsed.code } : {}),
    ...(parsed.flag ? { flag: parsed.flag } : {}),
    message: parsed.message,
    logLine: parsed.logLine,
  };
}

function toProgress(step: BuildProgress): BuildRun['progress'] | undefined {
  const where = [step.package, step.component].filter(Boolean).join(' ');
  switch (step.phase) {
    case 'compiling':
    case 'linking':
      if (step.done === undefined || step.total === undefined) {
        return { done: 0, total: 0, label: `linking ${where}`.trim() };
      }
      return {
        done: step.done,
        total: step.total,
        label: `${step.phase} ${step.module ?? step.output ?? ''} ${where ? `(${where})` : ''}`
          .replace(/\s+/g, ' ')
          .trim(),
      };
    case 'testing':
      return { done: 0, total: 0, label: `testing ${step.testSuite ?? ''}`.trim() };
    case 'up-to-date':
      return { done: 1, total: 1, label: 'up to date' };
    default:
      return undefined;
  }
}
