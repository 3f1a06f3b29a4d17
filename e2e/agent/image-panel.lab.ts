import { chmod, copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../electron/core/core.ts';
import { coreForLab } from '../support/core-for-lab.ts';
import { labEnv } from '../support/lab-env.ts';
import { openPanel, type PanelInBrowser } from '../support/panel-browser.ts';

/**
 * "Build image" in the panel, in Chromium over browser mode. Packer and VBoxManage are the
 * unit tests' simulators (real machine-readable output and `--version` format), put first on
 * PATH as a user's own install would be; everything else is the real panel.
 */

const FIXTURES = new URL('../../electron/core/packer/fixtures/', import.meta.url);
const lab = labEnv();
const saved = { PATH: process.env.PATH, template: process.env.BM_PACKER_TEMPLATE_DIR };
let bin = '';
let core: Core;
let panel: PanelInBrowser;

async function packerPlays(mode: 'success' | 'hang' | 'fail', version = '1.11.2') {
  await writeFile(join(bin, 'mode'), mode);
  await writeFile(join(bin, 'version'), version);
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bm-image-e2e-'));
  bin = join(dir, 'bin');
  await mkdir(bin);
  await mkdir(join(dir, 'haskell'));
  for (const [fixture, name] of [
    ['fake-packer', 'packer'],
    ['fake-vboxmanage', 'VBoxManage'],
  ] as const) {
    await copyFile(new URL(fixture, FIXTURES), join(bin, name));
    await chmod(join(bin, name), 0o755);
  }
  await writeFile(join(bin, 'vbox-version'), '7.0.14r161095\n');
  await packerPlays('hang', '1.6.6');

  process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
  process.env.BM_PACKER_TEMPLATE_DIR = join(dir, 'haskell');
  core = await coreForLab(lab);
  panel = await openPanel(core);
  await panel.page.getByRole('tab', { name: 'Image' }).click();
});

afterAll(async () => {
  await panel?.close();
  await core?.close();
  process.env.PATH = saved.PATH;
  if (saved.template === undefined) delete process.env.BM_PACKER_TEMPLATE_DIR;
  else process.env.BM_PACKER_TEMPLATE_DIR = saved.template;
});

describe('Build image from the panel', () => {
  it('says a too old Packer cannot build, with the fix, and keeps Build disabled', async () => {
    const { page } = panel;
    const error = page.getByTestId('image-packer-error');
    await error.waitFor({ timeout: 10_000 });
    expect(await error.innerText()).toMatch(/Packer 1\.6\.6 on local is too old/);
    expect(await error.innerText()).toMatch(/developer\.hashicorp\.com\/packer\/install/);
    expect(await page.getByTestId('image-virtualbox').innerText()).toContain('7.0.14');
    expect(await page.getByTestId('image-build').isDisabled()).toBe(true);
  });

  it('shows the live log and step, and cancels a running build', async () => {
    const { page } = panel;
    await packerPlays('hang');
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByTestId('image-packer').getByText('1.11.2').waitFor({ timeout: 10_000 });

    await page.getByTestId('image-ghc').fill('9.8.4, 9.6.6');
    await page.getByTestId('image-build').click();
    const step = page.getByTestId('image-step');
    await step.getByText('Waiting for SSH to become available...').waitFor({ timeout: 10_000 });
    const log = page.getByTestId('image-log');
    expect(await log.innerText()).toContain(
      '==> virtualbox-iso.haskell: Creating virtual machine...',
    );
    expect(await page.getByTestId('image-status').innerText()).toMatch(/running/i);

    await page.getByTestId('image-cancel').click();
    await page.getByTestId('image-status').getByText('cancelled').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('image-result').innerText()).toContain(
      'the partial output was removed',
    );
  });

  it('builds successfully and shows the OVA ready to import', async () => {
    const { page } = panel;
    await packerPlays('success');
    await page.getByTestId('image-build').click();

    const result = page.getByTestId('image-result');
    await result.getByText('Ready to import').waitFor({ timeout: 15_000 });
    expect(await result.innerText()).toMatch(
      new RegExp(
        'Ready to import: .*/haskell/output-\\d{8}-\\d{6}/haskell-build-20260420\\.ova ' +
          '\\(4\\.0 KiB\\) on local',
      ),
    );
    expect(await page.getByTestId('image-log').innerText()).toContain(
      "Build 'virtualbox-iso.haskell' finished after 1 second.",
    );
    const rows = page.getByTestId('image-history').locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().innerText()).toMatch(/9\.8\.4, 9\.6\.6\s+succeeded/);
  });
});
