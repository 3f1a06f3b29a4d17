import { useEffect, useState } from 'react';

import { ErrorNote } from '../../components/ErrorNote.tsx';
import { usePanel } from '../../state/store.ts';
import { useWorkspace } from './workspace-store.ts';

const VERSION = /^\d+\.\d+(\.\d+)*$/;
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/;

/** GHC versions on the VM (GHCup), the default one, and extra Debian packages. */
export function GhcSection() {
  const vm = usePanel((state) => state.selectedVm);
  const selectVm = usePanel((state) => state.selectVm);
  const { ghcList, ghcError, job, refreshGhc, runJob } = useWorkspace();
  const [version, setVersion] = useState('');
  const [packages, setPackages] = useState('');
  const busy = job?.running ?? false;
  const names = packages.split(/[\s,]+/).filter(Boolean);
  const badName = names.find((name) => !PACKAGE.test(name));

  useEffect(() => {
    if (vm) void refreshGhc(vm);
  }, [vm, refreshGhc]);

  // After a change, the list here and the VM card's versions are read again.
  const afterJob = async () => {
    if (!vm) return;
    await refreshGhc(vm);
    await selectVm(vm);
  };

  return (
    <details className="workspace-section" open>
      <summary data-testid="ghc-summary">
        <h3>GHC versions and system libraries{vm ? ` on ${vm}` : ''}</h3>
      </summary>
      <ErrorNote error={ghcError} testId="ghc-error" />
      {ghcList && (
        <ul className="ghc-list" data-testid="ghc-list">
          {ghcList.versions.map(({ version: v, isDefault }) => (
            <li key={v}>
              <code>{v}</code> {isDefault && <span className="badge">default</span>}
              {!isDefault && ghcList.ghcup && vm && (
                <button
                  type="button"
                  disabled={busy}
                  onClick={() =>
                    void runJob(`ghcup set ghc ${v}`, (api, jobId) =>
                      api.call('ghc.setDefault', { vm, version: v, jobId }),
                    ).then(afterJob)
                  }
                >
                  Make default
                </button>
              )}
            </li>
          ))}
          {!ghcList.ghcup && <li className="muted">GHCup is not installed on this VM.</li>}
        </ul>
      )}
      <div className="controls-row">
        <input
          aria-label="GHC version to install"
          placeholder="9.10.1"
          value={version}
          onChange={(event) => setVersion(event.target.value.trim())}
        />
        <button
          type="button"
          disabled={!vm || busy || !VERSION.test(version)}
          onClick={() =>
            vm &&
            void runJob(`ghcup install ghc ${version}`, (api, jobId) =>
              api.call('ghc.install', { vm, version, jobId }),
            ).then(afterJob)
          }
        >
          Install GHC
        </button>
        <input
          aria-label="Debian packages"
          data-testid="apt-packages"
          placeholder="libpq-dev zlib1g-dev"
          value={packages}
          onChange={(event) => setPackages(event.target.value)}
        />
        <button
          type="button"
          data-testid="apt-install"
          disabled={!vm || busy || names.length === 0 || badName !== undefined}
          onClick={() =>
            vm &&
            void runJob(`apt-get install ${names.join(' ')}`, (api, jobId) =>
              api.call('apt.install', { vm, packages: names, jobId }),
            )
          }
        >
          Install packages
        </button>
      </div>
      {badName && (
        <div className="error-note" role="alert">
          <div className="error-message">{badName} is not a Debian package name</div>
          <div className="error-fix">Use names like libgmp-dev, separated by spaces.</div>
        </div>
      )}
      {job && (
        <div className="job-log" data-testid="job-log">
          <div className="muted">
            {job.title} —{' '}
            {job.running
              ? 'running…'
              : job.error
                ? 'failed'
                : `finished (exit code ${job.exitCode ?? '?'})`}
          </div>
          <ErrorNote error={job.error} testId="job-error" />
          {job.text && <pre className="log">{job.text.replace(/\r\n/g, '\n')}</pre>}
        </div>
      )}
    </details>
  );
}
