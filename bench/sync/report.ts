import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import type { Summary } from './timing.ts';

export interface ComparedCase {
  name: string;
  ours: Summary;
  rsync: Summary;
  /** The largest ours/rsync ratio of medians that meets the target, if the case has one. */
  target?: number;
}

export interface CaseFigures extends ComparedCase {
  ratio: number;
  verdict: 'PASS' | 'MISS' | '';
}

export function judge(row: ComparedCase): CaseFigures {
  const ratio = Math.round((row.ours.median / row.rsync.median) * 1000) / 1000;
  const verdict = row.target === undefined ? '' : ratio <= row.target ? 'PASS' : 'MISS';
  return { ...row, ratio, verdict };
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!),
      )
      .join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

export function casesTable(cases: CaseFigures[]): string {
  return formatTable(
    ['case', 'runs', 'ours median', 'ours min', 'rsync median', 'rsync min', 'ratio', 'target'],
    cases.map((row) => [
      row.name,
      row.ours.runs,
      ms(row.ours.median),
      ms(row.ours.min),
      ms(row.rsync.median),
      ms(row.rsync.min),
      `${row.ratio.toFixed(2)}x`,
      row.target === undefined ? '-' : `<= ${row.target}x ${row.verdict}`,
    ]),
  );
}

export function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a';
}

/** Writes the figures to bench/results/sync-<date and time>.json and returns the path. */
export async function writeResults(figures: object, now = new Date()): Promise<string> {
  const folder = fileURLToPath(new URL('../results/', import.meta.url));
  await mkdir(folder, { recursive: true });
  const stamp = now.toISOString().slice(0, 19).replaceAll(':', '-');
  const path = `${folder}sync-${stamp}.json`;
  await writeFile(path, JSON.stringify(figures, null, 2) + '\n');
  return path;
}
