import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import type { CapabilityEntry } from './catalog-schema.ts';
import { MAX_BODY_BYTES, startHubServer } from './hub-server.ts';
import type { HubServer } from './hub-server.ts';
import {
  buildAgentRegistration,
  callHub,
  LOOPBACK,
  makeTempDir,
  registerAgent,
  manualClock,
  recordLogs,
} from './test-support.ts';

const T0 = '2026-04-20T10:00:00.000Z';
// The hub keeps whole seconds, as docs/state-hub-api.md shows its times.
const T0_HUB = '2026-04-20T10:00:00Z';

let dir: Awaited<ReturnType<typeof makeTempDir>>;
let clock: ReturnType<typeof manualClock>;
let hub: HubServer;
let storePath: string;

const start = (path = storePath) => startHubServer({ storePath: path, port: 0, now: clock.now });

beforeEach(async () => {
  dir = await makeTempDir();
  storePath = join(dir.path, 'catalog.json');
  clock = manualClock(T0);
  hub = await start();
});

afterEach(async () => {
  await hub.close();
  await dir.remove();
});

describe('hub server', () => {
  it('listens on loopback and reports health', async () => {
    expect(hub.host).toBe(LOOPBACK);
    expect(hub.url).toBe(`http://127.0.0.1:${hub.port}`);
    expect(hub.port).toBeGreaterThan(0);

    const answer = await callHub(hub.url, 'GET', '/health');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ok' });
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('registers a new entry with 201 and returns it', async () => {
    const answer = await callHub(hub.url, 'POST', '/capability-catalog/', {
      ...buildAgentRegistration('haskell-build'),
    });

    expect(answer.status).toBe(201);
    const entry = answer.json as CapabilityEntry;
    expect(entry.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(entry).toEqual({
      id: entry.id,
      capability_type: 'haskell-build-agent',
      name: 'haskell-build',
      attributes: {
        tunnel_port: 12222,
        ghc_versions: ['9.8.4', '9.6.6'],
        agent_version: '1.0.0',
        boot_time: '2026-04-20T09:58:12Z',
        hostname: 'haskell-build',
      },
      registered_at: T0_HUB,
      last_seen: T0_HUB,
    });
  });

  it('updates an existing entry with 200, keeping id and registered_at', async () => {
    const first = await callHub(hub.url, 'POST', '/capability-catalog/', {
      ...buildAgentRegistration('haskell-build'),
    });
    clock.advance(45_000);
    const second = await callHub(
      hub.url,
      'POST',
      '/capability-catalog',
      buildAgentRegistration('haskell-build', { tunnel_port: 12223, ghc_versions: ['9.10.1'] }),
    );

    expect(second.status).toBe(200);
    const before = first.json as CapabilityEntry;
    const after = second.json as CapabilityEntry;
    expect(after.id).toBe(before.id);
    expect(after.registered_at).toBe(T0_HUB);
    expect(after.last_seen).toBe('2026-04-20T10:00:45Z');
    expect(after.attributes.tunnel_port).toBe(12223);
    expect(after.attributes.ghc_versions).toEqual(['9.10.1']);

    const all = await callHub(hub.url, 'GET', '/capability-catalog/');
    expect(all.json).toEqual([after]);
  });

  it('keeps unknown attributes of newer agents and accepts other capability types', async () => {
    const agent = await registerAgent(hub.url, 'vm-a', {
      cpu_count: 8,
      boot_time: '2026-04-20T09:58:12.123456+00:00',
    });
    const other = await callHub(hub.url, 'POST', '/capability-catalog/', {
      capability_type: 'gpu-runner',
      name: 'box-1',
      attributes: { anything: [1, 2, 3] },
    });

    expect(agent.status).toBe(201);
    expect((agent.json as CapabilityEntry).attributes.cpu_count).toBe(8);
    expect(other.status).toBe(201);
    expect((other.json as CapabilityEntry).attributes).toEqual({ anything: [1, 2, 3] });
  });

  it('filters the catalog by capability type, with or without the trailing slash', async () => {
    await registerAgent(hub.url, 'vm-b');
    await registerAgent(hub.url, 'vm-a');
    await callHub(hub.url, 'POST', '/capability-catalog/', {
      capability_type: 'gpu-runner',
      name: 'box-1',
      attributes: {},
    });

    const names = (json: unknown) => (json as CapabilityEntry[]).map((entry) => entry.name);
    const agents = await callHub(
      hub.url,
      'GET',
      '/capability-catalog/?capability_type=haskell-build-agent',
    );
    const agentsNoSlash = await callHub(
      hub.url,
      'GET',
      '/capability-catalog?capability_type=haskell-build-agent',
    );
    const gpus = await callHub(hub.url, 'GET', '/capability-catalog/?capability_type=gpu-runner');
    const none = await callHub(hub.url, 'GET', '/capability-catalog/?capability_type=nothing');
    const all = await callHub(hub.url, 'GET', '/capability-catalog');

    expect(agents.status).toBe(200);
    expect(names(agents.json)).toEqual(['vm-a', 'vm-b']);
    expect(names(agentsNoSlash.json)).toEqual(['vm-a', 'vm-b']);
    expect(names(gpus.json)).toEqual(['box-1']);
    expect(none.json).toEqual([]);
    expect(names(all.json)).toEqual(['box-1', 'vm-a', 'vm-b']);
  });

  it('refreshes last_seen on heartbeat and 404s for an unknown entry', async () => {
    await registerAgent(hub.url, 'vm-a');
    clock.advance(30_000);

    const beat = await callHub(
      hub.url,
      'POST',
      '/capability-catalog/haskell-build-agent/vm-a/heartbeat',
    );
    const unknown = await callHub(
      hub.url,
      'POST',
      '/capability-catalog/haskell-build-agent/vm-z/heartbeat',
    );

    expect(beat.status).toBe(200);
    expect((beat.json as CapabilityEntry).last_seen).toBe('2026-04-20T10:00:30Z');
    expect((beat.json as CapabilityEntry).registered_at).toBe(T0_HUB);
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({
      error: 'no catalog entry for capability_type=haskell-build-agent name=vm-z',
    });
  });

  it('deletes an entry with 204 and 404s the second time', async () => {
    await registerAgent(hub.url, 'vm-a');

    const first = await callHub(hub.url, 'DELETE', '/capability-catalog/haskell-build-agent/vm-a');
    const second = await callHub(hub.url, 'DELETE', '/capability-catalog/haskell-build-agent/vm-a');
    const all = await callHub(hub.url, 'GET', '/capability-catalog/');

    expect(first.status).toBe(204);
    expect(first.text).toBe('');
    expect(second.status).toBe(404);
    expect(all.json).toEqual([]);
  });

  const badBodies: [string, unknown, string][] = [
    ['invalid JSON', '{"capability_type":', 'body: not valid JSON'],
    ['an empty body', '', 'body: required'],
    ['a JSON array', [], 'expected a JSON object with capability_type, name and attributes'],
    ['a missing name', { capability_type: 'x', attributes: {} }, 'name: required'],
    [
      'an empty capability_type',
      { capability_type: '', name: 'a', attributes: {} },
      'capability_type: must not be empty',
    ],
    [
      'a name with a newline',
      { capability_type: 'x', name: 'a\nb', attributes: {} },
      'name: must not contain control characters',
    ],
    [
      'attributes that are a list',
      { capability_type: 'x', name: 'a', attributes: [] },
      'attributes: expected a JSON object',
    ],
    [
      'a string tunnel_port',
      buildAgentRegistration('vm', { tunnel_port: '12222' }),
      'attributes.tunnel_port: expected an integer port number',
    ],
    [
      'an out-of-range tunnel_port',
      buildAgentRegistration('vm', { tunnel_port: 70000 }),
      'attributes.tunnel_port: expected a port from 1 to 65535',
    ],
    [
      'ghc_versions that are not a list',
      buildAgentRegistration('vm', { ghc_versions: '9.8.4' }),
      'attributes.ghc_versions: expected a list of GHC versions',
    ],
    [
      'a malformed GHC version',
      buildAgentRegistration('vm', { ghc_versions: ['9.8.4', 'latest'] }),
      'attributes.ghc_versions.1: expected a GHC version',
    ],
    [
      'a boot_time that is not ISO-8601',
      buildAgentRegistration('vm', { boot_time: '2026-04-20 09:58:12' }),
      'attributes.boot_time: expected an ISO-8601 timestamp',
    ],
    [
      'a missing hostname',
      buildAgentRegistration('vm', { hostname: undefined }),
      'attributes.hostname: required',
    ],
  ];

  it.each(badBodies)('refuses %s with 400 naming the field', async (_what, body, error) => {
    const answer = await callHub(hub.url, 'POST', '/capability-catalog/', body);

    expect(answer.status).toBe(400);
    expect((answer.json as { error: string }).error).toContain(error);
    const all = await callHub(hub.url, 'GET', '/capability-catalog/');
    expect(all.json).toEqual([]);
  });

  it('addresses a name with a slash and a space through percent-encoding', async () => {
    const created = await callHub(hub.url, 'POST', '/capability-catalog/', {
      capability_type: 'gpu-runner',
      name: 'lab/box 1',
      attributes: {},
    });
    const path = `/capability-catalog/gpu-runner/${encodeURIComponent('lab/box 1')}`;

    const beat = await callHub(hub.url, 'POST', `${path}/heartbeat`);
    const removed = await callHub(hub.url, 'DELETE', path);

    expect(created.status).toBe(201);
    expect(beat.status).toBe(200);
    expect((beat.json as CapabilityEntry).name).toBe('lab/box 1');
    expect(removed.status).toBe(204);
  });

  it('refuses an empty capability_type filter with 400', async () => {
    const answer = await callHub(hub.url, 'GET', '/capability-catalog/?capability_type=');
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: 'capability_type: not a valid capability type' });
  });

  it('refuses a body over 64 KiB with 413 and registers nothing', async () => {
    const body = buildAgentRegistration('vm-a', { padding: 'x'.repeat(MAX_BODY_BYTES) });

    const answer = await callHub(hub.url, 'POST', '/capability-catalog/', body);

    expect(answer.status).toBe(413);
    expect(answer.json).toEqual({ error: `body: larger than ${MAX_BODY_BYTES} bytes` });
    const all = await callHub(hub.url, 'GET', '/capability-catalog/');
    expect(all.json).toEqual([]);
  });

  it.each([
    ['declares a length over 1 MiB', false],
    ['streams over 1 MiB without declaring a length', true],
  ])('answers 413 (not a reset) to a client that %s', async (_what, chunked) => {
    const chunk = new Uint8Array(64 * 1024).fill(0x78);
    const chunks = 40;
    const body = chunked
      ? new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < chunks; i += 1) controller.enqueue(chunk);
            controller.close();
          },
        })
      : 'x'.repeat(chunk.length * chunks);

    const response = await fetch(`${hub.url}/capability-catalog/`, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(5_000),
      ...(chunked ? { duplex: 'half' } : {}),
    } as RequestInit);

    expect(response.status).toBe(413);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({ error: `body: larger than ${MAX_BODY_BYTES} bytes` });
  });

  it('accepts a body just under the limit', async () => {
    const small = JSON.stringify(buildAgentRegistration('vm-a', { padding: '' }));
    const padding = 'x'.repeat(MAX_BODY_BYTES - small.length);

    const answer = await registerAgent(hub.url, 'vm-a', { padding });

    expect(answer.status).toBe(201);
  });

  it.each([
    ['/'],
    ['/nope'],
    ['/health/extra'],
    ['/capability-catalog/haskell-build-agent'],
    ['/capability-catalog/haskell-build-agent/vm-a/heartbeat/more'],
    ['/capability-catalog/haskell-build-agent/vm-a/ping'],
    ['/capability-catalog//vm-a'],
  ])('answers %s with a JSON 404', async (path) => {
    const answer = await callHub(hub.url, 'GET', path);

    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ error: `no such path: ${path}` });
  });

  it.each([
    ['PUT', '/health', 'GET, HEAD'],
    ['DELETE', '/capability-catalog/', 'GET, POST, HEAD'],
    ['GET', '/capability-catalog/haskell-build-agent/vm-a', 'DELETE'],
    ['GET', '/capability-catalog/haskell-build-agent/vm-a/heartbeat', 'POST'],
  ])('answers %s %s with 405 and an Allow header', async (method, path, allow) => {
    const answer = await callHub(hub.url, method, path);

    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe(allow);
    expect((answer.json as { error: string }).error).toContain(`method ${method} is not allowed`);
  });

  it('refuses changes from a browser page (Origin header) with 403', async () => {
    const answer = await callHub(
      hub.url,
      'POST',
      '/capability-catalog/',
      buildAgentRegistration('vm-a'),
      { origin: 'https://example.com' },
    );

    expect(answer.status).toBe(403);
    expect((await callHub(hub.url, 'GET', '/capability-catalog/')).json).toEqual([]);
  });

  it('logs each request at debug and each registration at info', async () => {
    const logs = recordLogs('debug');
    try {
      await registerAgent(hub.url, 'vm-a');
      await registerAgent(hub.url, 'vm-a');
      await callHub(hub.url, 'GET', '/health');
    } finally {
      logs.stop();
    }

    const requests = logs.records.filter((record) => record.level === 'debug');
    const registrations = logs.records.filter((record) => record.level === 'info');
    expect(requests.map((record) => record.message)).toEqual([
      'POST /capability-catalog/ 201',
      'POST /capability-catalog/ 200',
      'GET /health 200',
    ]);
    expect(registrations.map((record) => record.message)).toEqual([
      'registered',
      'registration updated',
    ]);
    expect(registrations[0]?.fields).toMatchObject({
      capability_type: 'haskell-build-agent',
      name: 'vm-a',
      tunnel_port: 12222,
    });
    expect(registrations.every((record) => record.scope === 'statehub')).toBe(true);
  });
});

describe('hub persistence', () => {
  it('keeps the catalog across a restart', async () => {
    const created = await registerAgent(hub.url, 'vm-a');
    await hub.close();

    const onDisk = JSON.parse(await readFile(storePath, 'utf8')) as { version: number };
    expect(onDisk).toEqual({ version: 1, entries: [created.json] });

    clock.advance(60_000);
    hub = await start();
    const all = await callHub(hub.url, 'GET', '/capability-catalog/');
    expect(all.json).toEqual([created.json]);

    const updated = await registerAgent(hub.url, 'vm-a');
    expect(updated.status).toBe(200);
    expect((updated.json as CapabilityEntry).registered_at).toBe(T0_HUB);
  });

  it('persists heartbeats and deletions', async () => {
    await registerAgent(hub.url, 'vm-a');
    await registerAgent(hub.url, 'vm-b');
    clock.advance(30_000);
    await callHub(hub.url, 'POST', '/capability-catalog/haskell-build-agent/vm-a/heartbeat');
    await callHub(hub.url, 'DELETE', '/capability-catalog/haskell-build-agent/vm-b');
    await hub.close();

    hub = await start();
    const all = (await callHub(hub.url, 'GET', '/capability-catalog/')).json as CapabilityEntry[];
    expect(all.map((entry) => [entry.name, entry.last_seen])).toEqual([
      ['vm-a', '2026-04-20T10:00:30Z'],
    ]);
  });

  it.each([
    ['not JSON', '{"version": 1, "entries": ['],
    ['JSON of the wrong shape', '{"version": 1, "entries": [{"id": 3}]}'],
  ])('moves a catalog file that is %s aside, warns and starts empty', async (_what, content) => {
    await hub.close();
    await writeFile(storePath, content);

    const logs = recordLogs('warn');
    try {
      hub = await start();
    } finally {
      logs.stop();
    }

    const files = await readdir(dir.path);
    const aside = files.filter((name) => name.startsWith('catalog.json.corrupt-'));
    expect(aside).toEqual(['catalog.json.corrupt-2026-04-20T10-00-00-000Z']);
    expect(await readFile(join(dir.path, aside[0] ?? ''), 'utf8')).toBe(content);
    expect(files).not.toContain('catalog.json');
    expect(logs.records).toHaveLength(1);
    expect(logs.records[0]?.level).toBe('warn');
    expect(logs.records[0]?.fields?.moved_to).toBe(join(dir.path, aside[0] ?? ''));
    expect((await callHub(hub.url, 'GET', '/capability-catalog/')).json).toEqual([]);

    const created = await registerAgent(hub.url, 'vm-a');
    expect(created.status).toBe(201);
    expect(JSON.parse(await readFile(storePath, 'utf8'))).toEqual({
      version: 1,
      entries: [created.json],
    });
  });
});

describe('hub lifecycle', () => {
  it('closes promptly with an idle keep-alive connection open, and twice harmlessly', async () => {
    // fetch keeps the socket alive after this answer, which close() must not wait out.
    await callHub(hub.url, 'GET', '/health');
    const started = Date.now();

    await hub.close();
    await hub.close();

    expect(Date.now() - started).toBeLessThan(900);
    await expect(
      fetch(`${hub.url}/health`, { signal: AbortSignal.timeout(2_000) }),
    ).rejects.toThrow('fetch failed');
  });

  it('reports a port already in use as a UserError', async () => {
    const attempt = startHubServer({
      storePath: join(dir.path, 'other.json'),
      port: hub.port,
    });

    await expect(attempt).rejects.toBeInstanceOf(UserError);
    await expect(attempt).rejects.toMatchObject({
      code: 'statehub-port-in-use',
      message: `Cannot start the State Hub: port ${hub.port} on 127.0.0.1 is already in use.`,
    });
  });
});
