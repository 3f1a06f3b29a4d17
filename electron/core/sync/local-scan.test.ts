import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ALWAYS_EXCLUDED, scanLocalTree } from './local-scan.ts';
import { FIXED_MTIME, PROJECT, PROJECT_SYNCED, writeTree } from './test-support.ts';

describe('scanLocalTree', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'local-scan-test-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('always leaves out dist-newstyle, .git and .stack-work', () => {
    expect(ALWAYS_EXCLUDED).toEqual(['dist-newstyle', '.git', '.stack-work']);
  });

  it('lists the files .gitignore rules at every depth keep, sorted', async () => {
    await writeTree(root, PROJECT);

    const { files } = await scanLocalTree(root);

    expect(files.map((file) => file.path)).toEqual(PROJECT_SYNCED);
  });

  it('agrees with git about which files are ignored', async () => {
    await writeTree(root, PROJECT);
    const git = (args: string[]) =>
      spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', timeout: 10_000 });
    // .git of PROJECT is a stand-in; git needs a real repository there.
    await rm(join(root, '.git'), { recursive: true });
    expect(git(['init', '-q']).status).toBe(0);
    const listed = git(['ls-files', '-z', '--others', '--exclude-standard']);
    expect(listed.status).toBe(0);
    const gitFiles = listed.stdout
      .split('\0')
      // git knows nothing of the always-excluded folders; .git it leaves out itself.
      .filter((path) => path && !/^(dist-newstyle|\.stack-work)\//.test(path))
      .sort();

    const { files } = await scanLocalTree(root);

    expect(files.map((file) => file.path)).toEqual(gitFiles);
  });

  it('records size, whole-second and exact mtime, and the executable bit', async () => {
    await writeTree(root, { 'run.sh': '#!/bin/sh\n', 'empty.txt': '', 'a/b/c.hs': 'x = 1\n' });
    await chmod(join(root, 'run.sh'), 0o755);
    await utimes(join(root, 'a/b/c.hs'), FIXED_MTIME + 0.9, FIXED_MTIME + 12.75);

    const { files } = await scanLocalTree(root);

    expect(files).toEqual([
      {
        path: 'a/b/c.hs',
        size: 6,
        mtime: FIXED_MTIME + 12,
        mtimeMs: (FIXED_MTIME + 12.75) * 1000,
        executable: false,
      },
      {
        path: 'empty.txt',
        size: 0,
        mtime: FIXED_MTIME,
        mtimeMs: FIXED_MTIME * 1000,
        executable: false,
      },
      {
        path: 'run.sh',
        size: 10,
        mtime: FIXED_MTIME,
        mtimeMs: FIXED_MTIME * 1000,
        executable: true,
      },
    ]);
  });

  it('skips empty folders', async () => {
    await writeTree(root, { 'real.hs': 'x\n' });
    await mkdir(join(root, 'empty', 'deeper'), { recursive: true });

    const { files } = await scanLocalTree(root);

    expect(files.map((file) => file.path)).toEqual(['real.hs']);
  });

  it('follows symbolic links to files and folders, as cabal does', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'local-scan-shared-'));
    try {
      await writeTree(outside, { 'Shared.hs': 'module Shared where\n' });
      await writeTree(root, { 'real.hs': 'x\n' });
      await symlink(join(root, 'real.hs'), join(root, 'link.hs'));
      await symlink(outside, join(root, 'src'));

      const { files } = await scanLocalTree(root);

      expect(files.map((file) => file.path)).toEqual(['link.hs', 'real.hs', 'src/Shared.hs']);
      expect(files.find((file) => file.path === 'src/Shared.hs')?.size).toBe(20);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('skips dangling links and links that loop back into the tree', async () => {
    await writeTree(root, { 'a/A.hs': 'a\n' });
    await symlink(join(root, 'missing.hs'), join(root, 'dangling.hs'));
    await symlink(root, join(root, 'a', 'loop'));

    const { files } = await scanLocalTree(root);

    expect(files.map((file) => file.path)).toEqual(['a/A.hs']);
  });

  it('judges remote paths so the VM keeps what the workstation leaves out', async () => {
    await writeTree(root, PROJECT);

    const { exclusions } = await scanLocalTree(root);

    const excluded = [
      'dist-newstyle/x',
      'dist-newstyle/build/x86_64-linux/ghc-9.8.4/app-0.1/build/app/app',
      '.git/objects/ab/cdef',
      '.stack-work/install/bin',
      'build/out.o',
      'debug.log',
      'src/debug.log',
      'src/x.tmp',
      'src/cache/blob.bin',
      'deeper/cache/blob.bin',
    ];
    const kept = [
      'keep.log',
      'src/important.log',
      'src/Main.hs',
      'src/build/Gen.hs',
      'docs/cache',
      'src/Old.hs',
      'dist-newstyle.txt',
      'pkg/dist-newstyle-notes.md',
      'with space/and\nnewline.hs',
    ];
    expect(excluded.filter((path) => !exclusions.isExcluded(path))).toEqual([]);
    expect(kept.filter((path) => exclusions.isExcluded(path))).toEqual([]);
  });

  it('does not let a .gitignore bring back an always-excluded folder', async () => {
    await writeTree(root, {
      '.gitignore': '!dist-newstyle/\n!.git/\n',
      'dist-newstyle/plan.json': '{}',
      'A.hs': 'x',
    });

    const { files, exclusions } = await scanLocalTree(root);

    expect(files.map((file) => file.path)).toEqual(['.gitignore', 'A.hs']);
    expect(exclusions.isExcluded('dist-newstyle/plan.json')).toBe(true);
  });
});
