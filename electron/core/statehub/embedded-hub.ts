import { UserError } from '../errors.ts';
import { createLogger } from '../log/logger.ts';
import type { Logger } from '../log/logger.ts';
import { createHubClient, DEFAULT_HUB_URL } from './hub-client.ts';
import type { HubFailure } from './hub-client.ts';
import { startHubServer } from './hub-server.ts';
import type { HubServer } from './hub-server.ts';

/**
 * Decides which State Hub the app uses. An external hub, when present, always wins: the
 * user's own hub (the Custodian one, say) keeps its catalog and the app only reads it. Only
 * when nothing answers at the configured loopback address does the app run its own.
 */

export const DEFAULT_PROBE_TIMEOUT_MS = 1_500;

export type HubConnection =
  | { kind: 'external'; url: string; close(): Promise<void> }
  | { kind: 'embedded'; url: string; server: HubServer; close(): Promise<void> };

export interface EnsureHubOptions {
  /** The configured State Hub URL; defaults to http://127.0.0.1:8000. */
  url?: string;
  /** Where the embedded hub keeps its catalog, if it has to start. */
  storePath: string;
  probeTimeoutMs?: number;
  logger?: Logger;
  now?: () => Date;
}

export async function ensureHub(options: EnsureHubOptions): Promise<HubConnection> {
  const logger = options.logger ?? createLogger('statehub');
  const client = createHubClient({
    baseUrl: options.url ?? DEFAULT_HUB_URL,
    timeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
  });
  const url = new URL(client.baseUrl);

  const probe = await client.health();
  if (probe.kind === 'ok') {
    logger.info('using the external State Hub', { url: client.baseUrl });
    return { kind: 'external', url: client.baseUrl, close: () => Promise.resolve() };
  }
  if (probe.kind !== 'down' || probe.code !== 'ECONNREFUSED') {
    throw notAHub(client.baseUrl, url, probe, options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
  }

  const host = loopbackHost(url);
  if (host === undefined || url.protocol !== 'http:' || url.pathname !== '/') {
    throw new UserError(
      'statehub-unreachable',
      `${probe.message} The built-in State Hub can only stand in for one at ` +
        'http://127.0.0.1:<port> on this machine.',
      `Start the State Hub at ${client.baseUrl}, or set the State Hub URL to ` +
        `${DEFAULT_HUB_URL} to use the built-in one.`,
    );
  }

  // Between the probe and listen something may take the port; startHubServer reports that as
  // a UserError naming the port.
  const server = await startHubServer({
    storePath: options.storePath,
    host,
    port: Number(url.port || 80),
    logger,
    ...(options.now ? { now: options.now } : {}),
  });
  logger.info('no State Hub was running; started the built-in one', { url: server.url });
  return { kind: 'embedded', url: server.url, server, close: () => server.close() };
}

function notAHub(baseUrl: string, url: URL, probe: HubFailure, timeoutMs: number): UserError {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const findIt = 'find it with `ss -ltnp` on Linux or `netstat -ano` on Windows';

  if (probe.kind === 'slow') {
    return new UserError(
      'statehub-unresponsive',
      `Something is listening at ${baseUrl} but did not answer the State Hub health check ` +
        `within ${timeoutMs / 1000} s.`,
      `If that is the State Hub, restart it. Otherwise stop the program holding port ${port} ` +
        `(${findIt}) or set a different State Hub URL in settings.`,
    );
  }
  if (probe.kind === 'down') {
    return new UserError(
      'statehub-unreachable',
      probe.message,
      `Check the State Hub URL in settings (now ${baseUrl}) and that its host is reachable.`,
    );
  }
  return new UserError(
    'statehub-port-taken',
    `Port ${port} on ${url.hostname} is held by a program that is not a State Hub, so the ` +
      `built-in hub cannot start there. ${probe.message}`,
    `Stop the program using port ${port} (${findIt}), or set a different State Hub URL ` +
      'in settings.',
  );
}

// "localhost" is bound as 127.0.0.1: the agents' tunnels and the client both reach it there.
function loopbackHost(url: URL): string | undefined {
  const host = url.hostname;
  if (host === 'localhost') return '127.0.0.1';
  if (host === '[::1]') return '::1';
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return host;
  return undefined;
}
