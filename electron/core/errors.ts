/**
 * An error the user can act on: what went wrong, and what to do about it. The UI shows both;
 * the CLI prints both and exits non-zero.
 */
export class UserError extends Error {
  readonly code: string;
  readonly fix: string | undefined;

  constructor(code: string, message: string, fix?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
    this.code = code;
    this.fix = fix;
  }
}

export function describeError(error: unknown): { code: string; message: string; fix?: string } {
  if (error instanceof UserError) {
    return { code: error.code, message: error.message, ...(error.fix ? { fix: error.fix } : {}) };
  }
  if (error instanceof Error) return { code: 'internal', message: error.message };
  return { code: 'internal', message: String(error) };
}
