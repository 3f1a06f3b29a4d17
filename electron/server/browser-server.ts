import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

import { WebSocketServer, type WebSocket } from 'ws';

import type { ApiHandler } from '../core/api/api-handler.ts';
import type { EventBus } from '../core/events/event-bus.ts';
import { createLogger } from '../core/log/logger.ts';
import { CONTENT_SECURITY_POLICY } from './content-security-policy.ts';
import { parseClientMessage, type ServerMessage } from './ws-protocol.ts';

const log = createLogger('browser-mode');

const MAX_MESSAGE_BYTES = 1024 * 1024;
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface BrowserServerOptions {
  handler: ApiHandler;
  events: EventBus;
  /** The built renderer (index.html and assets). */
  staticDir: string;
  port?: number;
  /** Fixed for tests; random otherwise. */
  token?: string;
}

export interface BrowserServer {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The panel for a plain browser: the same API as the Electron window, over a WebSocket on
 * 127.0.0.1 only. A random token (in the URL the user opens) and an Origin check keep other
 * local processes and web pages out.
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const http = createServer((request, response) => {
    void serveStatic(options.staticDir, request, response, port).catch((error: Error) => {
      log.error('static file failed', { path: request.url, error: error.message });
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let port = 0;

  http.on('upgrade', (request, socket, head) => {
    const refusal = checkUpgrade(request, token, port);
    if (refusal) {
      log.warn('websocket refused', { reason: refusal, origin: request.headers.origin });
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\n${refusal}\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveClient(ws, options));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (http.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  log.info('serving the panel', { port });

  return {
    url,
    token,
    port,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function checkUpgrade(request: IncomingMessage, token: string, port: number): string | undefined {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (url.pathname !== '/api') return 'unknown path';

  const allowedOrigins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  if (!allowedOrigins.includes(request.headers.origin ?? '')) return 'origin not allowed';
  if (!allowedOrigins.map((origin) => origin.slice(7)).includes(request.headers.host ?? '')) {
    return 'host not allowed';
  }

  const given = Buffer.from(url.searchParams.get('token') ?? '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad token';
  return undefined;
}

function serveClient(ws: WebSocket, options: BrowserServerOptions): void {
  const send = (message: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const unsubscribe = options.events.subscribe((name, payload) =>
    send({ type: 'event', name, payload }),
  );
  log.info('client connected');

  ws.on('message', (data) => {
    const message = parseClientMessage(data.toString());
    if (!('call' in message)) {
      log.warn('malformed message from client', { id: message.malformedId });
      if (message.malformedId !== undefined) {
        send({
          type: 'result',
          id: message.malformedId,
          result: {
            ok: false,
            error: { code: 'malformed-call', message: 'the call is not {type, id, op, input}' },
          },
        });
      }
      return;
    }
    const { call } = message;
    void options
      .handler(call.op, call.input)
      .then((result) => send({ type: 'result', id: call.id, result }));
  });
  // Without a listener, a socket error (a message over maxPayload) would crash the process.
  ws.on('error', (error) => log.warn('client connection failed', { error: error.message }));
  ws.on('close', () => {
    unsubscribe();
    log.info('client disconnected');
  });
}

async function serveStatic(
  root: string,
  request: IncomingMessage,
  response: ServerResponse,
  port: number,
): Promise<void> {
  const host = request.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    // A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) gets nothing.
    response.writeHead(421, { 'Content-Type': 'text/plain' }).end('wrong host\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405).end();
    return;
  }

  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
  } catch {
    // A malformed escape such as `%zz` is the client's error, not a 500.
    response.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad path\n');
    return;
  }
  const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
  const base = resolve(root);
  const file = resolve(base, relative);
  if (!file.startsWith(base + sep)) {
    response.writeHead(404).end();
    return;
  }

  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  response.writeHead(200, {
    'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}
