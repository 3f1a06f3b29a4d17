import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { BuildRunSchema, type BuildRun } from '../api/contract.ts';
import { readTextIfExists } from '../fs/read-text-if-exists.ts';
import { createLogger } from '../log/logger.ts';

const log = createLogger('history');

/**
 * Finished runs, one JSON line each, appended: a crash mid-write loses at most the last line,
 * and a torn line is skipped when reading.
 */
export class BuildHistory {
  /** The folder of the history file and of every run's log. */
  constructor(readonly folder: string) {}

  get file(): string {
    return join(this.folder, 'history.jsonl');
  }

  logFile(runId: string): string {
    return join(this.folder, `${runId}.log`);
  }

  async append(run: BuildRun): Promise<void> {
    await mkdir(this.folder, { recursive: true });
    await appendFile(this.file, JSON.stringify(run) + '\n');
  }

  /** Newest first. */
  async list(filter: { project?: string; limit?: number } = {}): Promise<BuildRun[]> {
    const text = await readTextIfExists(this.file);
    if (text === undefined) return [];

    const runs: BuildRun[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const parsed = BuildRunSchema.safeParse(JSON.parse(line));
        if (parsed.success) runs.push(parsed.data);
      } catch {
        log.warn('skipped a torn history line', { file: this.file });
      }
    }

    return runs
      .filter((run) => !filter.project || run.project === filter.project)
      .reverse()
      .slice(0, filter.limit ?? 100);
  }

  async find(runId: string): Promise<BuildRun | undefined> {
    return (await this.list({ limit: 10_000 })).find((run) => run.id === runId);
  }
}
