import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { executablesIn, projectExecutables } from './cabal-executables.ts';

describe('executablesIn', () => {
  it('finds executable stanzas in any case, and nothing else', () => {
    const cabal = [
      'name: app',
      'library',
      '  exposed-modules: Lib',
      'executable app-server',
      '  main-is: Main.hs',
      'Executable tool -- a helper',
      'test-suite spec',
      '  -- executable not-a-stanza',
      'foreign-library executable-lib',
    ].join('\n');
    expect(executablesIn(cabal)).toEqual(['app-server', 'tool']);
  });
});

describe('projectExecutables', () => {
  it('reads a package and the packages one folder down of a cabal.project', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bm-exe-'));
    await writeFile(join(root, 'cabal.project'), 'packages: */\n');
    await mkdir(join(root, 'server'));
    await writeFile(join(root, 'server', 'server.cabal'), 'executable server\n  main-is: M.hs\n');
    await mkdir(join(root, 'cli'));
    await writeFile(join(root, 'cli', 'cli.cabal'), 'executable bm-cli\n  main-is: M.hs\n');
    const names = await projectExecutables({
      path: root,
      name: 'root',
      cabalFiles: [],
      hasCabalProject: true,
    });
    expect(names).toEqual(['bm-cli', 'server']);
  });
});
