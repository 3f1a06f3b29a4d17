/**
 * The tray indicator (Electron only): one icon, green/amber/red, a tooltip and a menu listing
 * the VMs with start, stop, open GHCi and quit. Where the desktop has no tray, a notification
 * on each change of state instead. After the computer wakes, everything is probed again and a
 * drifted VM clock is reported.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { app, Menu, nativeImage, Notification, powerMonitor, Tray } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';

import { createApiHandler } from '../core/api/api-handler.ts';
import type { HealthSnapshot } from '../core/api/contract-hub.ts';
import type { Core } from '../core/core.ts';
import { createLogger } from '../core/log/logger.ts';
import { changeNotice, trayModel, type TrayAction, type TrayItem } from './tray-model.ts';

const log = createLogger('tray');
const ICONS = join(import.meta.dirname, '..', '..', 'resources', 'icons');

export interface TrayOptions {
  showWindow(): void;
}

export async function startTray(core: Core, options: TrayOptions): Promise<() => void> {
  const handler = createApiHandler(core, { transport: 'ipc' });
  await core.features.hub.start().catch((error: Error) => {
    // A hub that cannot start is shown as "down" in the panel; the tray still runs.
    log.warn('State Hub not started', { error: error.message });
  });

  let tray: Tray | undefined;
  try {
    tray = new Tray(icon('amber'));
  } catch (error) {
    log.info('no tray on this desktop; notifications instead', {
      error: (error as Error).message,
    });
  }

  let last: HealthSnapshot | undefined;
  const notify = (title: string, body: string) => {
    if (Notification.isSupported()) new Notification({ title, body }).show();
  };

  const act = async (action: TrayAction) => {
    switch (action.kind) {
      case 'show':
        return options.showWindow();
      case 'quit':
        return app.quit();
      case 'reprobe':
        await handler('health.reprobe', {});
        return;
      case 'ghci':
        return openGhci(action.vm, notify);
      default: {
        const result = await handler(action.kind === 'start' ? 'vms.start' : 'vms.stop', {
          vm: action.vm,
        });
        if (!result.ok) notify(`${action.kind} ${action.vm} failed`, result.error.message);
      }
    }
  };

  const render = (snapshot: HealthSnapshot | undefined) => {
    if (!tray) return;
    const model = trayModel(snapshot);
    tray.setImage(icon(model.color));
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(model.items.map((item) => menuItem(item, act))));
  };
  render(undefined);

  const unsubscribe = core.events.subscribe((name, payload) => {
    if (name !== 'health.changed') return;
    const snapshot = payload as HealthSnapshot;
    const notice = changeNotice(last, snapshot);
    last = snapshot;
    render(snapshot);
    if (!tray && notice) notify(notice.title, notice.body);
  });

  const onResume = () => void resumed(core, handler, notify);
  powerMonitor.on('resume', onResume);

  return () => {
    unsubscribe();
    powerMonitor.off('resume', onResume);
    tray?.destroy();
  };
}

function icon(color: 'green' | 'amber' | 'red') {
  // nativeImage picks up the @2x file beside it on high-density screens.
  const size = process.platform === 'win32' ? 16 : process.platform === 'darwin' ? 16 : 22;
  return nativeImage.createFromPath(join(ICONS, `tray-${color}-${size}.png`));
}

function menuItem(
  item: TrayItem,
  act: (action: TrayAction) => Promise<void>,
): MenuItemConstructorOptions {
  if (item.separator) return { type: 'separator' };
  return {
    label: item.label,
    enabled: item.enabled,
    ...(item.submenu ? { submenu: item.submenu.map((child) => menuItem(child, act)) } : {}),
    ...(item.action ? { click: () => void act(item.action!) } : {}),
  };
}

// After sleep the tunnels may be dead and the VM clocks behind: probe at once, then compare.
async function resumed(
  core: Core,
  handler: ReturnType<typeof createApiHandler>,
  notify: (title: string, body: string) => void,
) {
  log.info('resumed from sleep: probing every VM');
  const result = await handler('health.reprobe', {});
  if (!result.ok) return;
  const snapshot = result.value as HealthSnapshot;
  for (const vm of snapshot.vms.filter((entry) => entry.handshake === 'ok')) {
    const clock = await core.features.hub.handlers['health.clock'](
      { vm: vm.name },
      {
        transport: 'ipc',
      },
    ).catch(() => undefined);
    if (clock?.drifted) {
      notify(
        `${vm.name}: clock off by ${Math.round(Math.abs(clock.driftMs) / 1000)} s`,
        clock.canResync
          ? 'Resync it from the State Hub tab (cabal rebuilds wrongly until then).'
          : `Resync it with: ${clock.command}`,
      );
    }
  }
}

// GHCi in a terminal window: the real ssh with the installed config, as `ssh -t <vm> ghci`.
function openGhci(vm: string, notify: (title: string, body: string) => void) {
  const command = ['ssh', '-t', vm, 'bash -lc ghci'];
  const terminal =
    process.platform === 'darwin'
      ? ['open', '-a', 'Terminal', '--args', ...command]
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '', ...command]
        : ['x-terminal-emulator', '-e', ...command];
  const child = spawn(terminal[0]!, terminal.slice(1), { detached: true, stdio: 'ignore' });
  child.on('error', () => notify(`Open GHCi on ${vm}`, `Run in a terminal: ${command.join(' ')}`));
  child.unref();
}
