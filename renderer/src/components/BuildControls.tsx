import { usePanel } from '../state/store.ts';
import { ErrorNote } from './ErrorNote.tsx';

export function BuildControls() {
  const selectedVm = usePanel((state) => state.selectedVm);
  const ghcVersions = usePanel((state) => state.ghcVersions);
  const ghc = usePanel((state) => state.ghc);
  const setGhc = usePanel((state) => state.setGhc);
  const startBuild = usePanel((state) => state.startBuild);
  const cancelBuild = usePanel((state) => state.cancelBuild);
  const actionError = usePanel((state) => state.actionError);
  const current = usePanel((state) =>
    state.currentRunId ? state.runs[state.currentRunId] : undefined,
  );
  const starting = usePanel((state) => state.starting);
  const running = current !== undefined && !current.finishedAt;
  const busy = running || starting;

  return (
    <section className="controls" aria-label="Build">
      <div className="controls-row">
        <span className="muted">on {selectedVm ?? 'no VM selected'}</span>
        <label>
          GHC{' '}
          <select
            data-testid="ghc-select"
            value={ghc ?? ''}
            onChange={(event) => setGhc(event.target.value || undefined)}
          >
            <option value="">newest installed</option>
            {ghcVersions.map((version) => (
              <option key={version} value={version}>
                {version}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="primary"
          disabled={busy}
          onClick={() => void startBuild('build')}
        >
          Build
        </button>
        <button type="button" disabled={busy} onClick={() => void startBuild('test')}>
          Test
        </button>
        <button type="button" disabled={!running} onClick={() => void cancelBuild()}>
          Cancel
        </button>
      </div>
      <ErrorNote error={actionError} testId="action-error" />
    </section>
  );
}
