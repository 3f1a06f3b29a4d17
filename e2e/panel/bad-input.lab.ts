import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../electron/core/core.ts';
import { coreForLab } from '../support/core-for-lab.ts';
import { copyFixture } from '../support/fixtures.ts';
import { labEnv } from '../support/lab-env.ts';
import { expectExactText, expectText } from '../support/page-expect.ts';
import { openPanel, type PanelInBrowser } from '../support/panel-browser.ts';

const run = promisify(execFile);
const lab = labEnv();
const ROOT = new URL('../../', import.meta.url).pathname;
const GHOST = { name: 'lab-ghost', port: 12229 };

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with an argument array; resolves with its exit code instead of throwing. */
async function outcome(file: string, args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function bm(...args: string[]): Promise<Outcome> {
  return outcome('npx', [
    '--no-install',
    'tsx',
    'electron/cli/main.ts',
    ...args,
    '--quiet',
    '--key',
    lab.buildKey,
  ]);
}

let registryWithGhost: string;
let brokenRegistry: string;

beforeAll(async () => {
  const folder = await mkdtemp(join(tmpdir(), 'bm-registries-'));
  registryWithGhost = join(folder, 'with-ghost.yml');
  await writeFile(
    registryWithGhost,
    (await readFile(lab.registry, 'utf8')) +
      `  - name: ${GHOST.name}\n    port: ${GHOST.port}\n    user: builder\n`,
  );
  brokenRegistry = join(folder, 'broken.yml');
  await writeFile(brokenRegistry, 'machines:\n  - name: a\n    port: 12221\n    port: 80\n');
});

describe('bad input in the panel', () => {
  let core: Core;
  let panel: PanelInBrowser;

  afterAll(async () => {
    await panel?.close();
    await core?.close();
  });

  it('marks an unreachable VM on its card and fails its build with the reason', async () => {
    core = await coreForLab(lab, registryWithGhost);
    panel = await openPanel(core);
    const { page } = panel;

    const card = page.getByTestId(`vm-card-${GHOST.name}`);
    await expectText(card.getByTestId('vm-ssh-state'), 'unreachable', 15_000);
    await expectText(card, `does not answer on its tunnel port ${GHOST.port}`);

    await card.click();
    await page.getByTestId('project-path').fill(await copyFixture('hello'));
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await expectExactText(page.getByTestId('run-state'), 'failed', 20_000);
    await expectText(page.getByTestId('build-log'), `does not answer on its tunnel port 12229`);
  });

  it('names the line of a malformed registry', async () => {
    const brokenCore = await coreForLab(lab, brokenRegistry);
    const brokenPanel = await openPanel(brokenCore);
    try {
      const error = brokenPanel.page.getByTestId('machines-error');
      await expectText(error, `${brokenRegistry}:4: not valid YAML`);
      await expectText(error, 'Fix the YAML syntax there.');
    } finally {
      await brokenPanel.close();
      await brokenCore.close();
    }
  });
});

describe('the same from the command line', () => {
  it('exits 2 with the message for a missing folder and a folder with no cabal file', async () => {
    const missing = await bm(
      'remote-build',
      '--registry',
      lab.registry,
      '--project',
      '/nonexistent',
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('project folder /nonexistent does not exist');

    const noCabal = await bm(
      'remote-build',
      '--registry',
      lab.registry,
      '--project',
      join(await copyFixture('hello'), 'src'),
    );
    expect(noCabal.code).toBe(2);
    expect(noCabal.stderr).toContain('has no .cabal file and no cabal.project');
    expect(noCabal.stderr).toContain('fix: Pick the folder of a cabal package');
  });

  it('exits 2 for an unreachable VM and for a malformed registry, naming each', async () => {
    const project = await copyFixture('hello');
    const ghost = await bm(
      'remote-build',
      '--registry',
      registryWithGhost,
      '--vm',
      GHOST.name,
      '--project',
      project,
    );
    expect(ghost.code).toBe(2);
    expect(ghost.stderr).toContain(`does not answer on its tunnel port ${GHOST.port}`);

    const broken = await bm('remote-build', '--registry', brokenRegistry, '--project', project);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`${brokenRegistry}:4: not valid YAML`);
  });

  it("passes cabal's exit code through; make reports it and fails", async () => {
    const failing = await copyFixture('type-error');
    const direct = await bm(
      'remote-build',
      '--registry',
      lab.registry,
      '--vm',
      lab.vm,
      '--project',
      failing,
    );
    expect(direct.stdout).toContain("Couldn't match type");
    expect(direct.code).toBe(1);

    const make = (project: string) =>
      outcome('make', [
        '--no-print-directory',
        '-o',
        'node_modules/.installed',
        'remote-build',
        `PROJECT=${project}`,
        `VM=${lab.vm}`,
        `REGISTRY=${lab.registry}`,
        `BM_FLAGS=--key ${lab.buildKey} --quiet`,
      ]);

    const good = await make(await copyFixture('hello'));
    expect(good.stdout).toContain('Compiling Hello');
    expect(good.stdout).toContain('[build-machines] build succeeded (exit code 0)');
    expect(good.code).toBe(0);

    // GNU make exits 2 whenever a recipe fails; the recipe's own code (cabal's) is in its message.
    const bad = await make(failing);
    expect(bad.stdout).toContain("Couldn't match type");
    expect(bad.stderr).toMatch(/remote-build\] Error 1/);
    expect(bad.code).toBe(2);
  });
});
