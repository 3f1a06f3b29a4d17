/**
 * NAT to bridged on NIC 1 with an adapter the user picks: the VirtualBox host's adapters that
 * are up, the one carrying its default route chosen already.
 */
import { useState, type MouseEvent } from 'react';

import { usePanel } from '../../state/store.ts';
import { useVms } from './vms-store.ts';

interface Candidates {
  candidates: { name: string; ipAddress?: string }[];
  preselected?: string;
}

export function BridgeAdapterPicker({ vm, hostId }: { vm: string; hostId: string }) {
  const act = useVms((state) => state.act);
  const busy = useVms((state) => state.busy[vm]);
  const [choices, setChoices] = useState<Candidates | undefined>();
  const [adapter, setAdapter] = useState('');

  const stop = (event: MouseEvent) => event.stopPropagation();
  const api = () => usePanel.getState().api!;

  if (!choices) {
    return (
      <button
        type="button"
        disabled={!!busy}
        onClick={(event) => {
          stop(event);
          void act(vm, 'listing bridged adapters', async () => {
            const found = await api().call('vms.bridgeAdapters', { hostId });
            setChoices(found);
            setAdapter(found.preselected ?? found.candidates[0]?.name ?? '');
          });
        }}
      >
        Bridged…
      </button>
    );
  }

  return (
    <span className="bridge-picker" onClick={stop}>
      <select
        aria-label="Bridged adapter"
        data-testid="bridge-adapter"
        value={adapter}
        onChange={(event) => setAdapter(event.target.value)}
      >
        {choices.candidates.map((candidate) => (
          <option key={candidate.name} value={candidate.name}>
            {candidate.name}
            {candidate.ipAddress ? ` (${candidate.ipAddress})` : ''}
            {candidate.name === choices.preselected ? ' · default route' : ''}
          </option>
        ))}
      </select>
      <button
        type="button"
        disabled={!!busy || adapter === ''}
        onClick={(event) => {
          stop(event);
          void act(vm, 'switching to bridged', () =>
            api().call('vms.setBridged', { vm, hostId, adapter }),
          ).then(() => setChoices(undefined));
        }}
      >
        Use
      </button>
      <button type="button" onClick={() => setChoices(undefined)}>
        Back
      </button>
    </span>
  );
}
