/**
 * Leveled, one-line-per-event logging. Every line names what it concerns (a VM, a build run,
 * a tunnel) so a log file can be grepped by scope.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  time: string;
  level: LogLevel;
  scope: string;
  message: string;
  fields?: Record<string, string | number | boolean | undefined>;
}

export type LogSink = (record: LogRecord, line: string) => void;

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const sinks = new Set<LogSink>();
let threshold: LogLevel = (process.env.BM_LOG_LEVEL as LogLevel | undefined) ?? 'info';

export interface Logger {
  debug(message: string, fields?: LogRecord['fields']): void;
  info(message: string, fields?: LogRecord['fields']): void;
  warn(message: string, fields?: LogRecord['fields']): void;
  error(message: string, fields?: LogRecord['fields']): void;
  child(subscope: string): Logger;
}

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

/** Adds a destination for log lines; returns a function that removes it. */
export function addLogSink(sink: LogSink): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

/** Writes log lines to stderr, which keeps stdout clean for CLI output and --json. */
export const stderrSink: LogSink = (_record, line) => {
  process.stderr.write(line + '\n');
};

export function formatLogLine(record: LogRecord): string {
  const fields = Object.entries(record.fields ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${quoteField(String(value))}`)
    .join(' ');
  const head = `${record.time} ${record.level.toUpperCase().padEnd(5)} [${record.scope}]`;
  return `${head} ${oneLine(record.message)}${fields ? ' ' + fields : ''}`;
}

export function createLogger(scope: string): Logger {
  const emit = (level: LogLevel, message: string, fields?: LogRecord['fields']) => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[threshold]) return;
    const record: LogRecord = { time: new Date().toISOString(), level, scope, message, fields };
    const line = formatLogLine(record);
    for (const sink of sinks) sink(record, line);
  };

  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (subscope) => createLogger(`${scope}:${subscope}`),
  };
}

// One event is one line, even when a message carries a multi-line tool error.
function oneLine(text: string): string {
  return text.replace(/\r?\n/g, ' ⏎ ');
}

function quoteField(value: string): string {
  return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
}
