import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';

import { createApiHandler } from '../../electron/core/api/api-handler.ts';
import type { Core } from '../../electron/core/core.ts';
import { startBrowserServer, type BrowserServer } from '../../electron/server/browser-server.ts';

const STATIC_DIR = new URL('../../out/renderer/', import.meta.url).pathname;

// Debian's Chromium, headless, with everything that would reach out to the network switched off.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export interface PanelInBrowser {
  server: BrowserServer;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** The panel in browser mode over a core, and a Chromium page open on it. */
export async function openPanel(core: Core): Promise<PanelInBrowser> {
  if (!existsSync(join(STATIC_DIR, 'index.html'))) {
    throw new Error('the renderer is not built: run `npx electron-vite build` (make build)');
  }
  const server = await startBrowserServer({
    handler: createApiHandler(core, { transport: 'websocket' }),
    events: core.events,
    staticDir: STATIC_DIR,
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // Playwright gives every launch a fresh, temporary profile.
    args: CHROMIUM_ARGS,
  });
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  await page.goto(server.url);

  return {
    server,
    browser,
    page,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
