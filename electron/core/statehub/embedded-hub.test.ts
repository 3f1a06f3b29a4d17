import { access } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { ensureHub } from './embedded-hub.ts';
import type { HubConnection } from './embedded-hub.ts';
import { createHubClient } from './hub-client.ts';
import { startHubServer } from './hub-server.ts';
import {
  freePort,
  makeTempDir,
  registerAgent,
  startHttpStandIn,
  startTcpStandIn,
} from './test-support.ts';

const PROBE_TIMEOUT_MS = 300;

let dir: Awaited<ReturnType<typeof makeTempDir>>;
const cleanups: (() => Promise<void>)[] = [];

const embeddedStore = () => join(dir.path, 'embedded.json');

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await dir.remove();
});

async function ensure(url: string): Promise<HubConnection> {
  const connection = await ensureHub({
    url,
    storePath: embeddedStore(),
    probeTimeoutMs: PROBE_TIMEOUT_MS,
  });
  cleanups.push(() => connection.close());
  return connection;
}

describe('choosing a State Hub', () => {
  it('uses an external hub that answers, and starts nothing', async () => {
    const external = await startHubServer({
      storePath: join(dir.path, 'external.json'),
      port: 0,
    });
    cleanups.push(() => external.close());
    await registerAgent(external.url, 'vm-a');

    const connection = await ensure(external.url);

    expect(connection.kind).toBe('external');
    expect(connection.url).toBe(external.url);
    expect(await exists(embeddedStore())).toBe(false);
    const agents = await createHubClient({ baseUrl: connection.url }).listBuildAgents();
    expect(agents.kind === 'ok' && agents.value.map((agent) => agent.name)).toEqual(['vm-a']);
  });

  it('starts the embedded hub on the configured port when nothing answers', async () => {
    const port = await freePort();

    const connection = await ensure(`http://127.0.0.1:${port}`);

    expect(connection.kind).toBe('embedded');
    expect(connection.url).toBe(`http://127.0.0.1:${port}`);
    expect(connection.kind === 'embedded' && connection.server.port).toBe(port);
    const created = await registerAgent(connection.url, 'vm-a');
    expect(created.status).toBe(201);
    expect(await exists(embeddedStore())).toBe(true);

    await connection.close();
    const after = await createHubClient({ baseUrl: connection.url }).health();
    expect(after.kind).toBe('down');
  });

  it('binds the embedded hub to 127.0.0.1 for a localhost URL', async () => {
    const port = await freePort();

    const connection = await ensure(`http://localhost:${port}/`);

    expect(connection.kind).toBe('embedded');
    expect(connection.url).toBe(`http://127.0.0.1:${port}`);
  });

  it('reports a port held by a web server that is not a hub', async () => {
    const web = await startHttpStandIn((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
    });
    cleanups.push(() => web.close());

    const attempt = ensure(web.url);

    await expect(attempt).rejects.toBeInstanceOf(UserError);
    await expect(attempt).rejects.toMatchObject({
      code: 'statehub-port-taken',
      message: expect.stringMatching(
        new RegExp(
          `^Port ${web.port} on 127\\.0\\.0\\.1 is held by a program that is not a State Hub`,
        ),
      ),
      fix: expect.stringContaining(`Stop the program using port ${web.port}`),
    });
    expect(await exists(embeddedStore())).toBe(false);
  });

  it('reports a port held by something that is not HTTP at all', async () => {
    const ssh = await startTcpStandIn('SSH-2.0-OpenSSH_9.6\r\n');
    cleanups.push(() => ssh.close());

    await expect(ensure(ssh.url)).rejects.toMatchObject({ code: 'statehub-port-taken' });
  });

  it('reports a listener that never answers as unresponsive', async () => {
    const silent = await startTcpStandIn();
    cleanups.push(() => silent.close());
    const started = Date.now();

    const attempt = ensure(silent.url);

    await expect(attempt).rejects.toMatchObject({
      code: 'statehub-unresponsive',
      message:
        `Something is listening at ${silent.url} but did not answer the State Hub health ` +
        'check within 0.3 s.',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it.each([
    ['an https URL', 'https'],
    ['a URL with a path', 'path'],
  ])('does not stand in for %s that nobody answers', async (_what, variant) => {
    const port = await freePort();
    const url = variant === 'https' ? `https://127.0.0.1:${port}` : `http://127.0.0.1:${port}/hub`;

    await expect(ensure(url)).rejects.toMatchObject({
      code: 'statehub-unreachable',
      fix: expect.stringContaining('http://127.0.0.1:8000 to use the built-in one'),
    });
    expect(await exists(embeddedStore())).toBe(false);
  });
});
