/**
 * Runs the GHC installed on this machine on small broken modules and parses what it really
 * prints. Skipped where there is no `ghc` on PATH.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LocalRunner } from '../exec/local-runner.ts';
import { PlainLineReader, type LineCounter } from './ansi.ts';
import { DiagnosticParser, parseDiagnostics, type Diagnostic } from './diagnostics.ts';

const runner = new LocalRunner();
const ghcVersion = await runner
  .run('ghc', ['--numeric-version'])
  .then((result) => result.stdout.trim())
  .catch(() => '');

const SOURCES: Record<string, string> = {
  'Types.hs': ['module Types where', '', 'f :: Int -> String', 'f x = x + 1'].join('\n'),
  'Scope.hs': ['module Scope where', '', 'g :: Int', 'g = undefinedThing 3'].join('\n'),
  'Unused.hs': [
    'module Unused (h) where',
    '',
    'import Data.List (sort)',
    '',
    'h :: Int -> Int',
    'h x = case x of',
    '  0 -> 1',
  ].join('\n'),
  'Multi.hs': [
    'module Multi where',
    '',
    'f :: Maybe Int',
    'f = Just "hello"',
    '  <> Just',
    '     "x"',
  ].join('\n'),
  'Two.hs': ['module Two where', '', 'a :: Int', 'a = "one"', '', 'b :: Bool', "b = 'c'"].join(
    '\n',
  ),
};

let dir = '';

/**
 * Runs ghc and returns its output as a log: stdout and stderr are separate pipes, so each is
 * split into lines on its own and whole lines are interleaved in the order they completed.
 */
async function ghc(args: string[]): Promise<string> {
  const lines: string[] = [];
  const counter: LineCounter = { next: 0 };
  const stdout = new PlainLineReader(counter);
  const stderr = new PlainLineReader(counter);

  await runner.run('ghc', ['-fno-code', ...args], {
    cwd: dir,
    env: { LANG: 'C.UTF-8' },
    onStdout: (chunk) => lines.push(...stdout.push(chunk).map((line) => line.text)),
    onStderr: (chunk) => lines.push(...stderr.push(chunk).map((line) => line.text)),
    timeoutMs: 60_000,
  });
  lines.push(...[...stdout.end(), ...stderr.end()].map((line) => line.text));
  return lines.join('\n');
}

/** The same run, with the escapes kept, for the tests that read colours. */
async function ghcRaw(args: string[]): Promise<string> {
  const result = await runner.run('ghc', ['-fno-code', ...args], {
    cwd: dir,
    env: { LANG: 'C.UTF-8' },
    timeoutMs: 60_000,
  });
  // Coloured diagnostics all go to stderr; progress lines go to stdout and are not needed.
  return result.stderr;
}

function where(found: Diagnostic[]): unknown[] {
  return found.map((d) => [d.file, d.line, d.column, d.severity, d.flag]);
}

describe.skipIf(ghcVersion === '')(`DiagnosticParser on real GHC ${ghcVersion} output`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diagnostics-ghc-'));
    for (const [name, text] of Object.entries(SOURCES)) {
      await writeFile(join(dir, name), `${text}\n`);
    }
  });

  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('finds a type error with its bulleted message', async () => {
    const [error, ...rest] = parseDiagnostics(await ghc(['Types.hs']));
    expect(rest).toEqual([]);
    expect(error).toMatchObject({ file: 'Types.hs', line: 4, column: 7, severity: 'error' });
    expect(error?.message).toMatch(/^• Couldn't match type ‘Int’ with ‘\[Char\]’\n/);
    expect(error?.message).toContain('\n• In the expression: x + 1');
    expect(error?.snippet).toContain('4 | f x = x + 1');
  });

  it('finds a scope error whose message is on the header line', async () => {
    const [error, ...rest] = parseDiagnostics(await ghc(['Scope.hs']));
    expect(rest).toEqual([]);
    expect(error).toMatchObject({ file: 'Scope.hs', line: 4, column: 5, severity: 'error' });
    expect(error?.message).toMatch(/^Variable not in scope: undefinedThing :: /);
    expect(error?.message).not.toContain('|');
  });

  it('finds -Wall warnings with their flags', async () => {
    const found = parseDiagnostics(await ghc(['-Wall', 'Unused.hs']));
    expect(where(found)).toEqual([
      ['Unused.hs', 3, 1, 'warning', '-Wunused-imports'],
      ['Unused.hs', 6, 7, 'warning', '-Wincomplete-patterns'],
    ]);
    expect(found[0]?.message).toMatch(/^The import of ‘Data.List’ is redundant\n {2}except/);
  });

  it('reports -Werror warnings as errors that keep their flag', async () => {
    const found = parseDiagnostics(await ghc(['-Wall', '-Werror', 'Unused.hs']));
    expect(where(found)).toEqual([
      ['Unused.hs', 3, 1, 'error', '-Wunused-imports'],
      ['Unused.hs', 6, 7, 'error', '-Wincomplete-patterns'],
    ]);
  });

  it('finds a multi-line error and its span with -ferror-spans', async () => {
    const [error, ...rest] = parseDiagnostics(await ghc(['-ferror-spans', 'Multi.hs']));
    expect(rest).toEqual([]);
    expect(error).toMatchObject({ file: 'Multi.hs', line: 4, column: 5, endLine: 6, endColumn: 8 });
    expect(error?.message.split('\n').length).toBeGreaterThan(3);
    expect(error?.snippet).toMatch(/\^\.\.\.$/);
  });

  it('finds two errors in one file, each at its own log line', async () => {
    const output = await ghc(['Two.hs']);
    const found = parseDiagnostics(output);
    expect(where(found)).toEqual([
      ['Two.hs', 4, 5, 'error', undefined],
      ['Two.hs', 7, 5, 'error', undefined],
    ]);

    const lines = output.split('\n');
    for (const diagnostic of found) {
      expect(lines[diagnostic.logLine]).toMatch(/^Two\.hs:\d+:5: error:/);
    }
  });

  it('reads the same diagnostics from coloured output', async () => {
    // -fkeep-going: GHC --make otherwise stops at the first module that fails.
    const files = ['-fkeep-going', '-Wall', 'Two.hs', 'Unused.hs', 'Scope.hs'];
    const plain = await ghcRaw(files);
    const coloured = await ghcRaw(['-fdiagnostics-color=always', ...files]);
    expect(coloured).toContain('\u001b[');

    const found = parseDiagnostics(coloured);
    expect(found).toHaveLength(5);
    expect(found).toEqual(parseDiagnostics(plain));
  });

  it('gives the same result for 1-character chunks of real output', async () => {
    const output = await ghcRaw(['-fdiagnostics-color=always', '-Wall', 'Two.hs', 'Unused.hs']);
    expect(output).toContain('\u001b[');
    const parser = new DiagnosticParser();
    const found = [...output].flatMap((char) => parser.push(char));
    expect([...found, ...parser.end()]).toEqual(parseDiagnostics(output));
  });

  it('finds a diagnostic without a location', async () => {
    const found = parseDiagnostics(await ghc(['Missing.hs']));
    expect(found).toMatchObject([{ severity: 'error', message: expect.stringMatching(/Missing/) }]);
    expect(found[0]?.file).toBeUndefined();
  });

  it('reads -ddump-json output with the same spans as the -ferror-spans text', async () => {
    const files = ['-fkeep-going', '-Wall', 'Unused.hs', 'Multi.hs'];
    const text = parseDiagnostics(await ghc(['-ferror-spans', ...files]));
    const json = parseDiagnostics(await ghc(['-ddump-json', ...files]));

    const span = (d: Diagnostic): unknown[] => [
      d.file,
      d.line,
      d.column,
      d.endLine,
      d.endColumn,
      d.severity,
    ];
    expect(json).toHaveLength(3);
    expect(json.map(span)).toEqual(text.map(span));
  });
});
