import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIXTURES = new URL('../fixtures/', import.meta.url);

/** A private copy of a fixture project, so tests can edit it and builds do not collide. */
export async function copyFixture(name: string): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'bm-fixture-'));
  const target = join(parent, name);
  await cp(new URL(name, FIXTURES), target, { recursive: true });
  return target;
}
