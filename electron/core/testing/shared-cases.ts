/**
 * The transcripts of real tool output that parser tests read (shared/cases beside the
 * repository; see its README for where each comes from and what a parser must extract).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CASES_DIR = fileURLToPath(new URL('../../../../shared/cases/', import.meta.url));

/** A transcript by file name or by its number (`'10'` finds `10-import-ova-….txt`). */
export function readCase(nameOrNumber: string): string {
  const name = /^\d+$/.test(nameOrNumber)
    ? readdirSync(CASES_DIR).find((file) => file.startsWith(`${nameOrNumber}-`))
    : nameOrNumber;
  if (!name) throw new Error(`no transcript numbered ${nameOrNumber} in ${CASES_DIR}`);
  return readFileSync(`${CASES_DIR}${name}`, 'utf8');
}
