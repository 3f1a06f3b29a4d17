/**
 * Seed step 4 in the panel: the build key, then injection into a fresh VM. The temporary
 * password lives in this component's state only until the call returns.
 */
import { useEffect, useState } from 'react';

import { ErrorNote } from '../../components/ErrorNote.tsx';
import { usePanel } from '../../state/store.ts';
import { useHub } from './hub-store.ts';

type Key = { path: string; exists: boolean; fingerprint?: string };
type Defaults = {
  relayHosts: { address: string; interface: string }[];
  relayUser: string;
  tunnelPort: number;
  hubPort: number;
};
type Steps = { step: string; ok: boolean; detail: string }[];

export function CredentialsSection() {
  const api = usePanel((state) => state.api);
  const machines = usePanel((state) => state.machines);
  const busy = useHub((state) => state.busy);
  const errors = useHub((state) => state.errors);
  const [key, setKey] = useState<Key>();
  const [vm, setVm] = useState('');
  const [vmIp, setVmIp] = useState('');
  const [scanned, setScanned] = useState<string>();
  const [confirmed, setConfirmed] = useState(false);
  const [defaults, setDefaults] = useState<Defaults>();
  const [relayHost, setRelayHost] = useState('');
  const [relayUser, setRelayUser] = useState('');
  const [password, setPassword] = useState('');
  const [steps, setSteps] = useState<Steps>();

  useEffect(() => {
    if (api) void api.call('credentials.key', {}).then(setKey, () => undefined);
  }, [api]);

  useEffect(() => {
    if (!api || !vm) return;
    void useHub
      .getState()
      .act('inject', (client) => client.call('credentials.injectDefaults', { vm }))
      .then((found) => {
        if (!found) return;
        setDefaults(found);
        setRelayHost((current) => current || (found.relayHosts[0]?.address ?? ''));
        setRelayUser((current) => current || found.relayUser);
      });
  }, [api, vm]);

  const act = useHub.getState().act;
  const generate = async () => {
    const made = await act('keygen', (client) => client.call('credentials.keygen', {}));
    if (made) setKey(made);
  };
  const scan = async () => {
    setConfirmed(false);
    const found = await act('scan', (client) => client.call('credentials.scanHostKey', { vmIp }));
    setScanned(found?.fingerprint);
  };
  const inject = async () => {
    if (!scanned) return;
    const secret = password;
    setPassword('');
    const report = await act('inject', (client) =>
      client.call('credentials.inject', {
        vm,
        vmIp,
        password: secret,
        fingerprint: scanned,
        relayHost,
        relayUser,
      }),
    );
    if (report) setSteps(report.steps);
  };

  return (
    <section aria-label="Credentials">
      <h3>Credentials</h3>
      <div className="hub-row" data-testid="build-key">
        {key?.exists ? (
          <>
            Build key <code>{key.path}</code>{' '}
            <span className="hub-fingerprint">{key.fingerprint}</span>
          </>
        ) : (
          <>
            No build key at <code>{key?.path ?? '~/.ssh/id_build'}</code>
            <button type="button" disabled={busy.keygen} onClick={() => void generate()}>
              Generate key
            </button>
          </>
        )}
      </div>
      <ErrorNote error={errors.keygen} testId="keygen-error" />

      <form
        onSubmit={(event) => {
          event.preventDefault();
          void inject();
        }}
      >
        <label>
          VM{' '}
          <select value={vm} onChange={(event) => setVm(event.target.value)}>
            <option value="">choose…</option>
            {machines.map((machine) => (
              <option key={machine.name}>{machine.name}</option>
            ))}
          </select>
        </label>
        <label>
          VM address <input value={vmIp} onChange={(event) => setVmIp(event.target.value)} />
        </label>
        <button type="button" disabled={!vmIp || busy.scan} onClick={() => void scan()}>
          Read host key
        </button>
        {scanned && (
          <label>
            <input
              type="checkbox"
              checked={confirmed}
              onChange={(event) => setConfirmed(event.target.checked)}
            />{' '}
            <span className="hub-fingerprint">{scanned}</span> matches the VM console
          </label>
        )}
        <label>
          Relay host{' '}
          <input
            list="hub-relay-hosts"
            value={relayHost}
            onChange={(event) => setRelayHost(event.target.value)}
          />
          <datalist id="hub-relay-hosts">
            {defaults?.relayHosts.map((host) => (
              <option key={host.address} value={host.address}>
                {host.interface}
              </option>
            ))}
          </datalist>
        </label>
        <label>
          Relay user{' '}
          <input value={relayUser} onChange={(event) => setRelayUser(event.target.value)} />
        </label>
        <label>
          Temporary password{' '}
          <input
            type="password"
            autoComplete="off"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <button
          type="submit"
          disabled={!vm || !confirmed || !password || !relayHost || busy.inject}
        >
          Inject credentials
        </button>
      </form>
      {defaults && (
        <p className="muted">
          Tunnel port {defaults.tunnelPort} (port registry), State Hub port {defaults.hubPort}.
        </p>
      )}
      <ErrorNote error={errors.scan ?? errors.inject} testId="inject-error" />
      {steps && (
        <ul className="hub-checks" data-testid="inject-steps">
          {steps.map((step, index) => (
            <li key={index}>
              <span className={step.ok ? 'verdict-pass' : 'verdict-fail'}>
                {step.ok ? 'ok' : 'failed'}
              </span>{' '}
              {step.step}: {step.detail}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
