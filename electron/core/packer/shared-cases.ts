import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shared transcripts of real tool output (see shared/cases/README.md). */
export const CASES_DIR = new URL('../../../../shared/cases/', import.meta.url);

export function readCase(name: string): string {
  return readFileSync(fileURLToPath(new URL(name, CASES_DIR)), 'utf8');
}
