import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../electron/core/core.ts';
import { fetchArtifacts } from '../../electron/core/workspace/artifacts.ts';
import { coreForLab } from '../support/core-for-lab.ts';
import { copyFixture } from '../support/fixtures.ts';
import { labEnv } from '../support/lab-env.ts';
import { expectText } from '../support/page-expect.ts';
import { openPanel, type PanelInBrowser } from '../support/panel-browser.ts';

const lab = labEnv();
let core: Core;
let panel: PanelInBrowser;
let page: Page;
let project: string;
let dest: string;

beforeAll(async () => {
  core = await coreForLab(lab);
  project = await copyFixture('hello');
  panel = await openPanel(core);
  page = panel.page;
  await page.evaluate((path) => localStorage.setItem('build-machines.project', path), project);
  await page.reload();
  await page.getByRole('tab', { name: 'Workspace' }).click();
  await page.waitForSelector('[data-testid=open-terminal]:not([disabled])', { timeout: 10_000 });
});

afterAll(async () => {
  await panel?.close();
  await core?.close();
});

const visibleRows = () => page.locator('.terminal-pane:not([hidden]) .xterm-rows');

async function typeInTerminal(text: string): Promise<void> {
  await page.locator('.terminal-pane:not([hidden]) .xterm').click();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

let sizeQueries = 0;

/** The PTY size on the VM as `rows cols`, asked through GHCi's `:!` and tagged to be unique. */
async function sttySize(rows: Locator): Promise<string> {
  const tag = `size${++sizeQueries}`;
  await typeInTerminal(`:! echo ${tag}=$(stty size)`);
  const pattern = new RegExp(`${tag}=(\\d+ \\d+)`);
  let found: RegExpMatchArray | null = null;
  await expect
    .poll(async () => (found = (await rows.innerText()).match(pattern)) !== null, {
      timeout: 10_000,
      interval: 100,
    })
    .toBe(true);
  return found![1]!;
}

describe('GHCi in the Workspace tab (Chromium, lab VM)', () => {
  it('opens cabal repl in the project, answers :t map, reflows when the pane shrinks', async () => {
    await page.getByTestId('repl-kind').selectOption('project');
    await page.getByTestId('open-terminal').click();
    await expectText(visibleRows(), 'Hello', 60_000);
    await expect
      .poll(async () => /ghci>|Hello>/.test(await visibleRows().innerText()), {
        timeout: 60_000,
      })
      .toBe(true);

    await typeInTerminal(':t map');
    await expectText(visibleRows(), 'map :: (a -> b) -> [a] -> [b]', 10_000);

    await typeInTerminal('putStrLn "λx → ✓ 𝛌"');
    await expectText(visibleRows(), 'λx → ✓ 𝛌', 10_000);

    const wide = await sttySize(visibleRows());
    await page.locator('.terminal-pane:not([hidden])').evaluate((pane: HTMLElement) => {
      pane.style.width = '480px';
      pane.style.height = '220px';
    });
    const narrow = await sttySize(visibleRows());
    const [wideRows, wideCols] = wide.split(' ').map(Number);
    const [narrowRows, narrowCols] = narrow.split(' ').map(Number);
    expect(narrowCols).toBeLessThan(wideCols!);
    expect(narrowRows).toBeLessThan(wideRows!);
    console.log(`PTY size followed the pane: ${wide} -> ${narrow} (rows cols)`);

    // A long line now wraps at the new width: GHCi output reflows to the narrower screen.
    await typeInTerminal(`putStrLn (replicate ${narrowCols! + 10} '#')`);
    await expect
      .poll(async () => (await visibleRows().innerText()).includes('#'.repeat(narrowCols!)), {
        timeout: 10_000,
      })
      .toBe(true);
    expect(await visibleRows().innerText()).not.toContain('#'.repeat(narrowCols! + 1));
  });

  it('keeps answering clicks during a flood, and Ctrl-C stops it', async () => {
    await page.getByTestId('repl-kind').selectOption('ghci');
    await page.getByTestId('repl-persistent').uncheck();
    await page.getByTestId('open-terminal').click();
    await expect.poll(() => page.locator('.terminal-tab').count()).toBe(2);
    await expect
      .poll(async () => /ghci>|Prelude>/.test(await visibleRows().innerText()), {
        timeout: 30_000,
      })
      .toBe(true);

    // A frame-gap meter in the page: the longest time the main thread did not get to run.
    await page.evaluate(() => {
      const meter = { last: performance.now(), worst: 0 };
      (window as unknown as { meter: typeof meter }).meter = meter;
      const tick = () => {
        const now = performance.now();
        meter.worst = Math.max(meter.worst, now - meter.last);
        meter.last = now;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });

    const summary = page.getByTestId('ghc-summary');
    const details = page.locator('details.workspace-section');
    const clickLatency = async () => {
      const wasOpen = await details.evaluate((d) => d.hasAttribute('open'));
      const started = performance.now();
      await summary.click();
      await page.waitForFunction(
        (expected) =>
          document.querySelector('details.workspace-section')?.hasAttribute('open') === expected,
        !wasOpen,
        { timeout: 5_000 },
      );
      return Math.round(performance.now() - started);
    };
    const idle: number[] = [];
    for (let click = 0; click < 4; click++) idle.push(await clickLatency());

    await typeInTerminal('mapM_ print [1..]');
    await expect
      .poll(async () => /\b\d{5,}\b/.test(await visibleRows().innerText()), { timeout: 20_000 })
      .toBe(true);

    const latencies: number[] = [];
    for (let click = 0; click < 5; click++) latencies.push(await clickLatency());
    const stillFlooding = await visibleRows().innerText();
    await page.locator('.terminal-pane:not([hidden]) .xterm').click();
    await page.keyboard.press('Control+c');
    await expectText(visibleRows(), 'Interrupted.', 20_000);
    const worstFrameGap = await page.evaluate(
      () => (window as unknown as { meter: { worst: number } }).meter.worst,
    );
    console.log(
      `click latency idle (ms): ${idle.join(', ')}; ` +
        `during the flood: ${latencies.join(', ')}; ` +
        `worst main-thread frame gap: ${Math.round(worstFrameGap)} ms`,
    );
    expect(stillFlooding).toMatch(/\b\d{5,}\b/);
    expect(Math.max(...latencies)).toBeLessThan(1_000);

    // Stopped: the prompt is back and takes input again.
    await typeInTerminal('1 + 41');
    await expectText(visibleRows(), '42', 10_000);
  });

  it('fetches the built executable with a checksum, and it runs here', async () => {
    const started = await core.builds.start({ vm: lab.vm, project, kind: 'build' });
    expect((await core.builds.wait(started.id)).status).toBe('succeeded');

    dest = await mkdtemp(join(tmpdir(), 'bm-artifacts-'));
    await page.getByTestId('artifacts-dest').fill(dest);
    await page.getByTestId('fetch-artifacts').click();
    const table = page.getByTestId('artifacts-table');
    await expectText(table, join(dest, 'hello'), 30_000);
    expect(await table.innerText()).toMatch(/[0-9a-f]{64} ✓/);
    expect(await page.getByTestId('artifacts-progress').getAttribute('value')).toBe(
      await page.getByTestId('artifacts-progress').getAttribute('max'),
    );

    const { stdout } = await promisify(execFile)(join(dest, 'hello'));
    expect(stdout).toBe('Hello, world\n');
    expect(await readdir(dest)).toEqual(['hello']);
  });

  it('keeps the previous executable when a fetch is cut halfway', async () => {
    const target = join(dest, 'hello');
    const before = await stat(target);
    const beforeSum = createHash('sha256')
      .update(await readFile(target))
      .digest('hex');

    // Cut the transfer once the first bytes of it have arrived, by closing its channel.
    const abort = new AbortController();
    let cutAt: { bytes: number; total: number } | undefined;
    const cut = fetchArtifacts(
      core.machines,
      { vm: lab.vm, project, dest },
      {
        signal: abort.signal,
        onProgress: ({ bytes, total }) => {
          if (!cutAt && bytes > 0 && bytes < total) {
            cutAt = { bytes, total };
            abort.abort();
          }
        },
      },
    );
    await expect(cut).rejects.toMatchObject({ code: 'fetch-cancelled' });
    expect(cutAt!.bytes).toBeLessThan(cutAt!.total);

    const after = await stat(target);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(
      createHash('sha256')
        .update(await readFile(target))
        .digest('hex'),
    ).toBe(beforeSum);
    expect(await readdir(dest)).toEqual(['hello']);
    const { stdout } = await promisify(execFile)(target);
    expect(stdout).toBe('Hello, world\n');
  });
});
