import type { BuildRun } from '../../../electron/core/api/contract.ts';
import { usePanel } from '../state/store.ts';

/** GHC's errors and warnings of a run; a click scrolls the log to the diagnostic. */
export function DiagnosticsList({ run }: { run: BuildRun }) {
  const focus = usePanel((state) => state.focusLogLine);
  if (run.diagnostics.length === 0) return null;

  const errors = run.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = run.diagnostics.length - errors;

  return (
    <section className="diagnostics" aria-label="Diagnostics" data-testid="diagnostics">
      <h3>
        {errors} error{errors === 1 ? '' : 's'}, {warnings} warning{warnings === 1 ? '' : 's'}
      </h3>
      <ul>
        {run.diagnostics.map((diagnostic, index) => (
          <li key={index}>
            <button
              type="button"
              className={`diagnostic ${diagnostic.severity}`}
              data-testid="diagnostic"
              onClick={() => focus(run.id, diagnostic.logLine)}
            >
              <span className="where">
                {diagnostic.file ?? 'cabal'}
                {diagnostic.line !== undefined && `:${diagnostic.line}:${diagnostic.column ?? 1}`}
              </span>
              <span className="severity">{diagnostic.severity}</span>
              {diagnostic.code && <span className="code">[{diagnostic.code}]</span>}
              <span className="message">{diagnostic.message.split('\n')[0]}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
