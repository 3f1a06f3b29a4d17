/**
 * The panel's side of the State Hub: which hub it uses (an external one always wins; else its
 * own, on loopback, persisted in the state folder), and a bounded poll of the catalog that
 * announces changes as events.
 */
import { join } from 'node:path';

import type { Catalog, CatalogEntry, HubStatus } from '../api/contract-hub.ts';
import type { EventBus } from '../events/event-bus.ts';
import { createLogger } from '../log/logger.ts';
import type { BuildAgentEntry } from './catalog-schema.ts';
import { ensureHub, type HubConnection } from './embedded-hub.ts';
import { readFreshness } from './freshness.ts';
import { createHubClient, type HubClient } from './hub-client.ts';

const log = createLogger('statehub');

export const POLL_INTERVAL_MS = 2_000;
const POLL_TIMEOUT_MS = 1_500;

export class HubService {
  private connection: HubConnection | undefined;
  private readonly client: HubClient;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<Catalog> | undefined;
  private last: Catalog | undefined;
  private lastEntriesKey = '';
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly stateDir: string,
    private readonly events: EventBus,
  ) {
    this.client = createHubClient({ baseUrl: url, timeoutMs: POLL_TIMEOUT_MS });
  }

  get storePath(): string {
    return join(this.stateDir, 'state-hub', 'catalog.json');
  }

  /** Uses the hub at the URL, or starts the embedded one when nothing answers there. */
  async ensure(): Promise<HubStatus> {
    if (this.connection) return (await this.poll()).status;
    this.connection = await ensureHub({ url: this.url, storePath: this.storePath });
    return (await this.poll()).status;
  }

  /** Polls every two seconds until closed; one poll at a time, each with a timeout. */
  startPolling(): void {
    if (this.timer || this.closed) return;
    const tick = () => {
      void this.poll().finally(() => {
        if (!this.closed) this.timer = setTimeout(tick, POLL_INTERVAL_MS);
      });
    };
    tick();
  }

  latest(): Catalog | undefined {
    return this.last;
  }

  /** Reads health and the build agents; announces what changed. */
  poll(): Promise<Catalog> {
    this.polling ??= this.readCatalog().finally(() => (this.polling = undefined));
    return this.polling;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling?.catch(() => undefined);
    await this.connection?.close();
    this.connection = undefined;
  }

  private async readCatalog(): Promise<Catalog> {
    const agents = await this.client.listBuildAgents();
    const kind = this.connection?.kind ?? 'external';
    const now = new Date();
    const status: HubStatus =
      agents.kind === 'ok'
        ? { kind, url: this.client.baseUrl, canStartEmbedded: false, checkedAt: now.toISOString() }
        : {
            kind: agents.kind,
            url: this.client.baseUrl,
            message: agents.message,
            canStartEmbedded: agents.kind === 'down' && isLoopback(this.client.baseUrl),
            checkedAt: now.toISOString(),
          };
    const entries = agents.kind === 'ok' ? agents.value.map((entry) => toEntry(entry, now)) : [];
    const catalog: Catalog = { status, entries };

    const previous = this.last;
    this.last = catalog;
    if (
      !previous ||
      previous.status.kind !== status.kind ||
      previous.status.message !== status.message
    ) {
      log.info('State Hub status', { kind: status.kind, url: status.url });
      this.events.emit('hub.status', status);
    }
    // Ages change every poll; what counts as a change is who is there, heartbeats and freshness.
    const key = JSON.stringify(entries.map((entry) => ({ ...entry, ageMs: 0 })));
    if (key !== this.lastEntriesKey || previous?.status.kind !== status.kind) {
      this.lastEntriesKey = key;
      this.events.emit('hub.catalog', catalog);
    }
    return catalog;
  }
}

function toEntry(entry: BuildAgentEntry, now: Date): CatalogEntry {
  const { state, ageMs } = readFreshness(entry.last_seen, now);
  return {
    name: entry.name,
    tunnelPort: entry.attributes.tunnel_port,
    ghcVersions: entry.attributes.ghc_versions,
    agentVersion: entry.attributes.agent_version,
    hostname: entry.attributes.hostname,
    bootTime: entry.attributes.boot_time,
    registeredAt: entry.registered_at,
    lastSeen: entry.last_seen,
    freshness: state,
    ageMs: Number.isNaN(ageMs) ? -1 : ageMs,
  };
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}
