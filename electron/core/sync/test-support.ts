import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Test fixtures shared by the sync tests: a project tree with .gitignore files at two depths. */

/** Seconds since the epoch that every test file gets as its mtime, so comparisons are exact. */
export const FIXED_MTIME = 1_700_000_000;

/** Writes files (relative path → content) under root, each with mtime FIXED_MTIME. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const absolute = join(root, path);
    await mkdir(dirname(absolute), { recursive: true });
    await writeFile(absolute, content);
    await utimes(absolute, FIXED_MTIME, FIXED_MTIME);
  }
}

/** A Haskell project with .gitignore files at two depths and the usual build output. */
export const PROJECT: Record<string, string> = {
  '.gitignore': '# build output\n*.log\n!keep.log\n/build\ncache/\n',
  'app.cabal': 'cabal-version: 3.0\nname: app\n',
  'keep.log': 'kept by a negation in the same file\n',
  'debug.log': 'ignored by *.log\n',
  'run.sh': '#!/bin/sh\necho hi\n',
  'build/out.o': 'ignored by the anchored /build\n',
  'docs/cache': 'a file named like the directory pattern cache/\n',
  'docs/with space.md': 'spaces\n',
  'docs/ünïcødé.md': 'unicode\n',
  'src/.gitignore': '*.tmp\n!important.log\n',
  'src/Main.hs': 'main = pure ()\n',
  'src/x.tmp': 'ignored by the nested *.tmp\n',
  'src/debug.log': 'ignored by the root *.log\n',
  'src/important.log': 'kept: the nested negation wins over the root *.log\n',
  'src/build/Gen.hs': 'kept: /build is anchored to the root\n',
  'src/cache/blob.bin': 'ignored by the directory pattern cache/\n',
  'dist-newstyle/cache/plan.json': '{}\n',
  '.git/HEAD': 'ref: refs/heads/main\n',
  '.stack-work/install/x': 'stack\n',
};

/** What git itself would send for PROJECT, the oracle for the scan. */
export const PROJECT_SYNCED = [
  '.gitignore',
  'app.cabal',
  'docs/cache',
  'docs/with space.md',
  'docs/ünïcødé.md',
  'keep.log',
  'run.sh',
  'src/.gitignore',
  'src/Main.hs',
  'src/build/Gen.hs',
  'src/important.log',
];
