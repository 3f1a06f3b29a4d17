import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import type { ApiHandler } from '../core/api/api-handler.ts';
import { EventBus } from '../core/events/event-bus.ts';
import { startBrowserServer, type BrowserServer } from './browser-server.ts';
import { CONTENT_SECURITY_POLICY } from './content-security-policy.ts';

const TOKEN = 'test-token-0123456789abcdefghijklm';
/** Every wait on the network is bounded, so a hung server fails the test instead of stalling. */
const WAIT_MS = 3_000;
const INDEX_HTML = '<!doctype html><title>Build Machines</title>';

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request: the path goes out exactly as written, with no normalisation. */
function httpRequest(
  port: number,
  path: string,
  options: { method?: string; host?: string } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { Host: options.host ?? `127.0.0.1:${port}` },
        timeout: WAIT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer for ${path}`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

type Opened = { ws: WebSocket; messages: unknown[]; next(): Promise<unknown> };
type Refused = { status: number; body: string };

/** Opens a WebSocket and settles with the open socket or the HTTP refusal. */
function connect(
  url: string,
  options: { origin?: string; headers?: Record<string, string> },
): Promise<Opened | Refused> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      ...(options.origin ? { origin: options.origin } : {}),
      headers: options.headers ?? {},
      handshakeTimeout: WAIT_MS,
    });
    const messages: unknown[] = [];
    const waiters: ((message: unknown) => void)[] = [];
    ws.on('message', (data) => {
      const message: unknown = JSON.parse(String(data));
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else messages.push(message);
    });
    const next = () =>
      new Promise<unknown>((resolveNext, rejectNext) => {
        if (messages.length > 0) return resolveNext(messages.shift());
        const timer = setTimeout(() => rejectNext(new Error('no message arrived')), WAIT_MS);
        waiters.push((message) => {
          clearTimeout(timer);
          resolveNext(message);
        });
      });
    ws.on('open', () => resolve({ ws, messages, next }));
    ws.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    ws.on('error', reject);
  });
}

function opened(result: Opened | Refused): Opened {
  if (!('ws' in result)) throw new Error(`refused with ${result.status}: ${result.body}`);
  return result;
}

function waitForClose(ws: WebSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the socket stayed open')), WAIT_MS);
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('startBrowserServer', () => {
  let folder: string;
  let server: BrowserServer;
  let events: EventBus;
  let calls: [unknown, unknown][];
  const clients: WebSocket[] = [];

  const handler: ApiHandler = async (operation, input) => {
    calls.push([operation, input]);
    if (operation === 'fail') {
      return { ok: false, error: { code: 'nope', message: 'refused', fix: 'do not' } };
    }
    return { ok: true, value: { operation, input } };
  };

  const apiUrl = (token: string | null = TOKEN) =>
    `ws://127.0.0.1:${server.port}/api${token === null ? '' : `?token=${token}`}`;
  const ownOrigin = () => `http://127.0.0.1:${server.port}`;

  async function connectClient(): Promise<Opened> {
    const client = opened(await connect(apiUrl(), { origin: ownOrigin() }));
    clients.push(client.ws);
    return client;
  }

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'browser-server-test-'));
    await writeFile(join(folder, 'package.json'), '{"secret": true}');
    await mkdir(join(folder, 'static', 'assets'), { recursive: true });
    await mkdir(join(folder, 'static-private'));
    await writeFile(join(folder, 'static-private', 'key'), 'private');
    await writeFile(join(folder, 'static', 'index.html'), INDEX_HTML);
    await writeFile(join(folder, 'static', 'assets', 'app.js'), 'console.log(1);');
    await writeFile(join(folder, 'static', 'assets', 'data.bin'), Buffer.from([1, 2, 3]));
    events = new EventBus();
    calls = [];
    server = await startBrowserServer({
      handler,
      events,
      staticDir: join(folder, 'static'),
      port: 0,
      token: TOKEN,
    });
  });

  afterEach(async () => {
    for (const ws of clients.splice(0)) ws.terminate();
    await server.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('listens on a loopback port and puts the token in the URL', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.token).toBe(TOKEN);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
  });

  it('makes up a long random token when none is given', async () => {
    const other = await startBrowserServer({ handler, events, staticDir: folder });
    try {
      expect(other.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(other.token).not.toBe(TOKEN);
    } finally {
      await other.close();
    }
  });

  describe('WebSocket', () => {
    it('accepts the token with its own origin and answers a call', async () => {
      const client = await connectClient();

      client.ws.send(JSON.stringify({ type: 'call', id: 7, op: 'app.info', input: { a: 1 } }));

      expect(await client.next()).toEqual({
        type: 'result',
        id: 7,
        result: { ok: true, value: { operation: 'app.info', input: { a: 1 } } },
      });
      expect(calls).toEqual([['app.info', { a: 1 }]]);
    });

    it('accepts the localhost origin too', async () => {
      const result = await connect(apiUrl(), { origin: `http://localhost:${server.port}` });
      clients.push(opened(result).ws);
    });

    it('answers each call by its id, failures included', async () => {
      const client = await connectClient();

      client.ws.send(JSON.stringify({ type: 'call', id: 1, op: 'fail', input: null }));
      expect(await client.next()).toEqual({
        type: 'result',
        id: 1,
        result: { ok: false, error: { code: 'nope', message: 'refused', fix: 'do not' } },
      });
    });

    it('answers a malformed call that has an id with an error, ignores the rest', async () => {
      const client = await connectClient();

      client.ws.send('not json');
      client.ws.send(JSON.stringify({ type: 'call', id: -1, op: 'x' }));
      client.ws.send(JSON.stringify({ type: 'call', id: 2, op: 'x'.repeat(65) }));
      expect(await client.next()).toEqual({
        type: 'result',
        id: 2,
        result: {
          ok: false,
          error: { code: 'malformed-call', message: 'the call is not {type, id, op, input}' },
        },
      });

      client.ws.send(JSON.stringify({ type: 'other', id: 3, op: 'app.info' }));
      expect(await client.next()).toMatchObject({ type: 'result', id: 3, result: { ok: false } });

      client.ws.send(JSON.stringify({ type: 'call', id: 4, op: 'app.info' }));
      expect(await client.next()).toMatchObject({ type: 'result', id: 4, result: { ok: true } });
      expect(calls).toEqual([['app.info', undefined]]);
      expect(client.messages).toEqual([]);
    });

    it('closes a connection that sends more than a MiB at once', async () => {
      const client = await connectClient();
      const closed = waitForClose(client.ws);

      client.ws.send('x'.repeat(1024 * 1024 + 1));

      expect(await closed).toBe(1009);
      expect(calls).toEqual([]);

      // The server survived the socket error and still serves others.
      const next = await connectClient();
      next.ws.send(JSON.stringify({ type: 'call', id: 9, op: 'app.info', input: {} }));
      expect(await next.next()).toMatchObject({ type: 'result', id: 9, result: { ok: true } });
    });

    it('forwards every event to every connected client', async () => {
      const first = await connectClient();
      const second = await connectClient();
      const payload = { runId: 'run-1', offset: 0, text: 'Building app…\n' };

      events.emit('build.output', payload);

      const expected = { type: 'event', name: 'build.output', payload };
      expect(await first.next()).toEqual(expected);
      expect(await second.next()).toEqual(expected);
    });

    it('stops sending events to a client that left', async () => {
      const leaving = await connectClient();
      const staying = await connectClient();
      leaving.ws.close();
      await waitForClose(leaving.ws);

      events.emit('build.output', { runId: 'r', offset: 1, text: 'x' });

      expect(await staying.next()).toMatchObject({ type: 'event', name: 'build.output' });
      expect(leaving.messages).toEqual([]);
    });

    it.each([
      ['a wrong token', () => apiUrl('x'.repeat(TOKEN.length)), 'bad token'],
      ['a token of another length', () => apiUrl('short'), 'bad token'],
      ['an empty token', () => apiUrl(''), 'bad token'],
      ['no token', () => apiUrl(null), 'bad token'],
      ['another path', () => apiUrl().replace('/api', '/other'), 'unknown path'],
    ])('refuses %s with 403', async (_label, url, reason) => {
      expect(await connect(url(), { origin: ownOrigin() })).toEqual({
        status: 403,
        body: `${reason}\n`,
      });
      expect(calls).toEqual([]);
    });

    it.each([
      ['a foreign origin', 'http://evil.example'],
      ['a foreign origin on the same port', 'http://evil.example:PORT'],
      ['an https origin', 'https://127.0.0.1:PORT'],
      ['another local port', 'http://127.0.0.1:1'],
      ['the null origin', 'null'],
    ])('refuses %s with 403', async (_label, origin) => {
      const result = await connect(apiUrl(), { origin: origin.replace('PORT', `${server.port}`) });
      expect(result).toEqual({ status: 403, body: 'origin not allowed\n' });
    });

    it('refuses a missing Origin with 403', async () => {
      expect(await connect(apiUrl(), {})).toEqual({ status: 403, body: 'origin not allowed\n' });
    });

    it('refuses a foreign Host header (DNS rebinding) with 403', async () => {
      const result = await connect(apiUrl(), {
        origin: ownOrigin(),
        headers: { Host: `evil.example:${server.port}` },
      });
      expect(result).toEqual({ status: 403, body: 'host not allowed\n' });
    });

    it('closes its clients when it closes', async () => {
      const client = await connectClient();
      const closed = waitForClose(client.ws);

      await server.close();
      server = await startBrowserServer({ handler, events, staticDir: folder, token: TOKEN });

      expect(await closed).toBe(1006);
    });
  });

  describe('static files', () => {
    it('serves index.html at / with the CSP and hardening headers', async () => {
      const reply = await httpRequest(server.port, '/');

      expect(reply.status).toBe(200);
      expect(reply.body).toBe(INDEX_HTML);
      expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(reply.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['referrer-policy']).toBe('no-referrer');
      expect(reply.headers['cache-control']).toBe('no-store');
    });

    it('serves assets with their type and the CSP, ignoring the query', async () => {
      const script = await httpRequest(server.port, '/assets/app.js?token=abc');
      expect(script.status).toBe(200);
      expect(script.body).toBe('console.log(1);');
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);

      const binary = await httpRequest(server.port, '/assets/data.bin');
      expect(binary.headers['content-type']).toBe('application/octet-stream');
    });

    it('answers HEAD with the headers and no body', async () => {
      const reply = await httpRequest(server.port, '/', { method: 'HEAD' });

      expect(reply.status).toBe(200);
      expect(reply.body).toBe('');
      expect(reply.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    });

    it('accepts the localhost Host header', async () => {
      const reply = await httpRequest(server.port, '/', { host: `localhost:${server.port}` });
      expect(reply.status).toBe(200);
    });

    it.each([
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/package.json',
      '/..%2fpackage.json',
      '/%2e%2e%2fpackage.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/..%2fstatic-private%2fkey',
      '/..%5c..%5cpackage.json',
      '/%2fetc%2fpasswd',
      '//etc/passwd',
    ])('gives 404 for a path outside the folder: %s', async (path) => {
      const reply = await httpRequest(server.port, path);

      expect(reply.status).toBe(404);
      expect(reply.body).not.toContain('secret');
      expect(reply.body).not.toContain('private');
      expect(reply.body).not.toContain('root:');
    });

    it('gives 404 for a missing file and for a folder', async () => {
      expect((await httpRequest(server.port, '/nope.js')).status).toBe(404);
      expect((await httpRequest(server.port, '/assets/')).status).toBe(404);
      expect((await httpRequest(server.port, '/assets')).status).toBe(404);
    });

    it('gives 400 for a path that is not valid percent-encoding', async () => {
      const reply = await httpRequest(server.port, '/%zz');
      expect(reply.status).toBe(400);
      expect(reply.body).toBe('bad path\n');
    });

    it.each(['POST', 'PUT', 'DELETE', 'OPTIONS'])('gives 405 for %s', async (method) => {
      const reply = await httpRequest(server.port, '/', { method });
      expect(reply.status).toBe(405);
      expect(reply.headers['content-security-policy']).toBeUndefined();
    });

    it.each(['evil.example', `evil.example:PORT`, 'PORT', '127.0.0.1:1', '[::1]:PORT'])(
      'gives 421 for the Host header %s',
      async (host) => {
        const reply = await httpRequest(server.port, '/', {
          host: host.replace('PORT', `${server.port}`),
        });
        expect(reply.status).toBe(421);
        expect(reply.body).toBe('wrong host\n');
      },
    );
  });
});
