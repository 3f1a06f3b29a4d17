import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { createCore, type Core } from '../core.ts';
import { createApiHandler, type ApiHandler } from './api-handler.ts';
import { isOperationName, operations, type ApiError, type CallResult } from './contract.ts';

const REGISTRY = 'machines:\n  - name: haskell-build\n    port: 12222\n    user: builder\n';

/** The error of a call that must fail. */
function errorOf(result: CallResult<unknown>): ApiError {
  if (result.ok) throw new Error(`the call succeeded with ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('createApiHandler', () => {
  let folder: string;
  let registryFile: string;
  let core: Core;
  let handle: ApiHandler;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'api-handler-test-'));
    registryFile = join(folder, 'port-registry.yml');
    await writeFile(registryFile, REGISTRY);
    core = await createCore({
      defaultRegistryPath: registryFile,
      paths: { configDir: join(folder, 'config'), stateDir: join(folder, 'state') },
      version: '1.2.3-test',
    });
    handle = createApiHandler(core, { transport: 'websocket' });
  });

  afterEach(async () => {
    core.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('answers app.info from the core it was given', async () => {
    expect(await handle('app.info', {})).toEqual({
      ok: true,
      value: {
        version: '1.2.3-test',
        transport: 'websocket',
        registryPath: registryFile,
        stateDir: join(folder, 'state'),
        nativeDialogs: false,
      },
    });
    expect(await handle('app.info', undefined)).toMatchObject({ ok: true });
  });

  it('lists the machines of the registry, not yet probed', async () => {
    expect(await handle('machines.list', {})).toEqual({
      ok: true,
      value: [{ name: 'haskell-build', port: 12222, user: 'builder', ssh: 'unknown' }],
    });
  });

  describe('refuses what is not an operation', () => {
    it.each([
      ['an unknown name', 'machines.destroy', 'machines.destroy'],
      ['a prototype property', 'constructor', 'constructor'],
      ['__proto__', '__proto__', '__proto__'],
      ['a number', 42, '42'],
      ['undefined', undefined, 'undefined'],
    ])('%s', async (_label, operation, shown) => {
      expect(await handle(operation, {})).toEqual({
        ok: false,
        error: { code: 'unknown-operation', message: `unknown operation ${shown}` },
      });
    });

    it('and knows every operation of the contract', () => {
      expect(Object.keys(operations).every(isOperationName)).toBe(true);
      expect(isOperationName('toString')).toBe(false);
    });
  });

  describe('refuses invalid input with the field in the message', () => {
    it.each([
      ['a wrong type', 'machines.probe', { vm: 42 }, 'machines.probe: vm: '],
      ['a missing field', 'projects.inspect', {}, 'projects.inspect: path: '],
      ['an empty path', 'projects.inspect', { path: '' }, 'projects.inspect: path: a folder path'],
      [
        'a VM name with shell metacharacters',
        'machines.probe',
        { vm: 'vm; rm -rf ~' },
        'machines.probe: vm: a VM name from port-registry.yml',
      ],
      [
        'a VM name with command substitution',
        'builds.start',
        { vm: '$(id)', project: '/p', kind: 'build' },
        'builds.start: vm: a VM name from port-registry.yml',
      ],
      [
        'a path that is too long',
        'projects.inspect',
        { path: '/' + 'a'.repeat(4096) },
        'projects.inspect: path: ',
      ],
      [
        'a GHC version with a shell word',
        'builds.start',
        { vm: 'haskell-build', project: '/p', kind: 'build', ghc: '9.8.4; id' },
        'builds.start: ghc: a GHC version such as 9.8.4',
      ],
      [
        'an unknown build kind',
        'builds.start',
        { vm: 'haskell-build', project: '/p', kind: 'bench' },
        'builds.start: kind: ',
      ],
      ['a limit out of range', 'builds.list', { limit: 501 }, 'builds.list: limit: '],
      ['a bad run id', 'builds.get', { runId: '../../etc/passwd' }, 'builds.get: runId: a run id'],
      ['a non-object input', 'machines.probe', 'haskell-build', 'machines.probe: input: '],
    ])('%s', async (_label, operation, input, prefix) => {
      const error = errorOf(await handle(operation, input));

      expect(error.code).toBe('invalid-input');
      expect(error.message.startsWith(prefix)).toBe(true);
      expect(error.fix).toBe('Check the value of that field.');
    });

    it('an extra key, which the strict schemas name', async () => {
      const error = errorOf(await handle('machines.probe', { vm: 'haskell-build', cmd: 'id' }));

      expect(error.code).toBe('invalid-input');
      expect(error.message).toMatch(/^machines\.probe: input: .*"cmd"/);
    });

    it('an extra key on an operation without input', async () => {
      const error = errorOf(await handle('app.info', { debug: true }));
      expect(error.message).toMatch(/^app\.info: input: .*"debug"/);
    });
  });

  describe('passes on the UserError an implementation throws', () => {
    it('project-missing for a folder that does not exist', async () => {
      const path = join(folder, 'nowhere');

      expect(errorOf(await handle('projects.inspect', { path }))).toEqual({
        code: 'project-missing',
        message: `project folder ${path} does not exist`,
        fix: 'Choose the folder that holds your .cabal file or cabal.project.',
      });
    });

    it('no-cabal-file for a folder without a .cabal file or cabal.project', async () => {
      const path = join(folder, 'plain');
      await mkdir(path);
      await writeFile(join(path, 'README.md'), 'hello');

      const error = errorOf(await handle('projects.inspect', { path }));

      expect(error).toMatchObject({
        code: 'no-cabal-file',
        message: `${path} has no .cabal file and no cabal.project`,
      });
      expect(error.fix).toContain('cabal init');
    });

    it('project-not-folder for a file', async () => {
      const path = join(folder, 'app.cabal');
      await writeFile(path, 'name: app\n');

      expect(errorOf(await handle('projects.inspect', { path }))).toEqual({
        code: 'project-not-folder',
        message: `${path} is a file, not a project folder`,
        fix: 'Choose the folder that holds the .cabal file, not the file itself.',
      });
    });

    it('no-native-dialog for pickFolder in browser mode', async () => {
      expect(errorOf(await handle('projects.pickFolder', {}))).toMatchObject({
        code: 'no-native-dialog',
        fix: expect.stringContaining('Type the project path'),
      });
    });

    it('run-unknown for a run that never existed', async () => {
      expect(errorOf(await handle('builds.get', { runId: 'no-such-run' }))).toEqual({
        code: 'run-unknown',
        message: 'no build run no-such-run',
        fix: 'Pick a run from the history.',
      });
    });

    it('vm-unknown from builds.start for a VM not in the registry', async () => {
      const project = join(folder, 'app');
      await mkdir(project);
      await writeFile(join(project, 'app.cabal'), 'name: app\n');

      const error = errorOf(
        await handle('builds.start', { vm: 'other-vm', project, kind: 'build' }),
      );

      expect(error).toEqual({
        code: 'vm-unknown',
        message: `no build machine named other-vm in ${registryFile}`,
        fix: 'Use one of: haskell-build; or add it to port-registry.yml.',
      });
    });

    it('registry-invalid with the line from builds.start for a malformed registry', async () => {
      const project = join(folder, 'app');
      await mkdir(project);
      await writeFile(join(project, 'cabal.project'), 'packages: .\n');
      await writeFile(registryFile, REGISTRY + '  - name: second\n    port: 12222\n');

      const error = errorOf(
        await handle('builds.start', { vm: 'haskell-build', project, kind: 'test' }),
      );

      expect(error.code).toBe('registry-invalid');
      expect(error.message).toBe(
        `${registryFile}:5: port 12222 of second is already used by haskell-build (line 2)`,
      );
      expect(error.fix).toBeTruthy();
    });

    it('a plain Error as internal, without a fix', async () => {
      await rm(registryFile);
      await mkdir(registryFile);

      expect(errorOf(await handle('machines.list', {}))).toEqual({
        code: 'internal',
        message: expect.stringContaining('EISDIR'),
      });
    });
  });

  it('passes a thrown UserError through as code, message and fix', async () => {
    const thrown = new UserError('custom-code', 'the message', 'the fix');
    const withDialog = createApiHandler(core, {
      transport: 'ipc',
      pickFolder: () => Promise.reject(thrown),
    });

    expect(await withDialog('projects.pickFolder', {})).toEqual({
      ok: false,
      error: { code: 'custom-code', message: 'the message', fix: 'the fix' },
    });
  });

  it('returns what the native dialog picked', async () => {
    const withDialog = createApiHandler(core, {
      transport: 'ipc',
      pickFolder: () => Promise.resolve('/home/ada/app'),
    });

    expect(await withDialog('projects.pickFolder', {})).toEqual({
      ok: true,
      value: '/home/ada/app',
    });
    expect(await withDialog('app.info', {})).toMatchObject({
      ok: true,
      value: { transport: 'ipc', nativeDialogs: true },
    });
  });

  describe('projects.complete', () => {
    beforeEach(async () => {
      for (const name of ['alpha', 'alpine', 'beta', '.alcove', 'al dente']) {
        await mkdir(join(folder, 'tree', name), { recursive: true });
      }
      await writeFile(join(folder, 'tree', 'alps.txt'), 'a file, never completed');
      await writeFile(join(folder, 'tree', 'alpha.cabal'), 'a file');
    });

    it('lists only folders that start with the typed name', async () => {
      expect(await handle('projects.complete', { prefix: join(folder, 'tree', 'al') })).toEqual({
        ok: true,
        value: ['al dente', 'alpha', 'alpine'].map((name) => join(folder, 'tree', name)),
      });
    });

    it('lists every visible folder after a slash, and hidden ones when asked', async () => {
      const all = await handle('projects.complete', { prefix: join(folder, 'tree') + '/' });
      expect(all).toEqual({
        ok: true,
        value: ['al dente', 'alpha', 'alpine', 'beta'].map((name) => join(folder, 'tree', name)),
      });

      const hidden = await handle('projects.complete', { prefix: join(folder, 'tree', '.a') });
      expect(hidden).toEqual({ ok: true, value: [join(folder, 'tree', '.alcove')] });
    });

    it('lists nothing for a relative or missing prefix', async () => {
      expect(await handle('projects.complete', { prefix: 'tree/al' })).toEqual({
        ok: true,
        value: [],
      });
      expect(await handle('projects.complete', { prefix: join(folder, 'no', 'x') })).toEqual({
        ok: true,
        value: [],
      });
    });
  });
});
