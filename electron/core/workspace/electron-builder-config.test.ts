import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  extraResources: { from: string; to: string }[];
  linux: { target: string[]; icon: string; maintainer: string };
  mac: { target: string; icon: string };
  win: { target: string; icon: string };
}

const config = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

describe('electron-builder.yml', () => {
  it('names the app and builds AppImage and deb, dmg, and nsis', () => {
    expect(config.productName).toBe('Build Machines');
    expect(config.appId).toMatch(/^[a-z0-9.-]+$/);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.linux.maintainer).toMatch(/<.+@.+>/);
    expect(config.mac.target).toBe('dmg');
    expect(config.win.target).toBe('nsis');
  });

  it('ships the electron-vite output for main, preload and renderer, and package.json', () => {
    for (const part of ['out/main/**', 'out/preload/**', 'out/renderer/**', 'package.json']) {
      expect(config.files).toContain(part);
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main.startsWith('out/main/')).toBe(true);
  });

  it('ships the Packer template and agent files, from paths that exist', () => {
    for (const resource of config.extraResources) {
      expect(existsSync(join(ROOT, resource.from)), resource.from).toBe(true);
    }
    const packer = config.extraResources.find((resource) => resource.from === 'packer/haskell');
    expect(packer?.to).toBe('packer/haskell');
    expect(existsSync(join(ROOT, 'packer/haskell/haskell-build.pkr.hcl'))).toBe(true);
    expect(existsSync(join(ROOT, 'packer/haskell/files/build-agent'))).toBe(true);
  });

  it('takes every platform icon from resources/icons/icon.png, which exists', () => {
    for (const platform of [config.linux, config.mac, config.win]) {
      expect(platform.icon).toBe('resources/icons/icon.png');
    }
    expect(existsSync(join(ROOT, 'resources/icons/icon.png'))).toBe(true);
  });
});
