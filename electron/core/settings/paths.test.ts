import { homedir } from 'node:os';

import { afterEach, describe, expect, it } from 'vitest';

import { resolveAppPaths } from './paths.ts';

const HOME = '/home/ada';
const realPlatform = process.platform;

function pretendPlatform(platform: NodeJS.Platform): void {
  Object.defineProperty(process, 'platform', { value: platform, configurable: true });
}

describe('resolveAppPaths', () => {
  afterEach(() => {
    pretendPlatform(realPlatform);
  });

  describe('on Linux', () => {
    it('uses ~/.config and ~/.local/state without XDG variables', () => {
      pretendPlatform('linux');
      expect(resolveAppPaths({ HOME })).toEqual({
        configDir: '/home/ada/.config/build-machines',
        stateDir: '/home/ada/.local/state/build-machines',
      });
    });

    it('follows XDG_CONFIG_HOME and XDG_STATE_HOME', () => {
      pretendPlatform('linux');
      const env = { HOME, XDG_CONFIG_HOME: '/cfg', XDG_STATE_HOME: '/var/state/ada' };
      expect(resolveAppPaths(env)).toEqual({
        configDir: '/cfg/build-machines',
        stateDir: '/var/state/ada/build-machines',
      });
    });

    it('ignores empty and relative XDG variables, as the XDG spec says', () => {
      pretendPlatform('linux');
      expect(
        resolveAppPaths({ HOME, XDG_CONFIG_HOME: '', XDG_STATE_HOME: 'relative/state' }),
      ).toEqual({
        configDir: '/home/ada/.config/build-machines',
        stateDir: '/home/ada/.local/state/build-machines',
      });
    });

    it('lets BM_CONFIG_DIR and BM_STATE_DIR win over XDG', () => {
      pretendPlatform('linux');
      const env = {
        HOME,
        XDG_CONFIG_HOME: '/cfg',
        XDG_STATE_HOME: '/state',
        BM_CONFIG_DIR: '/tmp/bm-config',
        BM_STATE_DIR: '/tmp/bm-state',
      };
      expect(resolveAppPaths(env)).toEqual({
        configDir: '/tmp/bm-config',
        stateDir: '/tmp/bm-state',
      });
    });

    it('overrides each folder on its own', () => {
      pretendPlatform('linux');
      expect(resolveAppPaths({ HOME, BM_STATE_DIR: '/tmp/s' })).toEqual({
        configDir: '/home/ada/.config/build-machines',
        stateDir: '/tmp/s',
      });
    });

    it('treats empty overrides and an empty HOME as unset', () => {
      pretendPlatform('linux');
      expect(resolveAppPaths({ HOME: '', BM_CONFIG_DIR: '', BM_STATE_DIR: '' })).toEqual({
        configDir: `${homedir()}/.config/build-machines`,
        stateDir: `${homedir()}/.local/state/build-machines`,
      });
    });
  });

  it('uses Application Support on macOS', () => {
    pretendPlatform('darwin');
    expect(resolveAppPaths({ HOME, XDG_CONFIG_HOME: '/ignored' })).toEqual({
      configDir: '/home/ada/Library/Application Support/Build Machines',
      stateDir: '/home/ada/Library/Application Support/Build Machines/state',
    });
    expect(resolveAppPaths({ HOME, BM_CONFIG_DIR: '/c' }).configDir).toBe('/c');
  });

  it('uses APPDATA and LOCALAPPDATA on Windows', () => {
    pretendPlatform('win32');
    const env = { HOME, APPDATA: '/roaming', LOCALAPPDATA: '/local' };
    expect(resolveAppPaths(env)).toEqual({
      configDir: '/roaming/Build Machines',
      stateDir: '/local/Build Machines',
    });
    expect(resolveAppPaths({ ...env, BM_STATE_DIR: '/s' }).stateDir).toBe('/s');
  });

  it('reads process.env by default', () => {
    const saved = { config: process.env.BM_CONFIG_DIR, state: process.env.BM_STATE_DIR };
    process.env.BM_CONFIG_DIR = '/from/env/config';
    process.env.BM_STATE_DIR = '/from/env/state';
    try {
      expect(resolveAppPaths()).toEqual({
        configDir: '/from/env/config',
        stateDir: '/from/env/state',
      });
    } finally {
      for (const [key, value] of [
        ['BM_CONFIG_DIR', saved.config],
        ['BM_STATE_DIR', saved.state],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
