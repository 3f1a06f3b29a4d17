/** The State Hub catalog, credentials, SSH config and tunnel health (issue 5). */
import { useEffect, useState } from 'react';

import type { CheckReport } from '../../../../electron/core/api/contract-hub.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { usePanel } from '../../state/store.ts';
import { useHub, useHubInit } from './hub-store.ts';
import { CredentialsSection } from './CredentialsSection.tsx';
import { ageText, HealthDetails } from './TunnelHealth.tsx';
import './hub.css';

function HubBanner() {
  const catalog = useHub((state) => state.catalog);
  const error = useHub((state) => state.catalogError ?? state.errors.hub);
  const busy = useHub((state) => state.busy.hub);
  const status = catalog?.status;
  if (!status) return <ErrorNote error={error} testId="hub-error" />;
  const up = status.kind === 'external' || status.kind === 'embedded';
  const label = {
    external: 'State Hub (external) answers',
    embedded: "The panel's built-in State Hub answers",
    down: 'State Hub is down',
    slow: 'State Hub is slow: no answer in time',
    garbage: 'Something answers, but not as a State Hub',
    failed: 'State Hub answered with an error',
  }[status.kind];
  return (
    <div
      className={`hub-banner ${up ? 'hub-banner-ok' : 'hub-banner-bad'}`}
      data-testid="hub-status"
      data-kind={status.kind}
      role={up ? undefined : 'alert'}
    >
      <strong>{label}</strong> <span className="muted">{status.url}</span>
      {status.message && <div>{status.message}</div>}
      {status.canStartEmbedded && (
        <button
          type="button"
          disabled={busy}
          onClick={() => void useHub.getState().startEmbedded()}
        >
          Start the built-in State Hub
        </button>
      )}
      <ErrorNote error={error} testId="hub-error" />
    </div>
  );
}

function CatalogTable() {
  const entries = useHub((state) => state.catalog?.entries ?? []);
  return (
    <section aria-label="Capability catalog">
      <h3>haskell-build-agent entries</h3>
      {entries.length === 0 ? (
        <p className="muted" data-testid="catalog-empty">
          No build agent is registered.
        </p>
      ) : (
        <table data-testid="catalog">
          <thead>
            <tr>
              <th>Name</th>
              <th>Tunnel port</th>
              <th>GHC</th>
              <th>Agent</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.name} data-testid={`catalog-entry-${entry.name}`}>
                <td>{entry.name}</td>
                <td>{entry.tunnelPort}</td>
                <td>{entry.ghcVersions.join(', ') || 'none'}</td>
                <td>{entry.agentVersion}</td>
                <td title={entry.lastSeen}>
                  {ageText(entry.ageMs)}{' '}
                  <span className={`fresh-${entry.freshness}`} data-testid="freshness">
                    {entry.freshness}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Checks({ report }: { report: CheckReport }) {
  return (
    <ul className="hub-checks" data-testid={`checks-${report.vm}`}>
      {report.checks.map((item) => (
        <li key={item.id} data-verdict={item.verdict}>
          <span className={`verdict-${item.verdict}`}>{item.verdict}</span> {item.title}:{' '}
          {item.detail}
          {item.fix && <div className="hub-fix">fix: {item.fix}</div>}
        </li>
      ))}
    </ul>
  );
}

const OVERALL_CLASS = { green: 'healthy', amber: 'degraded', red: 'down' } as const;

function HealthSection() {
  const health = useHub((state) => state.health);
  const busy = useHub((state) => state.busy);
  const errors = useHub((state) => state.errors);
  const [report, setReport] = useState<CheckReport | undefined>();
  const [clock, setClock] = useState<Record<string, string>>({});
  const run = async (vm: string, op: 'doctor.run' | 'smoke.run') => {
    const result = await useHub.getState().act(`${op}:${vm}`, (api) => api.call(op, { vm }));
    if (result) setReport(result);
  };
  const readClock = async (vm: string, resync: boolean) => {
    const op = resync ? 'health.resyncClock' : 'health.clock';
    const reading = await useHub.getState().act(`clock:${vm}`, (api) => api.call(op, { vm }));
    if (!reading) return;
    const text =
      `${Math.abs(reading.driftMs)} ms ${reading.driftMs >= 0 ? 'ahead' : 'behind'}` +
      (reading.drifted && !reading.canResync ? ` — run: ${reading.command}` : '');
    setClock((previous) => ({ ...previous, [vm]: text }));
  };
  return (
    <section aria-label="Tunnel health">
      <h3>
        Tunnels{' '}
        <span
          className={`hub-state hub-state-${OVERALL_CLASS[health?.overall ?? 'red']}`}
          data-testid="overall"
        >
          {health?.overall ?? '…'}
        </span>{' '}
        <button
          type="button"
          disabled={busy.reprobe}
          onClick={() => void useHub.getState().reprobe()}
        >
          Re-probe
        </button>
      </h3>
      <p className="muted">{health?.summary}</p>
      <table>
        <tbody>
          {(health?.vms ?? []).map((vm) => (
            <tr key={vm.name} data-testid={`health-${vm.name}`}>
              <td>{vm.name}</td>
              <td>port {vm.port}</td>
              <td>
                <HealthDetails vm={vm} />
                <ErrorNote
                  error={
                    errors[`doctor.run:${vm.name}`] ??
                    errors[`smoke.run:${vm.name}`] ??
                    errors[`clock:${vm.name}`]
                  }
                  testId="health-error"
                />
              </td>
              <td className="hub-row">
                <button
                  type="button"
                  disabled={busy[`smoke.run:${vm.name}`]}
                  onClick={() => void run(vm.name, 'smoke.run')}
                >
                  Smoke test
                </button>
                <button
                  type="button"
                  disabled={busy[`doctor.run:${vm.name}`]}
                  onClick={() => void run(vm.name, 'doctor.run')}
                >
                  Doctor
                </button>
                <button type="button" onClick={() => void readClock(vm.name, false)}>
                  Clock
                </button>
                {clock[vm.name] && <span className="muted">{clock[vm.name]}</span>}
                {clock[vm.name] && (
                  <button type="button" onClick={() => void readClock(vm.name, true)}>
                    Resync
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {report && <Checks report={report} />}
    </section>
  );
}

function SshConfigSection() {
  const [text, setText] = useState<string>();
  const busy = useHub((state) => state.busy.sshConfig);
  const error = useHub((state) => state.errors.sshConfig);
  const install = async () => {
    const report = await useHub
      .getState()
      .act('sshConfig', (api) => api.call('sshConfig.install', {}));
    if (report) {
      setText(
        (report.includeAdded ? 'Added the Include to ' : 'The Include is in ') +
          `${report.configFile}; ` +
          `${report.written.length} written, ${report.unchanged.length} unchanged, ` +
          `${report.removed.length} removed.`,
      );
    }
  };
  return (
    <section aria-label="SSH config">
      <h3>SSH config</h3>
      <p className="muted">
        One file per VM in ~/.ssh/build-machines/, included from the head of ~/.ssh/config; your own
        lines stay as they are. Afterwards <code>ssh &lt;vm&gt;</code> works.
      </p>
      <button type="button" disabled={busy} onClick={() => void install()}>
        Install SSH config
      </button>
      {text && <p data-testid="ssh-config-result">{text}</p>}
      <ErrorNote error={error} testId="ssh-config-error" />
    </section>
  );
}

export function HubPanel() {
  useHubInit();
  const api = usePanel((state) => state.api);
  useEffect(() => {
    if (api) void useHub.getState().refreshCatalog();
  }, [api]);
  return (
    <div className="hub-panel" data-testid="hub-panel">
      <HubBanner />
      <CatalogTable />
      <HealthSection />
      <CredentialsSection />
      <SshConfigSection />
    </div>
  );
}
