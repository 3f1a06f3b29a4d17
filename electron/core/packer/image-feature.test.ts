import { access, chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { ImageBuild } from '../api/contract-image.ts';
import type { EventName } from '../api/contract.ts';
import { EventBus } from '../events/event-bus.ts';
import { LocalRunner } from '../exec/local-runner.ts';
import type { CoreContext, Feature } from '../feature.ts';
import { createImageFeature, type ImageFeatureOperations } from './image-feature.ts';

// Packer and VBoxManage are the two programs that may be simulated; both fakes print the real
// formats (machine-readable packer lines, `VBoxManage --version`).
const FAKE_PACKER = fileURLToPath(new URL('./fixtures/fake-packer', import.meta.url));
const FAKE_VBOX = fileURLToPath(new URL('./fixtures/fake-vboxmanage', import.meta.url));
const HOST = { transport: 'websocket' as const };

let dir = '';
let events: EventBus;
let seen: { name: EventName; payload: unknown }[] = [];
let feature: Feature<ImageFeatureOperations> | undefined;

async function setup(mode: string, packerVersion = '1.11.2', vbox = '7.0.14r161095') {
  await writeFile(join(dir, 'bin', 'mode'), mode);
  await writeFile(join(dir, 'bin', 'version'), packerVersion);
  await writeFile(join(dir, 'bin', 'vbox-version'), `${vbox}\n`);
  feature = await open();
  return feature.handlers;
}

function open(packerPath = join(dir, 'bin', 'packer')) {
  const context = { paths: { configDir: dir, stateDir: join(dir, 'state') }, events };
  return createImageFeature(context as unknown as CoreContext, {
    runner: new LocalRunner(),
    templateDir: join(dir, 'template'),
    packerPath,
    vboxManagePath: join(dir, 'bin', 'VBoxManage'),
  });
}

/** Resolves with the first `image.updated` payload for which `test` holds. */
function update(test: (build: ImageBuild) => boolean, timeoutMs = 10_000): Promise<ImageBuild> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no matching image.updated event')), timeoutMs);
    const stop = events.subscribe((name, payload) => {
      if (name !== 'image.updated' || !test(payload as ImageBuild)) return;
      clearTimeout(timer);
      stop();
      resolve(payload as ImageBuild);
    });
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bm-image-feature-'));
  await mkdir(join(dir, 'bin'));
  await mkdir(join(dir, 'template'));
  await copyFile(FAKE_PACKER, join(dir, 'bin', 'packer'));
  await copyFile(FAKE_VBOX, join(dir, 'bin', 'VBoxManage'));
  await chmod(join(dir, 'bin', 'packer'), 0o755);
  await chmod(join(dir, 'bin', 'VBoxManage'), 0o755);
  events = new EventBus();
  seen = [];
  events.subscribe((name, payload) => seen.push({ name, payload }));
});

afterEach(async () => {
  await feature?.close();
  feature = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('image feature: checking the tools', () => {
  it("says Debian's packer 1.6.6 is too old, with the fix, and refuses to build", async () => {
    // The real Debian packer on this machine, not the fake.
    await writeFile(join(dir, 'bin', 'vbox-version'), '7.0.14r161095\n');
    feature = await open('/usr/bin/packer');
    const check = await feature.handlers['image.check']({}, HOST);

    expect(check.ready).toBe(false);
    expect(check.virtualbox).toEqual({ ok: true, version: '7.0.14' });
    expect(check.packer.ok).toBe(false);
    expect(check.packer.message).toMatch(/Packer 1\.6\.6 on local is too old.*1\.10\.0 or newer/);
    expect(check.packer.fix).toMatch(/developer\.hashicorp\.com\/packer\/install/);

    await expect(
      feature.handlers['image.build']({ ghcVersions: ['9.8.4'] }, HOST),
    ).rejects.toMatchObject({ code: 'image-tools-missing', message: check.packer.message });
  });

  it('names a missing Packer and a VirtualBox without its kernel driver', async () => {
    await writeFile(
      join(dir, 'bin', 'vbox-version'),
      'WARNING: The vboxdrv kernel module is not loaded. Either there is no module\n' +
        '         available for the current kernel or it failed to load.\n\n' +
        '           sudo /sbin/vboxconfig\n\n7.0.14r161095\n',
    );
    feature = await open(join(dir, 'bin', 'no-such-packer'));
    const check = await feature.handlers['image.check']({}, HOST);

    expect(check.packer).toMatchObject({
      ok: false,
      message: expect.stringMatching(/not installed/),
    });
    expect(check.virtualbox).toMatchObject({
      ok: false,
      message: expect.stringMatching(/kernel driver \(vboxdrv\) is not loaded/),
      fix: expect.stringMatching(/sudo \/sbin\/vboxconfig/),
    });
  });
});

describe('image feature: building', () => {
  it('streams log lines and steps, and reports the OVA ready to import', async () => {
    const handlers = await setup('success');
    const started = await handlers['image.build']({ ghcVersions: ['9.8.4', '9.6.6'] }, HOST);
    expect(started).toMatchObject({ status: 'running', ghcVersions: ['9.8.4', '9.6.6'] });

    const done = await update((build) => build.id === started.id && build.status !== 'running');
    expect(done).toMatchObject({
      status: 'succeeded',
      ovaPath: join(done.outputDirectory, 'haskell-build-20260420.ova'),
      sizeBytes: 4096,
      packerVersion: '1.11.2',
    });
    const steps = seen
      .filter((event) => event.name === 'image.updated')
      .map((event) => (event.payload as ImageBuild).step);
    expect(steps).toContain('Exporting virtual machine...');
    const streamed = seen
      .filter((event) => event.name === 'image.output')
      .flatMap((event) => (event.payload as { lines: { text: string }[] }).lines)
      .map((line) => line.text);
    expect(streamed).toContain('==> virtualbox-iso.haskell: Creating virtual machine...');

    const list = await handlers['image.list']({}, HOST);
    expect(list.map((build) => build.id)).toEqual([started.id]);
    const { lines } = await handlers['image.log']({ buildId: started.id }, HOST);
    expect(lines.map((line) => line.text)).toEqual(streamed);
  });

  it('keeps the full log of a failed build, naming the failing step, after a restart', async () => {
    const handlers = await setup('fail');
    const started = await handlers['image.build']({ ghcVersions: ['9.8.4'] }, HOST);
    const done = await update((build) => build.id === started.id && build.status !== 'running');

    expect(done.status).toBe('failed');
    expect(done.failedStep).toBe('Starting the virtual machine...');
    expect(done.errors.join('\n')).toMatch(/Error starting VM/);

    await feature!.close();
    feature = await open();
    const again = await feature.handlers['image.get']({ buildId: started.id }, HOST);
    expect(again).toMatchObject({
      status: 'failed',
      failedStep: 'Starting the virtual machine...',
    });
    const { lines } = await feature.handlers['image.log']({ buildId: started.id }, HOST);
    expect(lines.length).toBe(done.logLines);
    expect(lines.some((line) => line.level === 'error' && /already locked/.test(line.text))).toBe(
      true,
    );
  });

  it('cancels a running build: Packer is interrupted and the partial output removed', async () => {
    const handlers = await setup('hang');
    const started = await handlers['image.build']({ ghcVersions: ['9.8.4'] }, HOST);
    await update((build) => build.step === 'Waiting for SSH to become available...');
    await access(join(started.outputDirectory, 'partial.vmdk'));

    await expect(handlers['image.build']({ ghcVersions: ['9.8.4'] }, HOST)).rejects.toMatchObject({
      code: 'image-build-running',
    });

    const cancelled = await handlers['image.cancel']({ buildId: started.id }, HOST);
    expect(cancelled).toMatchObject({ status: 'cancelled', outputRemoved: true });
    await expect(access(started.outputDirectory)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(cancelled.durationMs).toBeLessThan(5_000);
  });

  it('refuses a GHC version Packer cannot install before starting anything', async () => {
    const handlers = await setup('success');
    await expect(handlers['image.build']({ ghcVersions: ['9.8'] }, HOST)).rejects.toMatchObject({
      code: 'packer-bad-ghc-version',
    });
    expect(await handlers['image.list']({}, HOST)).toEqual([]);
  });
});
