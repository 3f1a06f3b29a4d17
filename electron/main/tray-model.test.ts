import { describe, expect, it } from 'vitest';

import type { HealthSnapshot } from '../core/api/contract-hub.ts';
import { changeNotice, trayModel } from './tray-model.ts';

const snapshot = (
  overall: HealthSnapshot['overall'],
  state: 'healthy' | 'down',
): HealthSnapshot => ({
  overall,
  summary: `x`,
  hub: { kind: 'embedded', url: 'http://127.0.0.1:8000', canStartEmbedded: false, checkedAt: '' },
  vms: [
    {
      name: 'haskell-build',
      port: 12222,
      state,
      listening: state === 'healthy',
      handshake: state === 'healthy' ? 'ok' : 'timeout',
      rttMs: 40,
      since: '',
    },
  ],
});

describe('tray model', () => {
  it('colours the icon and lists each VM with its state and actions', () => {
    const model = trayModel(snapshot('green', 'healthy'));
    expect(model.color).toBe('green');
    expect(model.tooltip).toBe(
      'Build Machines: GREEN\nhaskell-build: healthy, 40 ms\nState Hub: embedded',
    );
    const vmItem = model.items.find((item) => item.label.startsWith('haskell-build'));
    expect(vmItem?.submenu?.map((item) => [item.label, item.enabled])).toEqual([
      ['Start', false],
      ['Stop', true],
      ['Open GHCi', true],
    ]);
    expect(model.items.at(-1)?.action).toEqual({ kind: 'quit' });
  });

  it('offers start and no GHCi for a VM that is down', () => {
    const vmItem = trayModel(snapshot('red', 'down')).items.find((item) => item.submenu);
    expect(vmItem?.label).toBe('haskell-build: down');
    expect(vmItem?.submenu?.map((item) => item.enabled)).toEqual([true, false, false]);
  });

  it('notifies only when the overall state changes', () => {
    expect(changeNotice(undefined, snapshot('green', 'healthy'))).toBeUndefined();
    expect(
      changeNotice(snapshot('green', 'healthy'), snapshot('green', 'healthy')),
    ).toBeUndefined();
    expect(changeNotice(snapshot('green', 'healthy'), snapshot('red', 'down'))).toEqual({
      title: 'Build Machines: RED',
      body: 'haskell-build: down',
    });
  });
});
