import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { addLogSink, setLogLevel } from '../log/logger.ts';
import type { LogLevel, LogRecord } from '../log/logger.ts';

/**
 * Helpers for the State Hub tests: throwaway directories, stand-in servers on loopback (slow,
 * garbage, silent) and a log recorder. Every server here listens on 127.0.0.1 only.
 */

export const LOOPBACK = '127.0.0.1';

/** Per-request bound for test traffic, so a hung server fails a test instead of stalling it. */
export const REQUEST_TIMEOUT_MS = 5_000;

export interface StandIn {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function makeTempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'statehub-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** An HTTP server on loopback that answers every request with the given handler. */
export async function startHttpStandIn(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<StandIn> {
  const server = createServer(handler);
  return serveStandIn(server, () => server.closeAllConnections());
}

/** A TCP server that accepts connections and then says nothing, or writes raw bytes. */
export async function startTcpStandIn(reply?: string): Promise<StandIn> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (reply !== undefined) socket.end(reply);
  });
  return serveStandIn(server, () => {
    for (const socket of sockets) socket.destroy();
  });
}

/** Listens on a free loopback port; closing drops the open connections with `dropConnections`. */
async function serveStandIn(server: TcpServer, dropConnections: () => void): Promise<StandIn> {
  const port = await listenOn(server);
  return {
    port,
    url: `http://${LOOPBACK}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        dropConnections();
      }),
  };
}

/** A loopback port that was free a moment ago; nothing listens on it. */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  const port = await listenOn(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listenOn(server: TcpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve((server.address() as AddressInfo).port));
  });
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** One request to a hub; the body, when given, is sent as JSON unless it is already a string. */
export async function callHub(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer> {
  const init: RequestInit = {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);

  const response = await fetch(baseUrl + path, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Collects log records at and above a level until stopped; restores the level afterwards. */
export function recordLogs(level: LogLevel = 'debug'): {
  records: LogRecord[];
  stop(): void;
} {
  const records: LogRecord[] = [];
  setLogLevel(level);
  const remove = addLogSink((record) => records.push(record));
  return {
    records,
    stop: () => {
      remove();
      setLogLevel('info');
    },
  };
}

/** A clock the test moves by hand. */
export function manualClock(start: string): { now: () => Date; advance(ms: number): void } {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
  };
}

export function buildAgentRegistration(
  name: string,
  overrides: Record<string, unknown> = {},
): { capability_type: string; name: string; attributes: Record<string, unknown> } {
  return {
    capability_type: 'haskell-build-agent',
    name,
    attributes: {
      tunnel_port: 12222,
      ghc_versions: ['9.8.4', '9.6.6'],
      agent_version: '1.0.0',
      boot_time: '2026-04-20T09:58:12Z',
      hostname: name,
      ...overrides,
    },
  };
}

/** Registers a build agent the way a VM does; `overrides` replace or add attributes. */
export function registerAgent(
  baseUrl: string,
  name: string,
  overrides: Record<string, unknown> = {},
): Promise<ApiAnswer> {
  return callHub(baseUrl, 'POST', '/capability-catalog/', buildAgentRegistration(name, overrides));
}
