import type { ShownError } from '../state/store.ts';

/** An error as the core described it: what went wrong, then what to do. */
export function ErrorNote({ error, testId }: { error: ShownError | undefined; testId: string }) {
  if (!error) return null;
  return (
    <div className="error-note" role="alert" data-testid={testId}>
      <div className="error-message">{error.message}</div>
      {error.fix && <div className="error-fix">{error.fix}</div>}
    </div>
  );
}
