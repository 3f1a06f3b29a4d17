/** The VM lifecycle actions beside the cards: import an OVA, VirtualBox hosts (issue 3). */
import { useEffect, useState } from 'react';

import { ErrorNote } from '../../components/ErrorNote.tsx';
import { usePanel } from '../../state/store.ts';
import { useVms } from './vms-store.ts';
import './vms.css';

export function VmsAside() {
  const connected = usePanel((state) => state.api !== undefined);
  const nativeDialogs = usePanel((state) => state.info?.nativeDialogs ?? false);
  const { hosts, hostId, tasks, calls, errors } = useVms();
  const { start, setHost, importOva, cancelTask, pickOva } = useVms.getState();
  const [ova, setOva] = useState('');
  const [name, setName] = useState('');
  const [showCalls, setShowCalls] = useState(false);

  useEffect(() => {
    if (connected) void start();
  }, [connected, start]);

  const shownTasks = Object.values(tasks).sort((a, b) => b.startedAt.localeCompare(a.startedAt));

  return (
    <section className="vms-aside" aria-label="VirtualBox">
      <header className="section-head">
        <h2>VirtualBox</h2>
        <select
          aria-label="VirtualBox host"
          value={hostId}
          onChange={(event) => setHost(event.target.value)}
        >
          {hosts.map((host) => (
            <option key={host.id} value={host.id}>
              {host.label}
              {host.kind === 'ssh' ? ` (${host.user}@${host.host})` : ''}
            </option>
          ))}
        </select>
      </header>
      <ErrorNote error={errors.aside} testId="vms-error" />
      <form
        className="vm-import"
        onSubmit={(event) => {
          event.preventDefault();
          void importOva(ova.trim(), name.trim());
        }}
      >
        <label>
          OVA file
          <span className="vm-import-path">
            <input
              name="ova"
              value={ova}
              placeholder="/path/to/haskell-build-20260420.ova"
              onChange={(event) => setOva(event.target.value)}
            />
            {nativeDialogs && (
              <button
                type="button"
                onClick={() => void pickOva().then((path) => path && setOva(path))}
              >
                Choose…
              </button>
            )}
          </span>
        </label>
        <label>
          VM name
          <input
            name="vm-name"
            value={name}
            placeholder="haskell-build"
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        <button type="submit" disabled={ova.trim() === '' || name.trim() === ''}>
          Import
        </button>
      </form>
      <ErrorNote error={errors.import} testId="import-error" />
      {shownTasks.map((task) => (
        <div key={task.id} className={`vm-task task-${task.status}`} data-testid="import-task">
          <div className="card-line">
            Import <strong>{task.vm}</strong>: {task.status}
            {task.port !== undefined && task.status === 'succeeded' && ` · port ${task.port}`}
          </div>
          <div className="vm-task-progress">
            <progress max={100} value={task.percent} aria-label={`import ${task.vm}`} />
            <span className="muted">
              {task.percent}%
              {task.status === 'running' && task.phase
                ? ` ${task.phase === 'interpret' ? 'reading' : 'importing'}`
                : ''}
            </span>
            {task.status === 'running' && (
              <button type="button" onClick={() => void cancelTask(task.id)}>
                Cancel
              </button>
            )}
          </div>
          {task.error && <ErrorNote error={task.error} testId={`import-task-error-${task.vm}`} />}
        </div>
      ))}
      <button type="button" className="link" onClick={() => setShowCalls(!showCalls)}>
        {showCalls ? 'Hide' : 'Show'} VBoxManage calls ({calls.length})
      </button>
      {showCalls && (
        <ol className="vbox-calls" data-testid="vbox-calls">
          {calls
            .slice()
            .reverse()
            .map((call) => (
              <li key={call.seq} className={call.exitCode === 0 ? 'call-ok' : 'call-failed'}>
                <code>
                  {call.startedAt.slice(11, 19)} {call.host} VBoxManage {call.argv.join(' ')}
                </code>
                <span className="muted">
                  {' '}
                  → {call.exitCode ?? 'not run'} in {call.ms} ms
                </span>
                {call.exitCode !== 0 && call.stderr && <pre>{call.stderr}</pre>}
              </li>
            ))}
        </ol>
      )}
    </section>
  );
}
