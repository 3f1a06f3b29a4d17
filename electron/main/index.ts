/**
 * The Electron main process: one window on the bundled renderer, the core behind IPC. All the
 * work is in electron/core; this file only wires Electron to it, with Electron's security
 * checklist applied (isolated, sandboxed renderer; no Node in it; CSP; no navigation, no new
 * windows, no permissions; IPC only from our own frame, inputs validated by the API handler).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  session,
  shell,
  type OpenDialogOptions,
} from 'electron';

import { createApiHandler } from '../core/api/api-handler.ts';
import { createCore, type Core } from '../core/core.ts';
import { addLogSink, createLogger, stderrSink } from '../core/log/logger.ts';
import { CONTENT_SECURITY_POLICY } from '../server/content-security-policy.ts';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../preload/channels.ts';
import { startTray } from './tray.ts';
import { isTrustedSender } from './trusted-sender.ts';
import { isExternalLink, secureWindowOptions } from './window-options.ts';

const log = createLogger('main');
addLogSink(stderrSink);

const rendererUrl =
  process.env.ELECTRON_RENDERER_URL ??
  pathToFileURL(join(import.meta.dirname, '..', 'renderer', 'index.html')).href;

let core: Core | undefined;
let window: BrowserWindow | undefined;

async function createWindow(activeCore: Core): Promise<void> {
  window = new BrowserWindow(
    secureWindowOptions(join(import.meta.dirname, '..', 'preload', 'index.cjs')),
  );

  window.webContents.setWindowOpenHandler(({ url }) => {
    // Links in build logs open in the user's browser, never in a new Electron window.
    if (isExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.once('ready-to-show', () => window?.show());

  const forward = activeCore.events.subscribe((name, payload) => {
    if (window && !window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, name, payload);
  });
  window.on('closed', () => {
    forward();
    window = undefined;
  });

  await window.loadURL(rendererUrl);
}

/** A native open dialog attached to the window; the chosen path, or null when cancelled. */
async function showOpenDialog(options: OpenDialogOptions): Promise<string | null> {
  const result = window
    ? await dialog.showOpenDialog(window, options)
    : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

function hardenSession(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    });
  });
}

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

app.whenReady().then(async () => {
  hardenSession();
  core = await createCore({
    version: app.getVersion(),
    defaultRegistryPath:
      process.env.BM_REGISTRY ?? join(app.getPath('userData'), 'port-registry.yml'),
  });

  const handler = createApiHandler(core, {
    transport: 'ipc',
    pickFolder: () =>
      showOpenDialog({ title: 'Choose a Haskell project', properties: ['openDirectory'] }),
    pickFile: (title, extensions) =>
      showOpenDialog({
        title,
        properties: ['openFile'],
        filters: [{ name: extensions.join(', ').toUpperCase(), extensions }],
      }),
  });

  ipcMain.handle(CALL_CHANNEL, async (event, operation: unknown, input: unknown) => {
    if (!isTrustedSender(event.senderFrame, rendererUrl)) {
      log.warn('ipc call refused from an untrusted frame', { url: event.senderFrame?.url });
      return { ok: false, error: { code: 'forbidden', message: 'untrusted sender' } };
    }
    return handler(operation, input);
  });

  await createWindow(core);
  // State Hub, tunnel health and the tray icon (issue 5).
  await startTray(core, {
    showWindow: () => (window && !window.isDestroyed() ? window.show() : void createWindow(core!)),
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0 && core) void createWindow(core);
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('before-quit', () => core?.close());
