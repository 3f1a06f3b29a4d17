/** VirtualBox state, boot stages and actions on a VM card (issue 3). */
import { useEffect, useState, type MouseEvent } from 'react';

import { ErrorNote } from '../../components/ErrorNote.tsx';
import { usePanel } from '../../state/store.ts';
import { BridgeAdapterPicker } from './BridgeAdapterPicker.tsx';
import { useVms } from './vms-store.ts';
import './vms.css';

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`;
}

function uptime(sec: number | undefined): string {
  if (sec === undefined) return '';
  const hours = Math.floor(sec / 3600);
  const minutes = Math.floor((sec % 3600) / 60);
  return hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min ${sec % 60} s`;
}

export function VmCardDetails({ vm }: { vm: string }) {
  const info = useVms((state) => state.vms[vm]);
  const boot = useVms((state) => state.boots[vm]);
  const busy = useVms((state) => state.busy[vm]);
  const error = useVms((state) => state.errors[vm]);
  const unmanaged = useVms((state) => state.unmanaged[vm] ?? false);
  const act = useVms((state) => state.act);
  const refreshVm = useVms((state) => state.refreshVm);
  const connected = usePanel((state) => state.api !== undefined);
  const [confirming, setConfirming] = useState(false);
  const [confirmText, setConfirmText] = useState('');

  useEffect(() => {
    if (connected) void refreshVm(vm);
  }, [connected, vm, refreshVm]);

  const run = (label: string, action: () => Promise<unknown>) => (event: MouseEvent) => {
    event.stopPropagation();
    void act(vm, label, action);
  };
  const call = () => usePanel.getState().api!;
  const state = info?.state ?? 'unknown';
  const running = state === 'running';
  // A finished boot of a VM that has since stopped is history; a failed one still explains why.
  const showBoot =
    boot && (running || !boot.finished || boot.stages.some((stage) => stage.status === 'failed'));

  if (!info && unmanaged) {
    return (
      <div className="vm-details muted" data-testid={`vm-details-${vm}`}>
        VirtualBox: <span data-testid="vm-state">not on a known VirtualBox host</span>
      </div>
    );
  }

  return (
    <div
      className="vm-details"
      data-testid={`vm-details-${vm}`}
      onClick={(e) => e.stopPropagation()}
    >
      <div className="card-line">
        VirtualBox: <strong data-testid="vm-state">{info ? state : 'not found'}</strong>
        {info?.nic1 && (
          <span className="muted" data-testid="vm-nic">
            {' '}
            · NIC 1 {info.nic1.type}
            {info.nic1.bridgeAdapter ? ` (${info.nic1.bridgeAdapter})` : ''}
          </span>
        )}
      </div>
      {info && (
        <div className="card-line muted">
          IP <code data-testid="vm-ip">{info.ip ?? boot?.ip ?? '-'}</code> · port{' '}
          <code data-testid="vm-port">{info.registryPort ?? '-'}</code>
          {running && info.uptimeSec !== undefined && ` · up ${uptime(info.uptimeSec)}`}
        </div>
      )}
      {showBoot && (
        <ol className="boot-stages" data-testid="boot-stages">
          {boot.stages.map((stage) => (
            <li key={stage.id} className={`stage stage-${stage.status}`} data-stage={stage.id}>
              <span className="stage-label">{stage.label}</span>
              <span className="stage-status">{stage.status}</span>
              <span className="stage-time">{seconds(stage.elapsedMs)}</span>
              {stage.message && (
                <div className="stage-message" data-testid="stage-message">
                  {stage.message}
                </div>
              )}
            </li>
          ))}
        </ol>
      )}
      <ErrorNote error={error} testId={`vm-error-${vm}`} />
      {info && (
        <div className="card-actions vm-actions">
          {busy && <span className="muted">{busy}…</span>}
          {!running && (
            <button
              type="button"
              disabled={!!busy}
              onClick={run('starting', () => call().call('vms.start', { vm }))}
            >
              Start
            </button>
          )}
          {running && (
            <>
              <button
                type="button"
                disabled={!!busy}
                onClick={run('stopping', () => call().call('vms.stop', { vm }))}
              >
                Stop
              </button>
              <button
                type="button"
                disabled={!!busy}
                onClick={run('saving', () => call().call('vms.saveState', { vm }))}
              >
                Save state
              </button>
            </>
          )}
          {!running && info.nic1?.type !== 'bridged' && (
            <BridgeAdapterPicker vm={vm} hostId={info.hostId} />
          )}
          {!running && !confirming && (
            <button
              type="button"
              disabled={!!busy}
              onClick={(event) => {
                event.stopPropagation();
                setConfirming(true);
              }}
            >
              Remove…
            </button>
          )}
          {confirming && (
            <span className="vm-confirm">
              <input
                aria-label={`Type ${vm} to confirm removal`}
                placeholder={`type ${vm}`}
                value={confirmText}
                onChange={(event) => setConfirmText(event.target.value)}
              />
              <button
                type="button"
                disabled={confirmText !== vm}
                onClick={run('removing', async () => {
                  await call().call('vms.remove', { vm, confirm: confirmText });
                  setConfirming(false);
                  await usePanel.getState().refreshMachines();
                })}
              >
                Delete VM and disks
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </span>
          )}
        </div>
      )}
    </div>
  );
}
