/**
 * Builds and tests a tiny package with the cabal installed on this machine, offline, and reads
 * both progress and diagnostics from its real output. Skipped where there is no cabal or ghc.
 * cabal needs a config without a `repository` section to work without a network, so the test
 * writes one into a temporary CABAL_DIR.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LocalRunner } from '../exec/local-runner.ts';
import { PlainLineReader, type LineCounter } from './ansi.ts';
import { BuildProgressParser, type BuildProgress } from './build-progress.ts';
import { DiagnosticParser, type Diagnostic } from './diagnostics.ts';

const runner = new LocalRunner();
const available = async (program: string): Promise<boolean> =>
  runner
    .run(program, ['--numeric-version'])
    .then((result) => result.exitCode === 0)
    .catch(() => false);
const hasCabal = (await available('cabal')) && (await available('ghc'));

const PACKAGE: Record<string, string> = {
  'tiny.cabal': [
    'cabal-version: 2.4',
    'name: tiny',
    'version: 0.1.0.0',
    'build-type: Simple',
    '',
    'library',
    '  exposed-modules: Tiny, Other',
    '  hs-source-dirs: src',
    '  build-depends: base',
    '  default-language: Haskell2010',
    '  ghc-options: -Wall',
    '',
    'test-suite spec',
    '  type: exitcode-stdio-1.0',
    '  main-is: Main.hs',
    '  hs-source-dirs: test',
    '  build-depends: base, tiny',
    '  default-language: Haskell2010',
  ].join('\n'),
  'src/Tiny.hs': [
    'module Tiny (double) where',
    'import Data.List (sort)',
    'import Other (two)',
    '',
    'double :: Int -> Int',
    'double x = x * two',
  ].join('\n'),
  'src/Other.hs': ['module Other (two) where', 'two :: Int', 'two = 2'].join('\n'),
  'test/Main.hs': [
    'module Main (main) where',
    'import Tiny (double)',
    'main :: IO ()',
    'main = if double 2 == 4 then putStrLn "ok" else error "bad"',
  ].join('\n'),
};

interface Run {
  exitCode: number;
  progress: BuildProgress[];
  diagnostics: Diagnostic[];
}

let root = '';
let env: Record<string, string> = {};

/** Runs cabal and feeds both parsers the way the build view does: one reader per pipe. */
async function cabal(args: string[]): Promise<Run> {
  const counter: LineCounter = { next: 0 };
  const readers = { stdout: new PlainLineReader(counter), stderr: new PlainLineReader(counter) };
  const progressParser = new BuildProgressParser();
  const diagnosticParser = new DiagnosticParser();
  const run: Run = { exitCode: -1, progress: [], diagnostics: [] };

  const feed = (lines: ReturnType<PlainLineReader['push']>): void => {
    for (const line of lines) {
      run.progress.push(...progressParser.pushLine(line));
      run.diagnostics.push(...diagnosticParser.pushLine(line));
    }
  };

  const result = await runner.run('cabal', args, {
    cwd: join(root, 'tiny'),
    env,
    onStdout: (chunk) => feed(readers.stdout.push(chunk)),
    onStderr: (chunk) => feed(readers.stderr.push(chunk)),
    timeoutMs: 120_000,
  });
  feed([...readers.stdout.end(), ...readers.stderr.end()]);
  run.diagnostics.push(...diagnosticParser.flush());
  run.exitCode = result.exitCode;
  return run;
}

describe.skipIf(!hasCabal)('progress and diagnostics of a real offline cabal build', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'build-progress-cabal-'));
    const cabalDir = join(root, 'cabal');
    env = { HOME: root, CABAL_DIR: cabalDir, LANG: 'C.UTF-8' };

    await runner.run('cabal', ['user-config', 'init'], { env });
    const configPath = join(cabalDir, 'config');
    const config = await readFile(configPath, 'utf8');
    // The hackage block runs from `repository` to the next blank line.
    await writeFile(configPath, config.replace(/^repository [^\n]*\n(?:[^\n]+\n)*/m, ''));

    for (const [path, text] of Object.entries(PACKAGE)) {
      await mkdir(join(root, 'tiny', path, '..'), { recursive: true });
      await writeFile(join(root, 'tiny', path), `${text}\n`);
    }
  }, 60_000);

  afterAll(async () => {
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  it('builds, tests, is up to date, then reports a scope error', async () => {
    const build = await cabal(['build', 'lib:tiny']);
    expect(build.exitCode).toBe(0);

    const steps = build.progress.filter((e) => e.phase === 'compiling');
    expect(steps.map((e) => [e.component, e.done, e.total, e.module])).toEqual([
      ['lib', 1, 2, 'Other'],
      ['lib', 2, 2, 'Tiny'],
    ]);
    expect(build.progress.map((e) => e.phase)).toEqual(
      expect.arrayContaining(['planned', 'configuring', 'preprocessing', 'building']),
    );
    expect(build.progress.find((e) => e.phase === 'building')?.package).toBe('tiny-0.1.0.0');

    const warning = build.diagnostics.find((d) => d.source === 'ghc');
    expect(warning).toMatchObject({
      file: 'src/Tiny.hs',
      line: 2,
      column: 1,
      severity: 'warning',
      flag: '-Wunused-imports',
    });
    // The config without a repository makes cabal warn about it, as a cabal diagnostic.
    expect(build.diagnostics.filter((d) => d.source === 'cabal')).toMatchObject([
      { severity: 'warning', message: expect.stringMatching(/^No remote package servers/) },
    ]);

    const test = await cabal(['test']);
    expect(test.exitCode).toBe(0);
    const phases = test.progress.map((e) => [e.phase, e.component, e.testSuite, e.passed]);
    expect(phases).toEqual(
      expect.arrayContaining([
        ['building', 'test:spec', undefined, undefined],
        ['linking', 'test:spec', undefined, undefined],
        ['tested', 'test:spec', 'spec', true],
      ]),
    );

    const again = await cabal(['build', 'lib:tiny']);
    expect(again.progress.map((e) => e.phase)).toContain('up-to-date');

    await writeFile(join(root, 'tiny/src/Other.hs'), `${PACKAGE['src/Other.hs']}\nbad = nope\n`);
    const broken = await cabal(['build', 'lib:tiny']);
    expect(broken.exitCode).not.toBe(0);
    const error = broken.diagnostics.find((d) => d.severity === 'error');
    expect(error).toMatchObject({ file: 'src/Other.hs', line: 4, column: 7, source: 'ghc' });
    expect(error?.message).toMatch(/^Variable not in scope: nope/);
  }, 120_000);
});
