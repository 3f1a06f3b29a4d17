import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

import { UserError } from '../errors.ts';
import { createLogger } from '../log/logger.ts';
import type { Logger } from '../log/logger.ts';
import { BUILD_AGENT_CAPABILITY, isValidKey, parseRegistration } from './catalog-schema.ts';
import type { CapabilityEntry } from './catalog-schema.ts';
import { CatalogStore } from './catalog-store.ts';

/**
 * The embedded State Hub: the capability catalog that build VMs register in, served over HTTP.
 * It listens on loopback only by default; VMs reach it through their SSH forward tunnel.
 */

export const DEFAULT_HUB_HOST = '127.0.0.1';
export const DEFAULT_HUB_PORT = 8000;
export const MAX_BODY_BYTES = 64 * 1024;

// Past the limit the body is read and dropped so the client sees the 413 rather than a reset;
// past this much, reading stops and the socket closes once the 413 is out.
const MAX_DRAINED_BYTES = 1024 * 1024;
const CLOSE_GRACE_MS = 1_000;

export interface HubServerOptions {
  /** The JSON file the catalog is kept in. */
  storePath: string;
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  logger?: Logger;
  now?: () => Date;
}

export interface HubServer {
  readonly host: string;
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:8000 */
  readonly url: string;
  /** Stops listening, drops open connections and waits for pending catalog writes. */
  close(): Promise<void>;
}

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const host = options.host ?? DEFAULT_HUB_HOST;
  const logger = options.logger ?? createLogger('statehub');
  const store = await CatalogStore.open({
    path: options.storePath,
    logger,
    ...(options.now ? { now: options.now } : {}),
  });

  const server = createServer((request, response) => {
    void handleRequest(store, logger, request, response);
  });
  // A stuck or trickling client must not hold a socket for the default five minutes.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  const port = await listen(server, host, options.port ?? DEFAULT_HUB_PORT);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('State Hub listening', { url, store: options.storePath });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await stopServer(server);
      await store.settle();
      logger.info('State Hub stopped', { url });
    })();
    return closing;
  };

  return { host, port, url, close };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(listenError(error, host, port));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new UserError(
      'statehub-port-in-use',
      `Cannot start the State Hub: port ${port} on ${host} is already in use.`,
      `Stop the program using port ${port} (find it with \`ss -ltnp\` on Linux or ` +
        '`netstat -ano` on Windows), or choose another State Hub port in settings.',
      { cause: error },
    );
  }
  if (error.code === 'EACCES') {
    return new UserError(
      'statehub-port-denied',
      `Cannot start the State Hub: not allowed to listen on port ${port} on ${host}.`,
      'Choose a State Hub port above 1023 in settings.',
      { cause: error },
    );
  }
  if (error.code === 'EADDRNOTAVAIL') {
    return new UserError(
      'statehub-bad-host',
      `Cannot start the State Hub: ${host} is not an address of this machine.`,
      'Use 127.0.0.1 as the State Hub host.',
      { cause: error },
    );
  }
  return error;
}

function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One request and what its handler works on. */
interface Exchange {
  store: CatalogStore;
  logger: Logger;
  request: IncomingMessage;
}

async function handleRequest(
  store: CatalogStore,
  logger: Logger,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const method = request.method ?? 'GET';
  const target = request.url ?? '/';

  let reply: Reply;
  try {
    reply = await route({ store, logger, request }, method, target);
  } catch (error) {
    logger.error('request failed', { method, path: target, error: (error as Error).message });
    reply = { status: 500, body: { error: `internal error: ${(error as Error).message}` } };
  }

  send(response, reply);
  logger.debug(`${method} ${target} ${reply.status}`, {
    ms: Math.round(performance.now() - started),
  });
}

function send(response: ServerResponse, reply: Reply): void {
  if (response.headersSent || response.destroyed) return;
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...reply.headers };

  if (reply.body === undefined) {
    response.writeHead(reply.status, headers).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  response
    .writeHead(reply.status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    })
    .end(text);
}

async function route(exchange: Exchange, method: string, target: string): Promise<Reply> {
  const [rawPath = '/', query = ''] = splitTarget(target);
  const segments = pathSegments(rawPath);
  if (segments === undefined) return notFound(rawPath);
  if (segments === 'malformed') {
    return { status: 400, body: { error: 'path: malformed percent-encoding' } };
  }

  const [first, capabilityType, name, action, ...rest] = segments;
  if (first === 'health' && segments.length === 1) {
    return allow(method, ['GET'], () => ({ status: 200, body: { status: 'ok' } }));
  }
  if (first !== 'capability-catalog' || rest.length > 0) return notFound(rawPath);

  if (capabilityType === undefined) {
    return allow(method, ['GET', 'POST'], () =>
      method === 'POST'
        ? refuseFromBrowser(exchange.request, () => register(exchange))
        : list(exchange.store, new URLSearchParams(query)),
    );
  }
  if (name === undefined) return notFound(rawPath);
  if (action === undefined) {
    return allow(method, ['DELETE'], () =>
      refuseFromBrowser(exchange.request, () => remove(exchange, capabilityType, name)),
    );
  }
  if (action === 'heartbeat') {
    return allow(method, ['POST'], () =>
      refuseFromBrowser(exchange.request, () => heartbeat(exchange, capabilityType, name)),
    );
  }
  return notFound(rawPath);
}

// HEAD is served wherever GET is; node leaves the body out.
async function allow(
  method: string,
  methods: string[],
  handler: () => Reply | Promise<Reply>,
): Promise<Reply> {
  const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
  if (!allowed.includes(method)) {
    return {
      status: 405,
      body: { error: `method ${method} is not allowed here; use ${allowed.join(' or ')}` },
      headers: { allow: allowed.join(', ') },
    };
  }
  return handler();
}

function list(store: CatalogStore, params: URLSearchParams): Reply {
  const capabilityType = params.get('capability_type');
  if (capabilityType !== null && !isValidKey(capabilityType)) {
    return { status: 400, body: { error: 'capability_type: not a valid capability type' } };
  }
  return { status: 200, body: store.list(capabilityType ?? undefined) };
}

// A web page in the user's browser can POST to loopback without a CORS preflight; agents and
// this app never send Origin, so a request that carries one is not allowed to change anything.
function refuseFromBrowser(
  request: IncomingMessage,
  handler: () => Promise<Reply>,
): Reply | Promise<Reply> {
  if (request.headers.origin !== undefined) {
    return { status: 403, body: { error: 'origin: browser requests may not change the catalog' } };
  }
  return handler();
}

async function register({ store, logger, request }: Exchange): Promise<Reply> {
  const body = await readJsonBody(request);
  if ('reply' in body) return body.reply;

  const registration = parseRegistration(body.json);
  if (!registration.ok) return { status: 400, body: { error: registration.error } };

  const { entry, created } = store.upsert(registration.value);
  await store.save();
  logger.info(created ? 'registered' : 'registration updated', registrationFields(entry));
  return { status: created ? 201 : 200, body: entry };
}

async function heartbeat(
  { store, request }: Exchange,
  capabilityType: string,
  name: string,
): Promise<Reply> {
  // The body carries nothing, but an oversized one is still refused like anywhere else.
  const body = await readBody(request);
  if ('reply' in body) return body.reply;

  const entry = store.heartbeat(capabilityType, name);
  if (!entry) return unknownEntry(capabilityType, name);
  await store.save();
  return { status: 200, body: entry };
}

async function remove(
  { store, logger }: Exchange,
  capabilityType: string,
  name: string,
): Promise<Reply> {
  if (!store.remove(capabilityType, name)) return unknownEntry(capabilityType, name);
  await store.save();
  logger.info('unregistered', { capability_type: capabilityType, name });
  return { status: 204 };
}

function registrationFields(entry: CapabilityEntry): Record<string, string | number | undefined> {
  const fields: Record<string, string | number | undefined> = {
    capability_type: entry.capability_type,
    name: entry.name,
  };
  if (entry.capability_type === BUILD_AGENT_CAPABILITY) {
    const { tunnel_port, hostname, agent_version } = entry.attributes;
    fields.tunnel_port = typeof tunnel_port === 'number' ? tunnel_port : undefined;
    fields.hostname = typeof hostname === 'string' ? hostname : undefined;
    fields.agent_version = typeof agent_version === 'string' ? agent_version : undefined;
  }
  return fields;
}

async function readJsonBody(
  request: IncomingMessage,
): Promise<{ json: unknown } | { reply: Reply }> {
  const body = await readBody(request);
  if ('reply' in body) return body;

  const text = body.bytes.toString('utf8');
  if (text.trim() === '') return { reply: { status: 400, body: { error: 'body: required' } } };
  try {
    return { json: JSON.parse(text) };
  } catch (error) {
    return {
      reply: { status: 400, body: { error: `body: not valid JSON (${(error as Error).message})` } },
    };
  }
}

function readBody(request: IncomingMessage): Promise<{ bytes: Buffer } | { reply: Reply }> {
  const tooLarge: Reply = {
    status: 413,
    body: { error: `body: larger than ${MAX_BODY_BYTES} bytes` },
    headers: { connection: 'close' },
  };
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_DRAINED_BYTES) {
    request.resume();
    return Promise.resolve({ reply: tooLarge });
  }

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;

    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (received > MAX_DRAINED_BYTES) {
        // Stop reading; the 413 goes out with "connection: close" and node then drops the socket.
        request.pause();
        resolve({ reply: tooLarge });
      }
    });
    request.on('end', () => {
      resolve(received > MAX_BODY_BYTES ? { reply: tooLarge } : { bytes: Buffer.concat(chunks) });
    });
    // The client went away mid-body; nobody will read this reply.
    request.on('error', () => {
      resolve({ reply: { status: 400, body: { error: 'body: connection closed while reading' } } });
    });
  });
}

function splitTarget(target: string): [string, string] {
  const at = target.indexOf('?');
  return at === -1 ? [target, ''] : [target.slice(0, at), target.slice(at + 1)];
}

// "/capability-catalog/" and "/capability-catalog" are the same place; empty segments are not.
function pathSegments(path: string): string[] | 'malformed' | undefined {
  if (!path.startsWith('/')) return undefined;
  const parts = path.slice(1).split('/');
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  if (parts.some((part) => part === '')) return undefined;
  try {
    return parts.map((part) => decodeURIComponent(part));
  } catch {
    return 'malformed';
  }
}

function notFound(path: string): Reply {
  return { status: 404, body: { error: `no such path: ${path}` } };
}

function unknownEntry(capabilityType: string, name: string): Reply {
  return {
    status: 404,
    body: { error: `no catalog entry for capability_type=${capabilityType} name=${name}` },
  };
}
