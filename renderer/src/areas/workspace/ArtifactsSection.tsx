import { ErrorNote } from '../../components/ErrorNote.tsx';
import { usePanel } from '../../state/store.ts';
import { useWorkspace } from './workspace-store.ts';

const MIB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MIB).toFixed(1);

/** Copies the project's built executables from the VM into a local folder, checksummed. */
export function ArtifactsSection() {
  const selectedVm = usePanel((state) => state.selectedVm);
  const projectPath = usePanel((state) => state.projectPath);
  const nativeDialogs = usePanel((state) => state.info?.nativeDialogs ?? false);
  const { dest, fetch, setDest, pickDest, fetchArtifacts, cancelFetch } = useWorkspace();
  const running = fetch?.running ?? false;

  return (
    <section className="workspace-section" aria-label="Artefacts">
      <div className="controls-row">
        <h3>Artefacts</h3>
        <input
          aria-label="Destination folder"
          data-testid="artifacts-dest"
          placeholder="local folder, e.g. ~/bin/my-app"
          value={dest}
          size={40}
          onChange={(event) => setDest(event.target.value)}
        />
        {nativeDialogs && (
          <button type="button" onClick={() => void pickDest()}>
            Choose…
          </button>
        )}
        <button
          type="button"
          className="primary"
          data-testid="fetch-artifacts"
          disabled={!selectedVm || !projectPath || !dest || running}
          onClick={() => selectedVm && void fetchArtifacts(selectedVm, projectPath)}
        >
          Fetch executables
        </button>
        {running && (
          <button type="button" onClick={() => void cancelFetch()}>
            Cancel
          </button>
        )}
      </div>
      {fetch && (running || fetch.total > 0) && (
        <div className="controls-row">
          <progress data-testid="artifacts-progress" max={fetch.total || 1} value={fetch.bytes} />
          <span className="muted">
            {fetch.file ?? '…'} {mib(fetch.bytes)} / {mib(fetch.total)} MiB
          </span>
        </div>
      )}
      <ErrorNote error={fetch?.error} testId="artifacts-error" />
      {fetch?.files && (
        <table className="artifacts" data-testid="artifacts-table">
          <thead>
            <tr>
              <th>file</th>
              <th>size</th>
              <th>SHA-256 (VM = local)</th>
            </tr>
          </thead>
          <tbody>
            {fetch.files.map((file) => (
              <tr key={file.name}>
                <td title={file.remotePath}>
                  <code>{file.localPath}</code>
                </td>
                <td>{(file.bytes / MIB).toFixed(2)} MiB</td>
                <td>
                  <code className="sha">{file.sha256}</code> {file.verified ? '✓' : '✗'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
