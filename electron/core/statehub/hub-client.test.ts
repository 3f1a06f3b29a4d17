import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { createHubClient, DEFAULT_HUB_URL } from './hub-client.ts';
import { startHubServer } from './hub-server.ts';
import type { HubServer } from './hub-server.ts';
import {
  buildAgentRegistration,
  callHub,
  freePort,
  makeTempDir,
  registerAgent,
  startHttpStandIn,
  startTcpStandIn,
} from './test-support.ts';
import type { StandIn } from './test-support.ts';

// Short enough to keep the slow-server tests quick, long enough for a loopback answer.
const TIMEOUT_MS = 300;

let dir: Awaited<ReturnType<typeof makeTempDir>>;
let hub: HubServer;
const standIns: StandIn[] = [];

const standIn = async (start: Promise<StandIn>) => {
  const server = await start;
  standIns.push(server);
  return server;
};

beforeEach(async () => {
  dir = await makeTempDir();
  hub = await startHubServer({ storePath: join(dir.path, 'catalog.json'), port: 0 });
});

afterEach(async () => {
  await Promise.all(standIns.splice(0).map((server) => server.close()));
  await hub.close();
  await dir.remove();
});

describe('hub client against the real hub', () => {
  it('defaults to the workstation hub on port 8000', () => {
    expect(createHubClient().baseUrl).toBe('http://127.0.0.1:8000');
    expect(DEFAULT_HUB_URL).toBe('http://127.0.0.1:8000');
  });

  it('reads health', async () => {
    const client = createHubClient({ baseUrl: hub.url, timeoutMs: 2_000 });

    expect(client.baseUrl).toBe(hub.url);
    expect(await client.health()).toEqual({ kind: 'ok', value: { status: 'ok' } });
  });

  it('lists entries, all or by capability type', async () => {
    const agent = await registerAgent(hub.url, 'vm-a');
    const gpu = await callHub(hub.url, 'POST', '/capability-catalog/', {
      capability_type: 'gpu-runner',
      name: 'box-1',
      attributes: { cards: 2 },
    });
    const client = createHubClient({ baseUrl: `${hub.url}/`, timeoutMs: 2_000 });

    expect(await client.listEntries()).toEqual({ kind: 'ok', value: [gpu.json, agent.json] });
    expect(await client.listEntries('gpu-runner')).toEqual({ kind: 'ok', value: [gpu.json] });
    expect(await client.listEntries('nothing-here')).toEqual({ kind: 'ok', value: [] });
  });

  it('lists build agents with typed attributes', async () => {
    await registerAgent(hub.url, 'vm-a');
    const client = createHubClient({ baseUrl: hub.url, timeoutMs: 2_000 });

    const result = await client.listBuildAgents();

    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(result.value).toHaveLength(1);
    expect(result.value[0]?.attributes.tunnel_port).toBe(12222);
    expect(result.value[0]?.attributes.ghc_versions).toEqual(['9.8.4', '9.6.6']);
  });

  it('passes a hub error status on as "failed" with the hub\'s message', async () => {
    const client = createHubClient({ baseUrl: hub.url, timeoutMs: 2_000 });

    expect(await client.listEntries('bad\u0001type')).toEqual({
      kind: 'failed',
      status: 400,
      message:
        `The State Hub at ${hub.url} answered HTTP 400: capability_type: not a valid ` +
        'capability type.',
    });
  });
});

describe('hub client when the hub is not well', () => {
  it('reports "down" when nothing listens', async () => {
    const port = await freePort();
    const client = createHubClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2_000 });

    expect(await client.health()).toEqual({
      kind: 'down',
      code: 'ECONNREFUSED',
      message: `No State Hub is running at http://127.0.0.1:${port} (connection refused).`,
    });
  });

  it('reports "slow" when the server never answers, within the timeout', async () => {
    const silent = await standIn(startHttpStandIn(() => undefined));
    const client = createHubClient({ baseUrl: silent.url, timeoutMs: TIMEOUT_MS });
    const started = Date.now();

    const result = await client.health();

    const elapsed = Date.now() - started;
    expect(result).toEqual({
      kind: 'slow',
      message:
        `The State Hub at ${silent.url} did not answer within 0.3 s. ` +
        'It may be overloaded or stuck; try again, or restart it.',
    });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('reports "slow" when the server stalls in the middle of its answer', async () => {
    const stalling = await standIn(
      startHttpStandIn((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('[{"id":');
      }),
    );
    const client = createHubClient({ baseUrl: stalling.url, timeoutMs: TIMEOUT_MS });

    expect((await client.listEntries()).kind).toBe('slow');
  });

  it('reports "garbage" for an answer that is not JSON', async () => {
    const web = await standIn(
      startHttpStandIn((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
      }),
    );
    const client = createHubClient({ baseUrl: web.url, timeoutMs: 2_000 });

    expect(await client.health()).toEqual({
      kind: 'garbage',
      message:
        `Something at ${web.url} answered not with JSON, so it is not a State Hub. ` +
        'Is another program using that port?',
    });
  });

  it('reports "garbage" for JSON of the wrong shape, naming the field', async () => {
    const entries = [
      {
        id: 'x',
        capability_type: 'haskell-build-agent',
        name: 'vm-a',
        attributes: {},
        registered_at: 'yesterday',
        last_seen: '2026-04-20T10:00:00Z',
      },
    ];
    const odd = await standIn(
      startHttpStandIn((request, response) => {
        const body = request.url === '/health' ? { status: 'fine' } : entries;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      }),
    );
    const client = createHubClient({ baseUrl: odd.url, timeoutMs: 2_000 });

    const health = await client.health();
    const list = await client.listEntries();

    expect(health.kind).toBe('garbage');
    expect(health.kind === 'garbage' && health.message).toContain('(status: ');
    expect(list).toEqual({
      kind: 'garbage',
      message:
        `${odd.url} answered /capability-catalog/ with JSON the app does not understand ` +
        '(0.registered_at: expected an ISO-8601 timestamp such as 2026-04-20T10:00:00Z). ' +
        'Is it a State Hub?',
    });
  });

  it('accepts times without a zone from a hub written in another language', async () => {
    const entry = {
      id: '17',
      capability_type: 'haskell-build-agent',
      name: 'vm-a',
      attributes: buildAgentRegistration('vm-a').attributes,
      registered_at: '2026-04-20T09:15:02.123456',
      last_seen: '2026-04-20T09:20:32.654321',
    };
    const python = await standIn(
      startHttpStandIn((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify([entry]));
      }),
    );
    const client = createHubClient({ baseUrl: python.url, timeoutMs: 2_000 });

    expect(await client.listBuildAgents()).toEqual({ kind: 'ok', value: [entry] });
  });

  it('reports "garbage" for a build agent entry with bad attributes', async () => {
    const entry = {
      id: 'x',
      capability_type: 'haskell-build-agent',
      name: 'vm-a',
      attributes: { ...buildAgentRegistration('vm-a').attributes, tunnel_port: 'none' },
      registered_at: '2026-04-20T10:00:00Z',
      last_seen: '2026-04-20T10:00:00Z',
    };
    const odd = await standIn(
      startHttpStandIn((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify([entry]));
      }),
    );
    const client = createHubClient({ baseUrl: odd.url, timeoutMs: 2_000 });

    expect(await client.listBuildAgents()).toEqual({
      kind: 'garbage',
      message:
        `The State Hub at ${odd.url} lists build agent "vm-a" with attributes.tunnel_port: ` +
        'expected an integer port number.',
    });
  });

  it('reports "garbage" when the port speaks something other than HTTP', async () => {
    const ssh = await standIn(startTcpStandIn('SSH-2.0-OpenSSH_9.6\r\n'));
    const client = createHubClient({ baseUrl: ssh.url, timeoutMs: 2_000 });

    const result = await client.health();

    expect(result.kind).toBe('garbage');
    expect(result.kind === 'garbage' && result.message).toMatch(
      new RegExp(`^Something at ${ssh.url} did not answer like an HTTP server \\(`),
    );
  });

  it('reports a 404 from a non-hub web server as "failed" with a hint', async () => {
    const other = await standIn(
      startHttpStandIn((_request, response) => {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"x"}');
      }),
    );
    const client = createHubClient({ baseUrl: other.url, timeoutMs: 2_000 });

    expect(await client.health()).toEqual({
      kind: 'failed',
      status: 404,
      message:
        `${other.url} has no /health (HTTP 404). ` +
        'It may not be a State Hub, or the URL may be wrong.',
    });
  });

  it('retries once on a fresh socket when a pooled one turns out closed', async () => {
    // Like a hub that restarted: the second request on a kept-alive socket finds it dead.
    const served = new WeakMap<object, number>();
    let dropped = 0;
    const flaky = await standIn(
      startHttpStandIn((request, response) => {
        const count = (served.get(request.socket) ?? 0) + 1;
        served.set(request.socket, count);
        if (count > 1 && dropped === 0) {
          dropped += 1;
          request.socket.destroy();
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      }),
    );
    const client = createHubClient({ baseUrl: flaky.url, timeoutMs: 2_000 });

    // fetch may open a second socket before it reuses the first, so allow a few calls.
    const kinds: string[] = [];
    for (let call = 0; call < 6 && dropped === 0; call += 1) {
      kinds.push((await client.health()).kind);
    }

    expect(dropped).toBe(1);
    expect(kinds.every((kind) => kind === 'ok')).toBe(true);
  });

  it('keeps a path prefix in the base URL', async () => {
    const seen: string[] = [];
    const proxied = await standIn(
      startHttpStandIn((request, response) => {
        seen.push(request.url ?? '');
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(request.url === '/hub/health' ? '{"status":"ok"}' : '[]');
      }),
    );
    const client = createHubClient({ baseUrl: `${proxied.url}/hub`, timeoutMs: 2_000 });

    expect((await client.health()).kind).toBe('ok');
    expect((await client.listEntries('haskell-build-agent')).kind).toBe('ok');
    expect(seen).toEqual([
      '/hub/health',
      '/hub/capability-catalog/?capability_type=haskell-build-agent',
    ]);
  });

  it('refuses a base URL that is not http', () => {
    expect(() => createHubClient({ baseUrl: 'ftp://127.0.0.1:8000' })).toThrow(UserError);
    expect(() => createHubClient({ baseUrl: '127.0.0.1:8000' })).toThrow(
      '"127.0.0.1:8000" is not a State Hub URL.',
    );
  });
});
