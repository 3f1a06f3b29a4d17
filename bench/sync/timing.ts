export interface Summary {
  runs: number;
  median: number;
  min: number;
  max: number;
  /** Every sample in milliseconds, in the order taken. */
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  if (samples.length === 0) return { runs: 0, median: NaN, min: NaN, max: NaN, samples };
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    runs: samples.length,
    median: round(median),
    min: round(sorted[0]!),
    max: round(sorted[sorted.length - 1]!),
    samples: samples.map(round),
  };
}

/** Runs `step` and returns its duration in milliseconds along with its value. */
export async function timed<T>(step: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await step();
  return { ms: performance.now() - started, value };
}

/**
 * Calls `step(0..count-1)` one after another, stopping early once `budgetMs` has passed so a
 * slow or stuck lab cannot keep the benchmark running; returns how many steps ran.
 */
export async function repeat(
  count: number,
  budgetMs: number,
  step: (index: number) => Promise<void>,
): Promise<number> {
  const deadline = performance.now() + budgetMs;
  let index = 0;
  while (index < count && performance.now() < deadline) {
    await step(index);
    index++;
  }
  return index;
}

/** Rejects when `promise` takes longer than `ms`: a hung SSH channel must not hang the run. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
