import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createCore, type Core } from '../../electron/core/core.ts';
import type { LabEnv } from './lab-env.ts';

/** A core wired to the lab: its registry, pinned keys and build key; a fresh state folder. */
export async function coreForLab(lab: LabEnv, registry = lab.registry): Promise<Core> {
  const stateDir = await mkdtemp(join(tmpdir(), 'bm-state-'));
  return createCore({
    version: 'test',
    defaultRegistryPath: registry,
    paths: { configDir: lab.configDir, stateDir },
    overrides: { registryPath: registry, buildKeyPath: lab.buildKey },
  });
}
