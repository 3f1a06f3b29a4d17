import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { copyFixture } from '../support/fixtures.ts';
import { labEnv } from '../support/lab-env.ts';

const lab = labEnv();
const ROOT = new URL('../../', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a user runs it (`make` calls the same), with the lab's registry and key. */
function bm(...args: string[]): Promise<Run> {
  return bmWithInput(undefined, ...args);
}

function bmWithInput(input: string | undefined, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      join(ROOT, 'node_modules/.bin/tsx'),
      ['electron/cli/main.ts', ...args, '--registry', lab.registry, '--key', lab.buildKey, '-q'],
      {
        cwd: ROOT,
        env: { ...process.env, BM_CONFIG_DIR: lab.configDir },
        timeout: 90_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

let project: string;

beforeAll(async () => {
  project = await copyFixture('hello');
  const built = await bm('remote-build', '--project', project);
  expect(built.code, built.stderr).toBe(0);
});

describe('workspace commands against the lab VM', () => {
  it('remote-ghci runs cabal repl in the project and exits with its status', async () => {
    const run = await bmWithInput(':t map\n:quit\n', 'remote-ghci', '--project', project);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('map :: (a -> b) -> [a] -> [b]');
    expect(run.stdout).toMatch(/Leaving GHCi/);
  });

  it('fetch-artifacts copies the executable, prints its checksum and exits 0', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'bm-cli-artifacts-'));
    const run = await bm('fetch-artifacts', '--project', project, '--dest', dest, '--json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { files: { localPath: string; sha256: string }[] };
    expect(result.files).toHaveLength(1);
    expect(result.files[0]).toMatchObject({ localPath: join(dest, 'hello'), verified: true });
    expect(result.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fetch-artifacts exits 2 with a fix for a project without executables', async () => {
    const library = await copyFixture('type-error');
    const run = await bm('fetch-artifacts', '--project', library);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/declares no executable/);
    expect(run.stderr).toMatch(/fix: /);
  });

  it('ghc-list shows the VM compiler as the default and exits 0', async () => {
    const human = await bm('ghc-list');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('* 9.0.2');
    expect(human.stdout).toContain('GHCup is not installed');

    const json = await bm('ghc-list', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      ghcup: false,
      versions: [{ version: '9.0.2', isDefault: true }],
    });
  });

  it('ghc-install and ghc-default say GHCup is missing (exit 2), refuse bad versions', async () => {
    const install = await bm('ghc-install', '9.10.1');
    expect(install.code).toBe(2);
    expect(install.stderr).toMatch(/GHCup is not installed on lab-vm1/);

    const setDefault = await bm('ghc-default', '9.0.2');
    expect(setDefault.code).toBe(2);
    expect(setDefault.stderr).toMatch(/GHCup is not installed/);

    const bad = await bm('ghc-install', '9.10.1; rm -rf ~');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/version: a GHC version such as 9\.8\.4/);
  });

  it('apt-install refuses bad package names and explains missing sudo (exit 2)', async () => {
    const bad = await bm('apt-install', 'libgmp-dev', 'zlib1g-dev;reboot');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/packages\.1: a Debian package name/);

    const noSudo = await bm('apt-install', 'libgmp-dev');
    expect(noSudo.code).toBe(2);
    expect(noSudo.stderr).toMatch(/cannot run sudo without a password/);
  });
});
