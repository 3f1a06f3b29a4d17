import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  ImageBuildSchema,
  ImageLogLineSchema,
  type ImageBuild,
  type ImageLogLine,
} from '../api/contract-image.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextIfExists } from '../fs/read-text-if-exists.ts';

/**
 * Image builds on disk: <dir>/<id>.json (the record) and <id>.log (one JSON log line per line,
 * so a failed build keeps its full log with levels). Appends are chained so lines stay in order.
 */
export class ImageBuildStore {
  private appending = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {}

  async save(build: ImageBuild): Promise<void> {
    await writeFileAtomic(
      join(this.dir, `${build.id}.json`),
      JSON.stringify(build, null, 2) + '\n',
    );
  }

  /** Queues lines for the build's log file; `settle` waits for the queue. */
  append(id: string, lines: readonly ImageLogLine[]): void {
    const text = lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
    const previous = this.appending.get(id) ?? mkdir(this.dir, { recursive: true }).then(() => {});
    this.appending.set(
      id,
      previous.then(() => appendFile(join(this.dir, `${id}.log`), text, 'utf8')),
    );
  }

  async settle(id: string): Promise<void> {
    await this.appending.get(id);
    this.appending.delete(id);
  }

  async get(id: string): Promise<ImageBuild | undefined> {
    try {
      const text = await readFile(join(this.dir, `${id}.json`), 'utf8');
      return recovered(ImageBuildSchema.parse(JSON.parse(text)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Newest first. Records that cannot be read are skipped, not fatal to the list. */
  async list(limit: number): Promise<ImageBuild[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((name) => /^img-.*\.json$/.test(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const builds: ImageBuild[] = [];
    for (const name of names) {
      try {
        const text = await readFile(join(this.dir, name), 'utf8');
        builds.push(recovered(ImageBuildSchema.parse(JSON.parse(text))));
      } catch {
        continue;
      }
    }
    builds.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    return builds.slice(0, limit);
  }

  async log(id: string): Promise<ImageLogLine[]> {
    await this.appending.get(id);
    const text = await readTextIfExists(join(this.dir, `${id}.log`));
    if (text === undefined) return [];
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const parsed = ImageLogLineSchema.safeParse(safeJson(line));
        return parsed.success ? parsed.data : { level: 'output' as const, text: line };
      });
  }
}

// A record still "running" on disk belongs to a panel that stopped mid-build: Packer died
// with it, so the build failed; saying so beats showing it running forever.
function recovered(build: ImageBuild): ImageBuild {
  if (build.status !== 'running') return build;
  return {
    ...build,
    status: 'failed',
    ...(build.step ? { failedStep: build.step } : {}),
    error: {
      code: 'image-build-interrupted',
      message: 'The panel stopped while this image build was running.',
      fix: 'Build the image again; delete the build VM Packer left in VirtualBox if there is one.',
    },
  };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
