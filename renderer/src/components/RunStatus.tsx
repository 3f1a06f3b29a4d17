import type { BuildRun } from '../../../electron/core/api/contract.ts';

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function RunStatus({ run }: { run: BuildRun }) {
  const progress = run.progress;
  return (
    <div className={`run-status status-${run.status}`} data-testid="run-status">
      <strong data-testid="run-state">{run.status}</strong>
      <span>
        cabal {run.kind} {run.projectName} on {run.vm}
        {run.ghc ? ` with GHC ${run.ghc}` : ''}
      </span>
      {run.exitCode !== undefined && run.exitCode !== null && (
        <span data-testid="run-exit-code">exit code {run.exitCode}</span>
      )}
      {run.durationMs !== undefined && <span>{formatDuration(run.durationMs)}</span>}
      {!run.finishedAt && progress && (
        <span className="progress">
          {progress.total > 0 && (
            <progress value={progress.done} max={progress.total} aria-label="modules compiled" />
          )}
          {progress.label}
        </span>
      )}
    </div>
  );
}
