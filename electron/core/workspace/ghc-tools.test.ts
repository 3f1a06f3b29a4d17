import { describe, expect, it } from 'vitest';

import { AptPackage } from '../api/contract-workspace.ts';
import { aptCommand, ghcupCommand, parseGhcListing } from './ghc-tools.ts';

describe('parseGhcListing', () => {
  it('reads the lab VM: Debian GHC, no GHCup', () => {
    expect(parseGhcListing('BM-GHCUP \nBM-DEFAULT 9.0.2\n9.0.2\n')).toEqual({
      ghcup: false,
      versions: [{ version: '9.0.2', isDefault: true }],
    });
  });

  it('reads a GHCup VM with two versions and marks the one `ghc` runs', () => {
    const text = 'BM-GHCUP /home/builder/.ghcup/bin/ghcup\nBM-DEFAULT 9.8.4\n9.6.6\n9.8.4\n';
    expect(parseGhcListing(text)).toEqual({
      ghcup: true,
      versions: [
        { version: '9.6.6', isDefault: false },
        { version: '9.8.4', isDefault: true },
      ],
    });
  });

  it('lists a default that only exists as plain `ghc` (no ghc-X.Y.Z beside it)', () => {
    expect(parseGhcListing('BM-GHCUP \nBM-DEFAULT 9.4.8\n').versions).toEqual([
      { version: '9.4.8', isDefault: true },
    ]);
  });

  it('shows no default when no `ghc` is on PATH', () => {
    expect(parseGhcListing('BM-GHCUP \nBM-DEFAULT \n9.2.8\n').versions).toEqual([
      { version: '9.2.8', isDefault: false },
    ]);
  });
});

describe('GHCup and apt commands', () => {
  it('quote the version and end apt options before the package names', () => {
    expect(ghcupCommand('install', '9.10.1')).toMatch(/; ghcup install ghc 9\.10\.1$/);
    expect(aptCommand(['libgmp-dev', 'zlib1g-dev'])).toBe(
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -- libgmp-dev zlib1g-dev',
    );
  });

  it('accept Debian package names and refuse options, globs and shell text', () => {
    for (const name of ['libgmp-dev', 'libc6-dev:amd64', 'g++', 'libghc-text-dev', 'lib2.0']) {
      expect(AptPackage.safeParse(name).success, name).toBe(true);
    }
    for (const name of ['-y', '--allow-unauthenticated', 'Lib', 'a', 'x;reboot', 'lib*', '']) {
      expect(AptPackage.safeParse(name).success, name).toBe(false);
    }
  });
});
