import { describe, expect, it } from 'vitest';

import { ImportProgressParser, type ImportProgress } from './import-progress.ts';
import { readCase } from './test-support.ts';

function feedInChunks(text: string, size: number): ImportProgress[] {
  const seen: ImportProgress[] = [];
  const parser = new ImportProgressParser((progress) => seen.push(progress));
  for (let start = 0; start < text.length; start += size)
    parser.feed(text.slice(start, start + size));
  parser.end();
  return seen;
}

const STEPS = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

describe('ImportProgressParser', () => {
  it('maps the two 0..100% runs of a successful import onto one bar (case 10)', () => {
    const seen = feedInChunks(readCase('10'), 4096);

    expect(seen.map((p) => [p.phase, p.phasePercent])).toEqual([
      ...STEPS.map((step) => ['interpret', step]),
      ...STEPS.map((step) => ['import', step]),
    ]);
    const endOfInterpret = seen[10];
    expect(endOfInterpret).toEqual({ phase: 'interpret', phasePercent: 100, percent: 10 });
    expect(seen.at(-1)).toEqual({ phase: 'import', phasePercent: 100, percent: 100 });
    expect(seen.map((p) => p.percent)).toEqual(
      [...seen.map((p) => p.percent)].sort((a, b) => a - b),
    );
  });

  it('gives the same events whatever the chunk boundaries', () => {
    const text = readCase('10');
    const whole = feedInChunks(text, text.length);
    for (const size of [1, 2, 3, 5, 7, 64]) expect(feedInChunks(text, size)).toEqual(whole);
  });

  it('waits for the % before counting a number split across chunks', () => {
    const seen: ImportProgress[] = [];
    const parser = new ImportProgressParser((progress) => seen.push(progress));
    parser.feed('0%...1');
    expect(seen.map((p) => p.phasePercent)).toEqual([0]);
    parser.feed('0');
    expect(seen).toHaveLength(1);
    parser.feed('%...');
    expect(parser.progress).toEqual({ phase: 'interpret', phasePercent: 10, percent: 1 });
    expect(parser.importFinished).toBe(false);
  });

  it('stops at import 0% and reads the failed progress state (case 13)', () => {
    const parser = new ImportProgressParser();
    parser.feed(readCase('13'));
    parser.end();

    expect(parser.progress).toEqual({ phase: 'import', phasePercent: 0, percent: 10 });
    expect(parser.failedState).toBe('NS_ERROR_FAILURE');
    expect(parser.importFinished).toBe(false);
  });

  it('marks the import finished only at the end of the second run', () => {
    const parser = new ImportProgressParser();
    parser.feed('0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\n');
    expect(parser.importFinished).toBe(false);
    parser.feed('0%...50%...100%\n');
    expect(parser.importFinished).toBe(true);
  });

  it('ignores percent signs that are not progress, and garbage', () => {
    const seen: ImportProgress[] = [];
    const parser = new ImportProgressParser((progress) => seen.push(progress));
    parser.feed('Interpreting /tmp/100%/x.ova...\nabc 55% 1234%... 250%...\n%%%...\n');
    parser.feed('Importing appliance: 0%...');
    expect(seen).toEqual([{ phase: 'interpret', phasePercent: 0, percent: 0 }]);
  });
});
