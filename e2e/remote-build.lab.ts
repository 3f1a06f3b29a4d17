import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BuildRun } from '../electron/core/api/contract.ts';
import type { Core } from '../electron/core/core.ts';
import { remoteProjectDir } from '../electron/core/build/build-service.ts';
import { syncProject } from '../electron/core/sync/remote-sync.ts';
import { coreForLab } from './support/core-for-lab.ts';
import { copyFixture } from './support/fixtures.ts';
import { labEnv } from './support/lab-env.ts';

const lab = labEnv();
let core: Core;

beforeAll(async () => {
  core = await coreForLab(lab);
});

afterAll(() => core.close());

async function build(project: string, kind: 'build' | 'test' = 'build'): Promise<BuildRun> {
  const started = await core.builds.start({ vm: lab.vm, project, kind });
  return core.builds.wait(started.id);
}

async function remote(command: string): Promise<string> {
  const session = await core.machines.session(lab.vm);
  const result = await session.capture(command);
  return result.stdout.toString('utf8');
}

describe('remote build on the lab VM, through its reverse tunnel', () => {
  it('builds a cabal package with the VM GHC and records it in the history', async () => {
    const project = await copyFixture('hello');
    const run = await build(project);
    const { text } = await core.builds.log(run.id);

    expect(run.status).toBe('succeeded');
    expect(run.exitCode).toBe(0);
    expect(run.ghc).toBe('9.0.2');
    expect(text).toContain('Compiling Hello');
    expect(text).toMatch(/Linking .*hello/);
    expect(run.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);

    const history = await core.builds.list({ project });
    expect(history.map((entry) => entry.id)).toContain(run.id);
    expect(history[0]).toMatchObject({ vm: lab.vm, ghc: '9.0.2', status: 'succeeded' });
  });

  it('runs the test suite and passes its exit code through', async () => {
    const project = await copyFixture('hello');
    const passing = await build(project, 'test');
    expect(passing.status).toBe('succeeded');
    expect((await core.builds.log(passing.id)).text).toContain('1 of 1 test suites');

    await writeFile(
      join(project, 'test', 'Spec.hs'),
      'import System.Exit\nmain = exitWith (ExitFailure 3)\n',
    );
    const failing = await build(project, 'test');
    expect(failing.status).toBe('failed');
    expect(failing.exitCode).not.toBe(0);
    expect((await core.builds.log(failing.id)).text).toMatch(/Test suite hello-test: FAIL/);
  });

  it('parses the GHC type error into a diagnostic pointing at its log line', async () => {
    const project = await copyFixture('type-error');
    const run = await build(project);
    const { text } = await core.builds.log(run.id);

    expect(run.status).toBe('failed');
    expect(run.exitCode).toBe(1);
    const error = run.diagnostics.find((d) => d.severity === 'error');
    expect(error).toMatchObject({ file: 'src/Greeting.hs', line: 8, column: 9 });
    expect(error?.message).toMatch(/Couldn't match type/);
    const lines = text.split('\n');
    expect(lines[error!.logLine]).toContain('src/Greeting.hs:8:9');
  });

  it('cancels mid-compile and leaves no cabal or GHC process on the VM', async () => {
    const project = await copyFixture('slow-build');
    const started = await core.builds.start({ vm: lab.vm, project, kind: 'build' });

    // Bounded wait: GHC reaches the sleeping splice within a few seconds.
    const deadline = Date.now() + 60_000;
    while (!(await core.builds.log(started.id)).text.includes('Compiling Slow')) {
      if (Date.now() > deadline) throw new Error('the slow build never reached Compiling Slow');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await remote('pgrep -u builder -x ghc || true')).not.toBe('');
    await expect(core.builds.start({ vm: lab.vm, project, kind: 'test' })).rejects.toThrow(
      new RegExp(`a build of slow-build-\\w+ is already running on ${lab.vm}`),
    );

    const cancelled = await core.builds.cancel(started.id);
    expect(cancelled.status).toBe('cancelled');
    // SIGKILL lands at once, but an exiting process may show for a moment; zombies are not
    // running code. Poll briefly (bounded) for the group to be gone.
    const survivors = "ps -u builder -o stat=,comm= | awk '$1 !~ /^Z/ && $2 ~ /^(ghc|cabal)/'";
    let left = await remote(survivors);
    for (let attempt = 0; attempt < 15 && left.trim() !== ''; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      left = await remote(survivors);
    }
    expect(left.trim()).toBe('');
  });
});

describe('sync to the VM', () => {
  it('sends nothing the second time, then only what changed, and mirrors deletions', async () => {
    const project = await copyFixture('hello');
    const session = await core.machines.session(lab.vm);
    const dir = remoteProjectDir('sync-check');

    await mkdir(join(project, 'dist-newstyle'), { recursive: true });
    await writeFile(join(project, 'dist-newstyle', 'local-only'), 'never sent');
    await writeFile(join(project, 'notes.local'), 'ignored by .gitignore');

    const first = await syncProject(session, project, dir);
    expect(first.uploadedFiles).toBe(5);

    const second = await syncProject(session, project, dir);
    expect(second).toMatchObject({ uploadedFiles: 0, uploadedBytes: 0, removedFiles: 0 });

    await appendFile(join(project, 'src', 'Hello.hs'), '\n-- changed\n');
    await rm(join(project, 'test'), { recursive: true });
    await remote(`mkdir -p ${dir}/dist-newstyle && echo kept > ${dir}/dist-newstyle/vm-output`);
    const third = await syncProject(session, project, dir);
    expect(third).toMatchObject({ uploadedFiles: 1, removedFiles: 1 });

    const listing = await remote(`cd ${dir} && find . -type f | sort`);
    expect(listing.split('\n').filter(Boolean)).toEqual([
      './.gitignore',
      './app/Main.hs',
      './dist-newstyle/vm-output',
      './hello.cabal',
      './src/Hello.hs',
    ]);
    expect(await remote(`tail -n 1 ${dir}/src/Hello.hs`)).toBe('-- changed\n');
  });
});
