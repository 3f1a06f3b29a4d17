import { execFileSync } from 'node:child_process';

import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The Electron binary, or why there is none (it cannot be downloaded everywhere). */
function electronBinary(): { path?: string; reason?: string } {
  try {
    const path = execFileSync('node', ['e2e/electron/electron-available.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    return { path };
  } catch (error) {
    return { reason: String((error as { stdout?: string }).stdout ?? error) };
  }
}

const binary = electronBinary();
if (!binary.path) {
  process.stdout.write(`electron window test skipped: ${binary.reason}\n`);
}

describe('the Electron window', () => {
  it.skipIf(!binary.path)(
    'opens the panel with an isolated, sandboxed renderer that only has the bridge',
    async () => {
      const app = await electron.launch({
        executablePath: binary.path!,
        args: [ROOT],
        env: { ...process.env, BM_REGISTRY: `${ROOT}port-registry.yml` },
      });
      try {
        const window = await app.firstWindow();
        await window.waitForSelector('text=Build Machines');
        const exposed = await window.evaluate(() => ({
          bridge: Object.keys((window as unknown as { buildMachines: object }).buildMachines),
          require: typeof (window as unknown as { require?: unknown }).require,
          process: typeof (window as unknown as { process?: unknown }).process,
        }));
        expect(exposed).toEqual({
          bridge: ['call', 'onEvent'],
          require: 'undefined',
          process: 'undefined',
        });
      } finally {
        await app.close();
      }
    },
  );
});
