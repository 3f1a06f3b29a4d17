import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { loadSettings, resolveSettings, saveSettings, settingsFile } from './settings.ts';

describe('settings', () => {
  let configDir: string;

  beforeEach(async () => {
    configDir = await mkdtemp(join(tmpdir(), 'settings-test-'));
  });

  afterEach(async () => {
    await rm(configDir, { recursive: true, force: true });
  });

  it('keeps the settings in settings.json of the config folder', () => {
    expect(settingsFile('/cfg/build-machines')).toBe('/cfg/build-machines/settings.json');
  });

  it('reads a missing file as no settings', async () => {
    expect(await loadSettings(join(configDir, 'not-there'))).toEqual({});
  });

  it('saves and loads the same settings', async () => {
    const settings = {
      registryPath: '/srv/port-registry.yml',
      buildKeyPath: '/home/ada/.ssh/id_build',
      stateHubUrl: 'http://127.0.0.1:8123',
    };

    await saveSettings(configDir, settings);

    expect(await loadSettings(configDir)).toEqual(settings);
    expect(await readFile(settingsFile(configDir), 'utf8')).toBe(
      JSON.stringify(settings, null, 2) + '\n',
    );
  });

  it.each([
    ['broken JSON', '{"registryPath": '],
    ['an empty file', ''],
    ['a trailing comma', '{"registryPath": "/x",}'],
  ])('refuses %s with a UserError naming the file', async (_label, text) => {
    await writeFile(settingsFile(configDir), text);

    const error: unknown = await loadSettings(configDir).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({
      code: 'settings-invalid',
      message: `${settingsFile(configDir)} is not valid JSON`,
      fix: 'Fix or delete the file.',
    });
  });

  it.each([
    ['a wrong type', { registryPath: 42 }, 'registryPath'],
    ['an empty path', { buildKeyPath: '' }, 'buildKeyPath'],
    ['a URL that is not one', { stateHubUrl: 'not a url' }, 'stateHubUrl'],
  ])('refuses %s, naming the file and the field', async (_label, json, field) => {
    await writeFile(settingsFile(configDir), JSON.stringify(json));

    const error: unknown = await loadSettings(configDir).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UserError);
    const { code, message, fix } = error as UserError;
    expect(code).toBe('settings-invalid');
    expect(message.startsWith(`${settingsFile(configDir)}: ${field}: `)).toBe(true);
    expect(fix).toMatch(/delete the file/);
  });

  it('refuses JSON that is not an object', async () => {
    await writeFile(settingsFile(configDir), '[1, 2]');

    await expect(loadSettings(configDir)).rejects.toMatchObject({
      code: 'settings-invalid',
      message: expect.stringMatching(new RegExp(`^${settingsFile(configDir)}: settings: `)),
    });
  });

  it('lets overrides win over the file, and the file over defaults', () => {
    const defaults = { registryPath: '/repo/port-registry.yml' };

    expect(resolveSettings({}, {}, defaults)).toEqual({
      registryPath: '/repo/port-registry.yml',
      buildKeyPath: join(homedir(), '.ssh', 'id_build'),
      stateHubUrl: 'http://127.0.0.1:8000',
    });
    expect(
      resolveSettings(
        { registryPath: '/file/reg.yml', stateHubUrl: 'http://127.0.0.1:9' },
        { registryPath: '/flag/reg.yml', buildKeyPath: '/flag/key' },
        defaults,
      ),
    ).toEqual({
      registryPath: '/flag/reg.yml',
      buildKeyPath: '/flag/key',
      stateHubUrl: 'http://127.0.0.1:9',
    });
  });
});
