import { randomBytes } from 'node:crypto';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIXTURES = new URL('../fixtures/', import.meta.url);

/**
 * A private copy of a fixture project, so tests can edit it and builds do not collide. The
 * folder gets a unique name: the VM keeps one build folder per project name, and a build left
 * there by an earlier test would make cabal say "Up to date".
 */
export async function copyFixture(name: string): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'bm-fixture-'));
  const target = join(parent, `${name}-${randomBytes(3).toString('hex')}`);
  await cp(new URL(name, FIXTURES), target, { recursive: true });
  return target;
}
