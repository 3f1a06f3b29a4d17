/** Tunnel health on a VM card (issue 5): state, handshake time, State Hub registration. */
import type { VmHealth } from '../../../../electron/core/api/contract-hub.ts';
import { useHub, useHubInit } from './hub-store.ts';
import './hub.css';

export function ageText(ms: number): string {
  if (ms < 0) return 'just now';
  if (ms < 90_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 90 * 60_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}

export function HealthDetails({ vm }: { vm: VmHealth }) {
  return (
    <>
      <span className={`hub-state hub-state-${vm.state}`} data-testid="tunnel-state">
        {vm.state}
      </span>
      {vm.rttMs !== undefined && vm.handshake === 'ok' && (
        <span className="muted"> {vm.rttMs} ms</span>
      )}
      <span className="muted">
        {vm.registration
          ? ` · hub ${vm.registration.freshness}, ${ageText(vm.registration.ageMs)}`
          : ' · not registered'}
      </span>
      {vm.message && <div className="card-message">{vm.message}</div>}
      {vm.handshake === 'host-key-changed' && (
        <div className="card-message" data-testid="host-key-fingerprints">
          pinned {vm.pinnedFingerprint} · presented {vm.presentedFingerprint}
        </div>
      )}
    </>
  );
}

export function TunnelHealth({ vm }: { vm: string }) {
  useHubInit();
  const health = useHub((state) => state.health?.vms.find((entry) => entry.name === vm));
  if (!health) return null;
  return (
    <div className="card-line hub-tunnel" data-testid={`tunnel-health-${vm}`}>
      <HealthDetails vm={health} />
    </div>
  );
}
