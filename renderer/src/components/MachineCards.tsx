import type { MachineStatus } from '../../../electron/core/api/contract.ts';
import { TunnelHealth } from '../areas/hub/TunnelHealth.tsx';
import { VmCardDetails } from '../areas/vms/VmCardDetails.tsx';
import { usePanel } from '../state/store.ts';
import { ErrorNote } from './ErrorNote.tsx';

const SSH_LABELS: Record<MachineStatus['ssh'], string> = {
  unknown: 'checking…',
  answering: 'SSH answers',
  unreachable: 'unreachable',
  'host-key-unknown': 'host key not pinned',
  'host-key-changed': 'HOST KEY CHANGED',
  'auth-failed': 'build key refused',
  'build-key-missing': 'no build key',
};

export function MachineCards() {
  const machines = usePanel((state) => state.machines);
  const machinesError = usePanel((state) => state.machinesError);
  const refresh = usePanel((state) => state.refreshMachines);

  return (
    <section className="machines" aria-label="Build machines">
      <header className="section-head">
        <h2>Build machines</h2>
        <button type="button" onClick={() => void refresh()}>
          Re-check
        </button>
      </header>
      <ErrorNote error={machinesError} testId="machines-error" />
      {machines.length === 0 && !machinesError && (
        <p className="muted">No build machine is listed in port-registry.yml.</p>
      )}
      <div className="cards">
        {machines.map((machine) => (
          <MachineCard key={machine.name} machine={machine} />
        ))}
      </div>
    </section>
  );
}

function MachineCard({ machine }: { machine: MachineStatus }) {
  const selected = usePanel((state) => state.selectedVm === machine.name);
  const selectVm = usePanel((state) => state.selectVm);
  const probe = usePanel((state) => state.probe);
  const trust = usePanel((state) => state.trustHostKey);

  return (
    <article
      className={`card ssh-${machine.ssh}${selected ? ' selected' : ''}`}
      data-testid={`vm-card-${machine.name}`}
      aria-current={selected}
      onClick={() => void selectVm(machine.name)}
    >
      <div className="card-title">
        <span className={`dot dot-${machine.ssh}`} aria-hidden />
        <strong>{machine.name}</strong>
      </div>
      <div className="card-line">
        tunnel <code>localhost:{machine.port}</code> as <code>{machine.user}</code>
      </div>
      <div className="card-line" data-testid="vm-ssh-state">
        {SSH_LABELS[machine.ssh]}
        {machine.rttMs !== undefined && ` · ${machine.rttMs} ms`}
      </div>
      {machine.message && <div className="card-message">{machine.message}</div>}
      <VmCardDetails vm={machine.name} />
      <TunnelHealth vm={machine.name} />
      <div className="card-actions">
        <button
          type="button"
          onClick={(event) => {
            event.stopPropagation();
            void probe(machine.name);
          }}
        >
          Probe
        </button>
        {machine.ssh.startsWith('host-key') && machine.fingerprint && (
          <button
            type="button"
            onClick={(event) => {
              event.stopPropagation();
              void trust(machine.name, machine.fingerprint!);
            }}
          >
            {machine.ssh === 'host-key-changed' ? 'Accept new key' : 'Trust'}{' '}
            {machine.fingerprint.slice(0, 20)}…
          </button>
        )}
      </div>
    </article>
  );
}
