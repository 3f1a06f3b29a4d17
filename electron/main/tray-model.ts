/**
 * What the tray shows for a health snapshot: icon colour, tooltip, and the menu's entries. No
 * Electron here, so it is tested in plain Node; tray.ts turns it into a Tray and a Menu.
 */
import type { HealthSnapshot, VmHealth } from '../core/api/contract-hub.ts';

export type TrayAction =
  | { kind: 'show' }
  | { kind: 'start' | 'stop' | 'ghci'; vm: string }
  | { kind: 'reprobe' }
  | { kind: 'quit' };

export interface TrayItem {
  label: string;
  enabled: boolean;
  action?: TrayAction;
  submenu?: TrayItem[];
  separator?: boolean;
}

export interface TrayModel {
  color: HealthSnapshot['overall'];
  tooltip: string;
  items: TrayItem[];
}

const STATE_TEXT: Record<VmHealth['state'], string> = {
  healthy: 'healthy',
  degraded: 'degraded',
  down: 'down',
  unknown: 'checking',
};

function vmLine(vm: VmHealth): string {
  const rtt = vm.state === 'healthy' && vm.rttMs !== undefined ? `, ${vm.rttMs} ms` : '';
  return `${vm.name}: ${STATE_TEXT[vm.state]}${rtt}`;
}

export function trayModel(snapshot: HealthSnapshot | undefined): TrayModel {
  if (!snapshot) {
    return {
      color: 'amber',
      tooltip: 'Build Machines: checking…',
      items: [
        { label: 'Open Build Machines', enabled: true, action: { kind: 'show' } },
        { label: 'Quit', enabled: true, action: { kind: 'quit' } },
      ],
    };
  }
  const hubUp = snapshot.hub.kind === 'external' || snapshot.hub.kind === 'embedded';
  // Tooltips are short on every platform: one line per VM and the hub.
  const tooltip = [
    `Build Machines: ${snapshot.overall.toUpperCase()}`,
    ...snapshot.vms.map(vmLine),
    `State Hub: ${hubUp ? snapshot.hub.kind : `${snapshot.hub.kind} (${snapshot.hub.url})`}`,
  ].join('\n');

  const vmItems: TrayItem[] = snapshot.vms.map((vm) => ({
    label: vmLine(vm),
    enabled: true,
    submenu: [
      { label: 'Start', enabled: vm.state === 'down', action: { kind: 'start', vm: vm.name } },
      { label: 'Stop', enabled: vm.state !== 'down', action: { kind: 'stop', vm: vm.name } },
      {
        label: 'Open GHCi',
        enabled: vm.handshake === 'ok',
        action: { kind: 'ghci', vm: vm.name },
      },
    ],
  }));

  return {
    color: snapshot.overall,
    tooltip,
    items: [
      { label: 'Open Build Machines', enabled: true, action: { kind: 'show' } },
      { label: '', enabled: false, separator: true },
      ...(vmItems.length > 0
        ? vmItems
        : [{ label: 'No build machine in the port registry', enabled: false }]),
      { label: `State Hub: ${snapshot.hub.kind}`, enabled: false },
      { label: '', enabled: false, separator: true },
      { label: 'Check now', enabled: true, action: { kind: 'reprobe' } },
      { label: 'Quit', enabled: true, action: { kind: 'quit' } },
    ],
  };
}

/** The text of a desktop notification for a change of overall state, or none. */
export function changeNotice(
  previous: HealthSnapshot | undefined,
  next: HealthSnapshot,
): { title: string; body: string } | undefined {
  if (!previous || previous.overall === next.overall) return undefined;
  const changed = next.vms.filter(
    (vm) => previous.vms.find((old) => old.name === vm.name)?.state !== vm.state,
  );
  return {
    title: `Build Machines: ${next.overall.toUpperCase()}`,
    body: changed.length > 0 ? changed.map(vmLine).join('\n') : next.summary,
  };
}
