import { readFile } from 'node:fs/promises';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Boot } from '../../electron/core/api/contract-vms.ts';
import type { Core } from '../../electron/core/core.ts';
import { parsePortRegistry } from '../../electron/core/registry/port-registry.ts';
import { makeTinyOva, type TinyOva } from '../lab/fake-vbox/tiny-ova.ts';
import { coreForLab } from '../support/core-for-lab.ts';
import { labEnv } from '../support/lab-env.ts';
import { expectText } from '../support/page-expect.ts';
import { openPanel, type PanelInBrowser } from '../support/panel-browser.ts';
import { callGaps, pinHostKey, unpinHostKeys, vboxLab, type VboxLab } from './vbox-lab.ts';

const lab = labEnv();
let vbox: VboxLab;
let ova: TinyOva;
let core: Core;
let panel: PanelInBrowser;
let page: Page;
const boots: Boot[] = [];

declare global {
  interface Window {
    /** Every value the import progress bars showed, in order, per bar label. */
    progressSeen?: Record<string, number[]>;
  }
}

/** Records each value a <progress> element takes, as the user would have seen it. */
async function recordProgress(target: Page): Promise<void> {
  await target.evaluate(() => {
    window.progressSeen = {};
    const note = (element: Element) => {
      if (!(element instanceof HTMLProgressElement)) return;
      const label = element.getAttribute('aria-label') ?? '?';
      const seen = (window.progressSeen![label] ??= []);
      if (seen.at(-1) !== element.value) seen.push(element.value);
    };
    new MutationObserver((records) => {
      for (const record of records) {
        if (record.type === 'attributes') note(record.target as Element);
        for (const node of record.addedNodes) {
          if (node instanceof Element) [node, ...node.querySelectorAll('progress')].forEach(note);
        }
      }
    }).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['value'],
    });
  });
}

const card = (vm: string) => page.getByTestId(`vm-card-${vm}`);

async function importFromPanel(name: string): Promise<void> {
  await page.locator('form.vm-import input[name=ova]').fill(ova.path);
  await page.locator('form.vm-import input[name=vm-name]').fill(name);
  await page.locator('form.vm-import').getByRole('button', { name: 'Import' }).click();
}

beforeAll(async () => {
  vbox = await vboxLab(lab, 120);
  // The core runs in this process: it finds the lab's VBoxManage through the environment.
  Object.assign(process.env, vbox.env);
  ova = await makeTinyOva('panel-image');
  core = await coreForLab(lab, vbox.registry);
  core.events.subscribe((name, payload) => {
    if (name === 'vms.boot') boots.push(structuredClone(payload as Boot));
  });
  panel = await openPanel(core);
  page = panel.page;
  await recordProgress(page);
});

afterAll(async () => {
  const vms = core?.features.vms.service;
  for (const name of ['panel-a', 'panel-b']) {
    // Leave the lab as it was: nothing running, nothing registered. A VM the test left
    // running (it failed half-way) is stopped first.
    const removed = await vms?.remove(name, name, 'local').catch((error: unknown) => error);
    if ((removed as { code?: string } | undefined)?.code === 'vm-running') {
      await vms?.stop(name, 'local', 5).catch(() => undefined);
      await vms?.remove(name, name, 'local').catch(() => undefined);
    }
  }
  await panel?.close();
  await core?.close();
  await unpinHostKeys(lab.configDir, ['panel-a']);
});

describe('the VM lifecycle in the panel (Chromium, lab VirtualBox)', () => {
  it('imports with live progress, bridges, boots to SSH, refuses a duplicate, stops', async () => {
    const aside = page.locator('section.vms-aside');
    await expectText(aside, 'VirtualBox');
    // The lab's own VM is no VirtualBox VM: its card says so quietly, with no error.
    await expectText(card('lab-vm1').getByTestId('vm-state'), 'not on a known VirtualBox host');
    expect(await card('lab-vm1').getByRole('alert').count()).toBe(0);

    await importFromPanel('panel-a');
    const task = aside.getByTestId('import-task').filter({ hasText: 'panel-a' });
    await expectText(task, 'succeeded', 30_000);
    await expectText(task, 'port 12221');
    const seen = await page.evaluate(() => window.progressSeen?.['import panel-a'] ?? []);
    const between = seen.filter((value) => value > 0 && value < 100);
    // Both of VBoxManage's runs (reading, then importing) move the one bar.
    expect(between.length).toBeGreaterThanOrEqual(5);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(100);
    console.info(`import progress steps seen: ${seen.join(' ')}`);

    // The finished import adds a registry entry, and with it a card.
    const a = card('panel-a');
    await expectText(a.getByTestId('vm-state'), 'poweroff', 15_000);
    await expectText(a.getByTestId('vm-nic'), 'NIC 1 nat');
    await a.getByRole('button', { name: 'Bridged…' }).click();
    // The lab's hosts have no default route, so the first adapter that is up is chosen.
    const adapter = a.getByTestId('bridge-adapter');
    await expectText(adapter, 'eth0', 15_000);
    expect(await adapter.inputValue()).toBe('eth0');
    await a.getByRole('button', { name: 'Use' }).click();
    await expectText(a.getByTestId('vm-nic'), 'NIC 1 bridged (eth0)', 15_000);

    await importFromPanel('panel-a');
    const refusal = aside.getByTestId('import-error');
    await expectText(refusal, 'a VM named panel-a already exists');
    await expectText(refusal.locator('.error-fix'), 'Choose another name');

    await importFromPanel('panel-b');
    const second = aside.getByTestId('import-task').filter({ hasText: 'panel-b' });
    await expectText(second, 'succeeded', 30_000);
    await expectText(card('panel-b').getByTestId('vm-port'), '12223', 15_000);
    await expectText(a.getByTestId('vm-port'), '12221');
    const ports = parsePortRegistry(await readFile(vbox.registry, 'utf8'));
    expect(new Set(ports.map((entry) => entry.port)).size).toBe(ports.length);

    await pinHostKey(lab.configDir, 'panel-a', ova.hostKey);
    await a.getByRole('button', { name: 'Start' }).click();
    const stages = a.getByTestId('boot-stages');
    await expectText(stages.locator('[data-stage=ssh] .stage-status'), 'done', 45_000);
    for (const stage of ['running', 'ip', 'ssh']) {
      await expectText(stages.locator(`[data-stage=${stage}] .stage-status`), 'done');
      expect(await stages.locator(`[data-stage=${stage}] .stage-time`).textContent()).toMatch(
        /^\d+\.\d s$/,
      );
    }
    await expectText(a.getByTestId('vm-ip'), '198.18.');
    await expectText(a.getByTestId('vm-state'), 'running');
    // Each stage was shown active before it was done: the card walked through them.
    for (const id of ['running', 'ip', 'ssh'] as const) {
      const states = boots
        .filter((boot) => boot.vm === 'panel-a')
        .map((boot) => boot.stages.find((stage) => stage.id === id)?.status);
      expect(states.indexOf('active')).toBeLessThan(states.indexOf('done'));
    }
    const last = boots.filter((boot) => boot.vm === 'panel-a').at(-1)!;
    console.info(
      'boot stages: ' +
        last.stages
          .map((stage) => `${stage.label} ${stage.status} ${stage.elapsedMs} ms`)
          .join(', '),
    );
    await expectText(stages.locator('[data-stage=hub] .stage-status'), 'skipped', 15_000);
    await page.screenshot({ path: '/tmp/vms-panel.png', fullPage: true });

    await a.getByRole('button', { name: 'Stop' }).click();
    await expectText(a.getByTestId('vm-state'), 'poweroff', 30_000);
    await expectText(a.getByRole('button', { name: 'Start' }), 'Start');
    // The finished boot of a stopped VM is history: the card no longer shows its stages.
    await expect.poll(() => stages.count(), { timeout: 5_000 }).toBe(0);

    // One VBoxManage call per second on the host, measured from the call log.
    const gaps = callGaps(core.features.vms.service.calls('local', 500));
    console.info(`call gaps (ms) on local: min ${Math.min(...gaps)}, n ${gaps.length}`);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000);
  });
});
