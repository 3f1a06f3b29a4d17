import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The wasm HCL parser must be loaded once per process: this is its only importer.
import { parse as parseHcl } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const run = promisify(execFile);
const TEMPLATE_DIR = fileURLToPath(new URL('../../../packer/haskell/', import.meta.url));
const TEMPLATE = join(TEMPLATE_DIR, 'haskell-build.pkr.hcl');
const SHELLCHECK = '/usr/bin/shellcheck';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

type Json = Record<string, unknown>;
let hcl: Json = {};

function only(value: unknown): Json {
  expect(Array.isArray(value) && value.length === 1).toBe(true);
  return (value as Json[])[0] as Json;
}

/** Every bash script in the image: files whose first line is a bash shebang. */
async function shellScripts(): Promise<string[]> {
  const scripts: string[] = [];
  for (const folder of ['scripts', 'files']) {
    for (const name of await readdir(join(TEMPLATE_DIR, folder))) {
      const path = join(TEMPLATE_DIR, folder, name);
      if ((await readFile(path, 'utf8')).startsWith('#!/usr/bin/env bash')) scripts.push(path);
    }
  }
  return scripts;
}

beforeAll(async () => {
  hcl = (await parseHcl('haskell-build.pkr.hcl', await readFile(TEMPLATE, 'utf8'))) as Json;
});

describe('packer/haskell template', () => {
  it('requires the VirtualBox plugin and Packer 1.10 or newer', () => {
    const packer = only(hcl.packer);
    expect(packer.required_version).toBe('>= 1.10.0');
    const plugins = only(packer.required_plugins) as Record<string, Json>;
    expect(plugins.virtualbox).toEqual({
      source: 'github.com/hashicorp/virtualbox',
      version: '~> 1',
    });
  });

  it('declares the variables with their defaults', () => {
    const variables = hcl.variable as Record<string, Json[]>;
    const defaults = Object.fromEntries(
      Object.entries(variables).map(([name, [declaration]]) => [name, declaration?.default]),
    );
    expect(defaults).toMatchObject({
      ghc_versions: ['9.8.4', '9.6.6'],
      cabal_version: expect.stringMatching(/^\d+\.\d+\.\d+(\.\d+)?$/),
      cpus: expect.any(Number),
      memory: expect.any(Number),
      disk_size: expect.any(Number),
      iso_url: expect.stringMatching(/ubuntu-24\.04(\.\d+)?-live-server-amd64\.iso$/),
      iso_checksum: expect.any(String),
      vm_name: 'haskell-build',
    });
    expect(variables.ssh_password?.[0]?.sensitive).toBe(true);
  });

  it('builds headless from the Ubuntu ISO with autoinstall served over Packer HTTP', async () => {
    const source = only(
      (hcl.source as Record<string, Record<string, unknown>>)['virtualbox-iso']?.haskell,
    );
    expect(source.headless).toBe(true);
    expect(source.http_directory).toBe('${path.root}/http');
    expect((source.boot_command as string[]).join('')).toMatch(
      /autoinstall ds=nocloud\\;s=http:\/\/\{\{ \.HTTPIP \}\}:\{\{ \.HTTPPort \}\}\//,
    );
    expect(existsSync(join(TEMPLATE_DIR, 'http', 'meta-data'))).toBe(true);
    const userData = await readFile(join(TEMPLATE_DIR, 'http', 'user-data'), 'utf8');
    expect(userData.split('\n')[0]).toBe('#cloud-config');
    const autoinstall = (parseYaml(userData) as { autoinstall: Json }).autoinstall;
    expect(autoinstall.version).toBe(1);
    expect(autoinstall.identity).toMatchObject({ username: 'builder' });
    expect(autoinstall.ssh).toMatchObject({ 'install-server': true, 'allow-pw': true });
  });

  it('writes haskell-build-YYYYMMDD.ova', () => {
    const source = only(
      (hcl.source as Record<string, Record<string, unknown>>)['virtualbox-iso']?.haskell,
    );
    const locals = only(hcl.locals);
    expect(source.format).toBe('ova');
    expect(source.output_directory).toBe('${var.output_directory}');
    expect(source.output_filename).toBe('${var.vm_name}-${local.build_date}');
    expect(locals.build_date).toBe('${formatdate("YYYYMMDD", timestamp())}');
  });

  it('runs every provisioning script that exists, ending with the clean-up', async () => {
    const build = only(hcl.build);
    const shell = (build.provisioner as Record<string, Json[]>).shell ?? [];
    const scripts = shell.flatMap((step) => (step.scripts as string[] | undefined) ?? []);
    expect(scripts.at(-1)).toBe('${path.root}/scripts/90-cleanup.sh');
    for (const script of scripts) {
      expect(existsSync(join(TEMPLATE_DIR, script.replace('${path.root}/', '')))).toBe(true);
    }
  });
});

describe.skipIf(!existsSync(SHELLCHECK))('packer/haskell shell scripts', () => {
  it('finds the scripts and the agent', async () => {
    const names = (await shellScripts()).map((path) => path.slice(TEMPLATE_DIR.length));
    expect(names).toEqual(expect.arrayContaining(['files/build-agent', 'scripts/20-ghcup.sh']));
  });

  it('pass shellcheck', async () => {
    const scripts = await shellScripts();
    const result = await run(SHELLCHECK, ['--shell=bash', '--severity=style', ...scripts]).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('');
  });

  it('use set -euo pipefail', async () => {
    for (const script of await shellScripts()) {
      expect(await readFile(script, 'utf8'), script).toMatch(/^set -euo pipefail$/m);
    }
  });
});

describe('packer/haskell systemd units', () => {
  const units = [
    'build-agent.service',
    'lock-password-login.service',
    'lock-password-login.path',
    'ssh-host-keys.service',
  ];

  it('build-agent.service restarts always and waits for the network', async () => {
    const unit = await readFile(join(TEMPLATE_DIR, 'files', 'build-agent.service'), 'utf8');
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^After=network-online\.target$/m);
    expect(unit).toMatch(/^Wants=network-online\.target$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/build-agent$/m);
  });

  it('pass systemd-analyze verify', async (context) => {
    if (!existsSync(SYSTEMD_ANALYZE)) {
      console.log(`skipping systemd-analyze verify: ${SYSTEMD_ANALYZE} is not installed`);
      context.skip();
      return;
    }
    // verify fails when ExecStart's program is missing: point it at copies in a temp dir.
    const dir = await mkdtemp(join(tmpdir(), 'bm-units-'));
    try {
      for (const program of ['build-agent', 'lock-password-login']) {
        await copyFile(join(TEMPLATE_DIR, 'files', program), join(dir, program));
      }
      for (const unit of units) {
        const text = (await readFile(join(TEMPLATE_DIR, 'files', unit), 'utf8'))
          .replace('/usr/local/bin/build-agent', join(dir, 'build-agent'))
          .replace('/usr/local/sbin/lock-password-login', join(dir, 'lock-password-login'));
        await writeFile(join(dir, unit), text);
      }
      for (const unit of units) {
        const output = await run(SYSTEMD_ANALYZE, ['verify', join(dir, unit)]).then(
          ({ stderr }) => stderr,
          (error: { stderr?: string }) => `FAILED: ${error.stderr ?? String(error)}`,
        );
        expect(output, unit).not.toMatch(/FAILED|error|Unknown/i);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
