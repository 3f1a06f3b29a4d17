import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../electron/core/core.ts';
import { coreForLab } from '../support/core-for-lab.ts';
import { copyFixture } from '../support/fixtures.ts';
import { labEnv } from '../support/lab-env.ts';
import { expectCount, expectExactText, expectText } from '../support/page-expect.ts';
import { openPanel, type PanelInBrowser } from '../support/panel-browser.ts';

const lab = labEnv();
let core: Core;
let panel: PanelInBrowser;

beforeAll(async () => {
  core = await coreForLab(lab);
  panel = await openPanel(core);
});

afterAll(async () => {
  await panel?.close();
  await core?.close();
});

describe('building from the panel in Chromium (browser mode, lab VM)', () => {
  it('shows the VM card answering through its tunnel', async () => {
    const card = panel.page.getByTestId(`vm-card-${lab.vm}`);
    await expectText(card.getByTestId('vm-ssh-state'), 'SSH answers', 15_000);
    await expectText(card, `localhost:${lab.port}`);
  });

  it('streams a GHC type error into the log and the diagnostics, then a fixed build', async () => {
    const { page } = panel;
    const project = await copyFixture('type-error');

    await page.getByTestId('project-path').fill(project);
    await page.getByTestId('project-path').blur();
    await expectText(page.getByTestId('project-info'), 'type-error.cabal');
    await page.getByRole('button', { name: 'Build', exact: true }).click();

    const log = page.getByTestId('build-log');
    await expectText(log, "Couldn't match type", 60_000);
    await expectExactText(page.getByTestId('run-state'), 'failed', 60_000);
    await expectExactText(page.getByTestId('run-exit-code'), 'exit code 1');

    const diagnostic = page.getByTestId('diagnostic').filter({ hasText: 'src/Greeting.hs:8:9' });
    await expectText(diagnostic, 'error');
    await diagnostic.click();
    const marked = log.locator('.log-line.marked');
    await expectText(marked, 'src/Greeting.hs:8:9');
    expect(await marked.isVisible()).toBe(true);
    await expect
      .poll(() =>
        marked.evaluate((element) => {
          const box = element.getBoundingClientRect();
          const log = element.closest('[data-testid=build-log]')!.getBoundingClientRect();
          return box.top >= log.top && box.bottom <= log.bottom;
        }),
      )
      .toBe(true);

    await writeFile(
      join(project, 'src', 'Greeting.hs'),
      'module Greeting (greeting, count) where\n\ngreeting :: String\ngreeting = "hello"\n\n' +
        'count :: Int\ncount = length greeting\n',
    );
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await expectExactText(page.getByTestId('run-state'), 'succeeded', 60_000);
    await expectExactText(page.getByTestId('run-exit-code'), 'exit code 0');
    await expectCount(page.getByTestId('diagnostics'), 0);

    const rows = page.getByTestId('history-row');
    await expectText(rows.first(), 'succeeded');
    await expectText(rows.first(), 'type-error');
    await expectText(rows.first(), '9.0.2');
    await expectText(rows.nth(1), 'failed');
  });

  it('shows the backlog after a reload mid-build, keeps streaming, and cancels', async () => {
    const { page } = panel;
    const project = await copyFixture('slow-build');

    await page.getByTestId('project-path').fill(project);
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    const log = page.getByTestId('build-log');
    await expectText(log, 'Compiling Slow', 60_000);
    await expectExactText(page.getByTestId('run-state'), 'running');

    await page.reload();
    await expectText(page.getByTestId('build-log'), 'Compiling Slow', 15_000);
    await expectText(page.getByTestId('build-log'), '[build-machines] synced');
    await expectExactText(page.getByTestId('run-state'), 'running');

    await page.getByRole('button', { name: 'Cancel' }).click();
    await expectExactText(page.getByTestId('run-state'), 'cancelled', 20_000);
    await expectText(page.getByTestId('build-log'), 'build cancelled');
    const runs = await core.builds.list({ limit: 1 });
    expect(runs[0]?.status).toBe('cancelled');
  });

  it('explains a missing folder and a folder without a cabal file', async () => {
    const { page } = panel;

    await page.getByTestId('project-path').fill('/nonexistent/project');
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await expectText(
      page.getByTestId('action-error'),
      'project folder /nonexistent/project does not exist',
    );

    const empty = await copyFixture('hello');
    const noCabal = join(empty, 'src');
    await page.getByTestId('project-path').fill(noCabal);
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await expectText(page.getByTestId('action-error'), 'has no .cabal file and no cabal.project');
    await expectText(page.getByTestId('action-error'), 'cabal init');
  });
});
