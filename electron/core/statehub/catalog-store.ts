import { randomUUID } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { z } from 'zod';

import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import type { Logger } from '../log/logger.ts';
import { describeIssue, entrySchema, hubTime } from './catalog-schema.ts';
import type { CapabilityEntry, Registration } from './catalog-schema.ts';

/**
 * The catalog in memory, mirrored to one JSON file. Every change is saved before the hub
 * answers, so an agent that got a 2xx can rely on its entry surviving a restart.
 */

const FILE_VERSION = 1;

const fileSchema = z.object({
  version: z.literal(FILE_VERSION),
  entries: z.array(entrySchema),
});

export interface CatalogStoreOptions {
  /** The JSON file that holds the catalog; created on the first change. */
  path: string;
  logger: Logger;
  now?: () => Date;
}

export class CatalogStore {
  readonly path: string;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly entries = new Map<string, CapabilityEntry>();

  // A save that has not started yet picks up every change made before it starts, so changes
  // arriving while a write is in flight share the next write instead of queueing one each.
  private pendingSave: Promise<void> | undefined;
  private saveChain: Promise<void> = Promise.resolve();

  private constructor(options: CatalogStoreOptions) {
    this.path = options.path;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
  }

  /** Loads the file if there is one; a file that cannot be read as a catalog is moved aside. */
  static async open(options: CatalogStoreOptions): Promise<CatalogStore> {
    const store = new CatalogStore(options);
    await store.load();
    return store;
  }

  list(capabilityType?: string): CapabilityEntry[] {
    return [...this.entries.values()]
      .filter((entry) => capabilityType === undefined || entry.capability_type === capabilityType)
      .sort(
        (a, b) =>
          a.capability_type.localeCompare(b.capability_type) || a.name.localeCompare(b.name),
      )
      .map((entry) => structuredClone(entry));
  }

  get(capabilityType: string, name: string): CapabilityEntry | undefined {
    const entry = this.entries.get(keyOf(capabilityType, name));
    return entry && structuredClone(entry);
  }

  /** Creates the entry or replaces its attributes; the id and registered_at of an entry stay. */
  upsert(registration: Registration): { entry: CapabilityEntry; created: boolean } {
    const key = keyOf(registration.capability_type, registration.name);
    const existing = this.entries.get(key);
    const now = hubTime(this.now());
    const entry: CapabilityEntry = {
      id: existing?.id ?? randomUUID(),
      capability_type: registration.capability_type,
      name: registration.name,
      attributes: structuredClone(registration.attributes),
      registered_at: existing?.registered_at ?? now,
      last_seen: now,
    };
    this.entries.set(key, entry);
    return { entry: structuredClone(entry), created: existing === undefined };
  }

  heartbeat(capabilityType: string, name: string): CapabilityEntry | undefined {
    const entry = this.entries.get(keyOf(capabilityType, name));
    if (!entry) return undefined;
    entry.last_seen = hubTime(this.now());
    return structuredClone(entry);
  }

  remove(capabilityType: string, name: string): boolean {
    return this.entries.delete(keyOf(capabilityType, name));
  }

  /** Writes the catalog; resolves when a write that includes every change so far is done. */
  save(): Promise<void> {
    if (this.pendingSave) return this.pendingSave;

    const save = this.saveChain.then(() => {
      this.pendingSave = undefined;
      return this.writeNow();
    });
    this.pendingSave = save;
    this.saveChain = save.catch(() => undefined);
    return save;
  }

  /** Waits for writes already asked for, without starting one. */
  async settle(): Promise<void> {
    await this.saveChain;
  }

  private async writeNow(): Promise<void> {
    const content = { version: FILE_VERSION, entries: this.list() };
    await writeFileAtomic(this.path, JSON.stringify(content, null, 2) + '\n');
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new UserError(
        'statehub-store-unreadable',
        `Cannot read the State Hub catalog ${this.path}: ${(error as Error).message}`,
        'Check the file permissions, or move the file away to start with an empty catalog.',
        { cause: error },
      );
    }

    const parsed = parseCatalogFile(text);
    if (typeof parsed === 'string') {
      await this.moveAside(parsed);
      return;
    }
    for (const entry of parsed.entries) {
      this.entries.set(keyOf(entry.capability_type, entry.name), entry);
    }
    this.logger.debug('loaded catalog', { path: this.path, entries: this.entries.size });
  }

  private async moveAside(problem: string): Promise<void> {
    const stamp = this.now().toISOString().replace(/[:.]/g, '-');
    const aside = `${this.path}.corrupt-${stamp}`;
    await rename(this.path, aside);
    this.logger.warn('catalog file is not valid; moved it aside and started empty', {
      path: this.path,
      moved_to: aside,
      problem,
    });
  }
}

// Returns the parsed file, or a sentence saying why it is not a catalog.
function parseCatalogFile(text: string): z.infer<typeof fileSchema> | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  const parsed = fileSchema.safeParse(json);
  return parsed.success ? parsed.data : describeIssue(parsed.error);
}

function keyOf(capabilityType: string, name: string): string {
  return `${capabilityType}\u0000${name}`;
}
