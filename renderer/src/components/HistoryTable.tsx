import { usePanel } from '../state/store.ts';
import { formatDuration } from './RunStatus.tsx';

/** Past runs, newest first: when, where, with which GHC, and how it ended. */
export function HistoryTable() {
  const allRuns = usePanel((state) => state.history);
  const project = usePanel((state) => state.project);
  const openRun = usePanel((state) => state.openRun);
  // The history of the project in the path field; every project's when none is chosen yet.
  const history = project ? allRuns.filter((run) => run.project === project.path) : allRuns;
  if (history.length === 0) return null;

  return (
    <section className="history" aria-label="Build history">
      <h3>History{project ? ` of ${project.name}` : ''}</h3>
      <table data-testid="history">
        <thead>
          <tr>
            <th>When</th>
            <th>Project</th>
            <th>VM</th>
            <th>GHC</th>
            <th>Kind</th>
            <th>Result</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {history.map((run) => (
            <tr key={run.id} data-testid="history-row" onClick={() => void openRun(run.id)}>
              <td>{new Date(run.startedAt).toLocaleString()}</td>
              <td title={run.project}>{run.projectName}</td>
              <td>{run.vm}</td>
              <td>{run.ghc ?? ''}</td>
              <td>{run.kind}</td>
              <td className={`status-${run.status}`}>{run.status}</td>
              <td>{formatDuration(run.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
