import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { EventName } from '../api/contract.ts';
import { EventBus } from '../events/event-bus.ts';
import { startHubServer } from './hub-server.ts';
import { HubService } from './hub-service.ts';
import { freePort, makeTempDir, registerAgent } from './test-support.ts';

let dir: Awaited<ReturnType<typeof makeTempDir>>;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await dir.remove();
});

function recordEvents(events: EventBus) {
  const seen: { name: EventName; payload: unknown }[] = [];
  events.subscribe((name, payload) => seen.push({ name, payload }));
  return seen;
}

describe('the panel side of the State Hub', () => {
  it('starts the embedded hub when none answers, persisted in the state folder', async () => {
    const port = await freePort();
    const events = new EventBus();
    const service = new HubService(`http://127.0.0.1:${port}`, dir.path, events);
    closers.push(() => service.close());
    const seen = recordEvents(events);

    expect(await service.ensure()).toMatchObject({ kind: 'embedded', canStartEmbedded: false });
    await registerAgent(`http://127.0.0.1:${port}`, 'vm-a');
    const catalog = await service.poll();
    expect(catalog.entries).toEqual([
      expect.objectContaining({ name: 'vm-a', tunnelPort: 12222, freshness: 'online' }),
    ]);
    expect(service.storePath).toBe(join(dir.path, 'state-hub', 'catalog.json'));
    expect(seen.map((event) => event.name)).toEqual(['hub.status', 'hub.catalog', 'hub.catalog']);

    // Nothing changed: no event.
    await service.poll();
    expect(seen).toHaveLength(3);
  });

  it('announces a hub going down and coming back, and offers the embedded one', async () => {
    const port = await freePort();
    const hub = await startHubServer({ storePath: join(dir.path, 'a.json'), port });
    const events = new EventBus();
    const service = new HubService(`http://127.0.0.1:${port}`, dir.path, events);
    closers.push(() => service.close());
    const seen = recordEvents(events);

    expect((await service.ensure()).kind).toBe('external');
    await hub.close();
    const down = await service.poll();
    expect(down.status).toMatchObject({
      kind: 'down',
      canStartEmbedded: true,
      message: `No State Hub is running at http://127.0.0.1:${port} (connection refused).`,
    });
    const again = await startHubServer({ storePath: join(dir.path, 'a.json'), port });
    closers.push(() => again.close());
    expect((await service.poll()).status.kind).toBe('external');
    expect(
      seen
        .filter((event) => event.name === 'hub.status')
        .map((event) => (event.payload as { kind: string }).kind),
    ).toEqual(['external', 'down', 'external']);
  });
});
