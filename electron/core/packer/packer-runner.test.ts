import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { LocalRunner } from '../exec/local-runner.ts';
import { addLogSink, type LogRecord } from '../log/logger.ts';
import { buildArguments, PackerRunner } from './packer-runner.ts';

// A stand-in for packer, copied beside its "mode" and "version" files for each test.
const FAKE_PACKER = fileURLToPath(new URL('./fixtures/fake-packer', import.meta.url));

let dir = '';
let packer = '';
let records: LogRecord[] = [];
let removeSink: () => void = () => {};

async function setMode(mode: string, version = '1.11.2') {
  await writeFile(join(dir, 'mode'), mode);
  await writeFile(join(dir, 'version'), version);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bm-packer-runner-'));
  packer = join(dir, 'packer');
  await copyFile(FAKE_PACKER, packer);
  await chmod(packer, 0o755);
  await mkdir(join(dir, 'template'));
  records = [];
  removeSink = addLogSink((record) => records.push(record));
});

afterEach(async () => {
  removeSink();
  await rm(dir, { recursive: true, force: true });
});

describe('PackerRunner', () => {
  it('checks the version, runs init, builds, and returns the OVA path and size', async () => {
    await setMode('success');
    const steps: string[] = [];
    const lines: string[] = [];
    const output = join(dir, 'out');

    const result = await new PackerRunner(new LocalRunner(), packer).build({
      templateDir: join(dir, 'template'),
      ghcVersions: ['9.8.4', '9.6.6'],
      variables: { ssh_password: 'not-in-logs' },
      outputDirectory: output,
      buildId: 'test-success',
      onStep: (step) => steps.push(step.step),
      onLog: (line) => lines.push(line.text),
    });

    expect(result).toMatchObject({
      status: 'succeeded',
      ovaPath: join(output, 'haskell-build-20260420.ova'),
      sizeBytes: 4096,
      packerVersion: '1.11.2',
    });
    expect(steps).toEqual(['Creating virtual machine...', 'Exporting virtual machine...']);
    expect(lines).toContain("Build 'virtualbox-iso.haskell' finished after 1 second.");
    expect((await readFile(join(dir, 'args-init'), 'utf8')).trim().split('\n')).toEqual([
      'init',
      join(dir, 'template'),
    ]);
    expect((await readFile(join(dir, 'args-build'), 'utf8')).trim().split('\n')).toEqual([
      'build',
      '-machine-readable',
      '-var',
      'ghc_versions=["9.8.4","9.6.6"]',
      '-var',
      'ssh_password=not-in-logs',
      '-var',
      `output_directory=${output}`,
      join(dir, 'template'),
    ]);
    expect(records.every((record) => record.scope === 'build:test-success')).toBe(true);
    expect(JSON.stringify(records)).not.toContain('not-in-logs');
    expect(records.map((record) => record.message)).toContain('packer build succeeded');
  });

  it('keeps the failing step, the errors, a diagnosis and the whole log on failure', async () => {
    await setMode('fail');
    const result = await new PackerRunner(new LocalRunner(), packer).build({
      templateDir: join(dir, 'template'),
      outputDirectory: join(dir, 'out'),
    });

    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.failedStep).toBe('Starting the virtual machine...');
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(/^Error starting VM: VBoxManage error/);
    expect(result.diagnoses).toContainEqual(
      expect.objectContaining({ kind: 'vbox-session-locked', vmName: 'haskell-build-packer-1' }),
    );
    expect(result.log).toHaveLength(5);
    expect(result.log.at(-1)?.text).toMatch(/errored after 2 seconds/);
  });

  it('cancels: interrupts packer and removes the partial output directory', async () => {
    await setMode('hang');
    const controller = new AbortController();
    const output = join(dir, 'out');
    const result = await new PackerRunner(new LocalRunner(), packer).build({
      templateDir: join(dir, 'template'),
      outputDirectory: output,
      signal: controller.signal,
      onStep: (step) => {
        if (step.step.startsWith('Waiting for SSH')) controller.abort();
      },
    });

    expect(result).toMatchObject({ status: 'cancelled', outputRemoved: true });
    await expect(stat(output)).rejects.toThrow(/ENOENT/);
  }, 20_000);

  it('refuses an output directory that already exists', async () => {
    await setMode('success');
    await mkdir(join(dir, 'out'));
    const error = await new PackerRunner(new LocalRunner(), packer)
      .build({ templateDir: join(dir, 'template'), outputDirectory: join(dir, 'out') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe('packer-output-exists');
  });

  it('refuses a Packer older than 1.10 before running init', async () => {
    await setMode('success', '1.9.4');
    const error = await new PackerRunner(new LocalRunner(), packer)
      .build({ templateDir: join(dir, 'template'), outputDirectory: join(dir, 'out') })
      .catch((e: unknown) => e);
    expect((error as UserError).code).toBe('packer-too-old');
    await expect(stat(join(dir, 'args-init'))).rejects.toThrow(/ENOENT/);
  });

  it('rejects GHC versions and variable names that are not well formed', () => {
    expect(() => buildArguments({ templateDir: 't', ghcVersions: ['9.8'] }, 'o')).toThrow(
      /Not a GHC version: 9\.8/,
    );
    expect(() => buildArguments({ templateDir: 't', ghcVersions: [] }, 'o')).toThrow(UserError);
    expect(() => buildArguments({ templateDir: 't', variables: { '-x': '1' } }, 'o')).toThrow(
      /Not a Packer variable name/,
    );
  });
});
