import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { scanLocalTree, type Exclusions, type FileEntry } from './local-scan.ts';
import { parseRemoteManifest, planSync, type RemoteEntry } from './sync-plan.ts';
import { FIXED_MTIME, PROJECT, PROJECT_SYNCED, writeTree } from './test-support.ts';

const NOTHING_EXCLUDED: Exclusions = { isExcluded: () => false };

const file = (path: string, size: number, mtime = FIXED_MTIME): FileEntry => ({
  path,
  size,
  mtime,
  executable: false,
});

/** The bytes `find -printf '%P\0%s\0%T@\0'` prints for these entries. */
const manifest = (entries: { path: string; size: number; mtime: string }[]) =>
  Buffer.from(entries.map((entry) => `${entry.path}\0${entry.size}\0${entry.mtime}\0`).join(''));

describe('planSync', () => {
  it('uploads new and changed files, counts unchanged ones and deletes vanished ones', () => {
    const local = [file('A.hs', 10), file('B.hs', 20), file('C.hs', 30), file('New.hs', 1)];
    const remote: RemoteEntry[] = [
      { path: 'A.hs', size: 10, mtime: FIXED_MTIME },
      { path: 'B.hs', size: 21, mtime: FIXED_MTIME },
      { path: 'C.hs', size: 30, mtime: FIXED_MTIME - 1 },
      { path: 'Gone.hs', size: 5, mtime: FIXED_MTIME },
      { path: 'Also Gone.hs', size: 5, mtime: FIXED_MTIME },
    ];

    expect(planSync(local, remote, NOTHING_EXCLUDED)).toEqual({
      upload: [file('B.hs', 20), file('C.hs', 30), file('New.hs', 1)],
      remove: ['Also Gone.hs', 'Gone.hs'],
      unchanged: 1,
    });
  });

  it('does nothing for an unchanged tree', () => {
    const local = [file('A.hs', 10), file('src/B.hs', 0)];
    const remote = local.map(({ path, size, mtime }) => ({ path, size, mtime }));

    expect(planSync(local, remote, NOTHING_EXCLUDED)).toEqual({
      upload: [],
      remove: [],
      unchanged: 2,
    });
  });

  it('uploads everything to an empty VM folder', () => {
    const local = [file('A.hs', 10), file('B.hs', 20)];
    expect(planSync(local, [], NOTHING_EXCLUDED)).toEqual({
      upload: local,
      remove: [],
      unchanged: 0,
    });
  });

  it('keeps remote files the exclusions cover', () => {
    const exclusions: Exclusions = { isExcluded: (path) => path.startsWith('dist-newstyle/') };
    const remote: RemoteEntry[] = [
      { path: 'dist-newstyle/x', size: 1, mtime: 1 },
      { path: 'old.hs', size: 1, mtime: 1 },
    ];
    expect(planSync([], remote, exclusions).remove).toEqual(['old.hs']);
  });
});

describe('planSync with a scanned project', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sync-plan-test-'));
    await writeTree(root, PROJECT);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("deletes what vanished locally but keeps the VM's excluded files", async () => {
    const { files, exclusions } = await scanLocalTree(root);
    const same = (path: string) => {
      const entry = files.find((candidate) => candidate.path === path)!;
      return { path, size: entry.size, mtime: String(entry.mtime) };
    };
    const remote = parseRemoteManifest(
      manifest([
        ...PROJECT_SYNCED.filter((path) => path !== 'app.cabal' && path !== 'run.sh').map(same),
        { ...same('app.cabal'), size: 1 },
        { ...same('run.sh'), mtime: `${FIXED_MTIME + 60}.0000000000` },
        { path: 'dist-newstyle/x', size: 3, mtime: '1700000001.5' },
        { path: 'dist-newstyle/cache/plan.json', size: 3, mtime: '1700000001.5' },
        { path: '.stack-work/y', size: 3, mtime: '1700000001.5' },
        { path: 'build/out.o', size: 3, mtime: '1700000001.5' },
        { path: 'src/x.tmp', size: 3, mtime: '1700000001.5' },
        { path: 'src/Old.hs', size: 3, mtime: '1700000001.5' },
        { path: 'removed folder/with\nnewline.hs', size: 3, mtime: '1700000001.5' },
      ]),
    );

    const plan = planSync(files, remote, exclusions);

    expect(plan.upload.map((entry) => entry.path)).toEqual(['app.cabal', 'run.sh']);
    expect(plan.remove).toEqual(['removed folder/with\nnewline.hs', 'src/Old.hs']);
    expect(plan.unchanged).toBe(PROJECT_SYNCED.length - 2);
  });

  it('notices a local edit by its size and by its mtime', async () => {
    const before = await scanLocalTree(root);
    const remote = before.files.map(({ path, size, mtime }) => ({ path, size, mtime }));
    expect(planSync(before.files, remote, before.exclusions).upload).toEqual([]);

    await writeFile(join(root, 'src/Main.hs'), 'main = print 42\n');
    await utimes(join(root, 'src/Main.hs'), FIXED_MTIME, FIXED_MTIME);
    await utimes(join(root, 'app.cabal'), FIXED_MTIME, FIXED_MTIME + 1);
    // A change below one second is invisible to whole-second mtimes, like tar's.
    await utimes(join(root, 'keep.log'), FIXED_MTIME, FIXED_MTIME + 0.5);
    const after = await scanLocalTree(root);

    const plan = planSync(after.files, remote, after.exclusions);
    expect(plan.upload.map(({ path, size, mtime }) => ({ path, size, mtime }))).toEqual([
      { path: 'app.cabal', size: 29, mtime: FIXED_MTIME + 1 },
      { path: 'src/Main.hs', size: 16, mtime: FIXED_MTIME },
    ]);
    expect(plan.remove).toEqual([]);
  });
});

describe('parseRemoteManifest', () => {
  it('reads NUL-separated path, size and fractional mtime triples', () => {
    const output = manifest([
      { path: 'app.cabal', size: 28, mtime: '1700000000.1234567890' },
      { path: 'src/Main.hs', size: 0, mtime: '1700000123.9999999999' },
      { path: 'old', size: 7, mtime: '1700000000' },
    ]);

    expect(parseRemoteManifest(output)).toEqual([
      { path: 'app.cabal', size: 28, mtime: 1_700_000_000 },
      { path: 'src/Main.hs', size: 0, mtime: 1_700_000_123 },
      { path: 'old', size: 7, mtime: 1_700_000_000 },
    ]);
  });

  it('keeps names with spaces, newlines, tabs, quotes and unicode intact', () => {
    const names = [
      'with space.hs',
      'multi\nline\nname.hs',
      'tab\there.hs',
      'quote\'s "double".hs',
      'ünïcødé/日本語/файл.hs',
      '🚀.md',
      ' leading and trailing ',
      'back\\slash',
    ];
    const output = manifest(names.map((path, index) => ({ path, size: index, mtime: '1.5' })));

    expect(parseRemoteManifest(output)).toEqual(
      names.map((path, index) => ({ path, size: index, mtime: 1 })),
    );
  });

  it('reads an empty listing as no files', () => {
    expect(parseRemoteManifest(Buffer.alloc(0))).toEqual([]);
  });

  it('drops a truncated last triple and entries with unreadable numbers', () => {
    const output = Buffer.concat([
      manifest([
        { path: 'good', size: 1, mtime: '2.0' },
        { path: 'bad-size', size: Number.NaN, mtime: '2.0' },
      ]),
      Buffer.from('bad-mtime\x003\x00soon\x00truncated\x004'),
    ]);

    expect(parseRemoteManifest(output)).toEqual([{ path: 'good', size: 1, mtime: 2 }]);
  });
});
