/**
 * Live progress of `VBoxManage import`. VBoxManage draws a `0%...10%...100%` run (on stderr)
 * per long operation: first while it reads and interprets the appliance, then while it
 * imports the disks. A UI that took the first `100%` as the end would say "done" while the
 * copying has not begun, so the runs are mapped onto one overall percentage.
 *
 * Output arrives in arbitrary chunks (`...1` then `0%...`), so this is a character-level state
 * machine: a number only counts once its `%` has arrived.
 */
export type ImportPhase = 'interpret' | 'import';

export interface ImportProgress {
  phase: ImportPhase;
  /** 0-100 within the phase. */
  phasePercent: number;
  /** 0-100 over both phases. */
  percent: number;
}

/** Share of the overall bar given to reading the appliance; copying disks is the long part. */
const INTERPRET_SHARE = 10;
const MAX_DIGITS = 3;

export class ImportProgressParser {
  private digits = '';
  private digitsAtBoundary = false;
  /** The last three characters seen outside a number, to know what precedes one. */
  private tail = '';
  private line = '';
  private runs = 0;
  private last: ImportProgress | undefined;
  private failure: string | undefined;

  constructor(private readonly onProgress?: (progress: ImportProgress) => void) {}

  /** The latest progress, or undefined before the first `0%`. */
  get progress(): ImportProgress | undefined {
    return this.last;
  }

  /** `NS_ERROR_FAILURE` from a `Progress state:` line, when an operation failed. */
  get failedState(): string | undefined {
    return this.failure;
  }

  /** True once the import run (the second) has reached 100%. */
  get importFinished(): boolean {
    return this.last?.phase === 'import' && this.last.phasePercent === 100;
  }

  feed(chunk: string): void {
    for (const char of chunk) this.step(char);
  }

  /** Flushes a final line that had no newline. */
  end(): void {
    this.finishLine();
  }

  private step(char: string): void {
    if (char >= '0' && char <= '9') {
      if (this.digits === '') this.digitsAtBoundary = this.atBoundary();
      this.digits = this.digits.length < MAX_DIGITS ? this.digits + char : '';
      this.line += char;
      return;
    }

    if (char === '%' && this.digits !== '' && this.digitsAtBoundary) {
      this.report(Number(this.digits));
    }
    this.digits = '';
    this.tail = (this.tail + char).slice(-3);

    if (char === '\n') this.finishLine();
    else this.line += char;
  }

  // A progress number starts a line, follows `...`, or follows a `Description: ` prefix.
  private atBoundary(): boolean {
    return (
      this.tail === '' ||
      this.tail.endsWith('\n') ||
      this.tail.endsWith('\r') ||
      this.tail === '...' ||
      this.tail.endsWith(': ')
    );
  }

  private report(value: number): void {
    if (value > 100) return;
    const previous = this.last;
    const startsRun = value === 0 || !previous || value < previous.phasePercent;
    if (startsRun) this.runs++;
    else if (previous && value === previous.phasePercent) return;

    // Anything after the second run (a third operation) still belongs to importing.
    const phase: ImportPhase = this.runs <= 1 ? 'interpret' : 'import';
    const percent =
      phase === 'interpret'
        ? Math.round((value * INTERPRET_SHARE) / 100)
        : INTERPRET_SHARE + Math.round((value * (100 - INTERPRET_SHARE)) / 100);
    this.last = { phase, phasePercent: value, percent };
    this.onProgress?.(this.last);
  }

  private finishLine(): void {
    const state = /^\s*Progress state:\s*(\S+)/.exec(this.line)?.[1];
    if (state) this.failure = state;
    this.line = '';
  }
}
