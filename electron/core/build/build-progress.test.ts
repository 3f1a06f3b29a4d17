import { describe, expect, it } from 'vitest';

import { feedInPieces } from '../testing/feed-in-pieces.ts';
import { readCase } from '../testing/shared-cases.ts';
import { BuildProgressParser, parseBuildProgress, type BuildProgress } from './build-progress.ts';

function parseInPieces(text: string, size: number): BuildProgress[] {
  return feedInPieces(new BuildProgressParser(), text, size);
}

const CASE_44 = readCase('44');
const CASE_47 = readCase('47');
/** The compile line that opens case 43, on its own: three paths inside the parentheses. */
const CASE_43_FIRST_LINE = readCase('43').split('\n')[0] ?? '';

describe('BuildProgressParser on real transcripts', () => {
  it('case 44: plan of lib + exe, the library steps and module 1 of 5', () => {
    const pkg = 'snake-fury-0.1.0.0';
    expect(parseBuildProgress(CASE_44)).toEqual([
      { phase: 'planned', logLine: 4, package: pkg, component: 'lib' },
      { phase: 'planned', logLine: 5, package: pkg, component: 'exe:snake-fury' },
      { phase: 'configuring', logLine: 6, package: pkg, component: 'lib' },
      { phase: 'preprocessing', logLine: 7, package: pkg, component: 'lib' },
      { phase: 'building', logLine: 8, package: pkg, component: 'lib' },
      {
        phase: 'compiling',
        logLine: 9,
        package: pkg,
        component: 'lib',
        done: 1,
        total: 5,
        module: 'Paths_snake_fury',
      },
    ]);
  });

  it('case 47: two components, a counter per component, Linking as step 2 of 2', () => {
    const events = parseBuildProgress(CASE_47);
    expect(events[0]).toEqual({ phase: 'resolving', logLine: 0 });
    expect(events.filter((e) => e.phase === 'planned').map((e) => e.component)).toEqual([
      'lib',
      'exe:main',
    ]);

    const steps = events.filter((e) => e.done !== undefined);
    expect(steps.map((e) => [e.phase, e.component, e.done, e.total, e.module])).toEqual([
      ['compiling', 'lib', 1, 1, 'Foo'],
      ['compiling', 'exe:main', 1, 1, 'ExeMain'],
      ['linking', 'exe:main', 2, 2, undefined],
    ]);
    expect(steps[2]).toMatchObject({
      package: 'cabal-test-main-0.1',
      output:
        'dist-newstyle/build/x86_64-linux/ghc-9.14.1/cabal-test-main-0.1/x/main/build/main/main',
      logLine: 13,
    });
  });

  it('case 43: module 28 of 50 from a compile line with three paths', () => {
    expect(parseBuildProgress(CASE_43_FIRST_LINE)).toEqual([
      {
        phase: 'compiling',
        logLine: 0,
        done: 28,
        total: 50,
        module: 'Distribution.Solver.Modular.Linking',
      },
    ]);
  });

  it('gives the same events for 1-character chunks and CRLF line ends', () => {
    for (const log of [CASE_44, CASE_47]) {
      const whole = parseBuildProgress(log);
      expect(parseInPieces(log, 1)).toEqual(whole);
      expect(parseInPieces(log.replaceAll('\n', '\r\n'), 3)).toEqual(whole);
    }
  });
});

describe('BuildProgressParser on other cabal and GHC lines', () => {
  it('reads test suites, old-style Linking and Up to date', () => {
    const log = [
      "Building test suite 'spec' for tiny-0.1.0.0..",
      '[ 1 of 12] Compiling Main             ( test/Main.hs, obj/Main.o ) [Source file changed]',
      'Linking /tmp/tiny/dist-newstyle/build/spec/spec ...',
      'Running 1 test suites...',
      'Test suite spec: RUNNING...',
      'Test suite spec: FAIL',
      'Test suite other: PASS',
      'Up to date',
    ].join('\n');

    const events = parseBuildProgress(log);
    expect(
      events.map((e) => [e.phase, e.component, e.done, e.module, e.testSuite, e.passed]),
    ).toEqual([
      ['building', 'test:spec', undefined, undefined, undefined, undefined],
      ['compiling', 'test:spec', 1, 'Main', undefined, undefined],
      ['linking', 'test:spec', undefined, undefined, undefined, undefined],
      ['testing', 'test:spec', undefined, undefined, undefined, undefined],
      ['testing', 'test:spec', undefined, undefined, 'spec', undefined],
      ['tested', 'test:spec', undefined, undefined, 'spec', false],
      ['tested', 'test:spec', undefined, undefined, 'other', true],
      ['up-to-date', undefined, undefined, undefined, undefined, undefined],
    ]);
    expect(events[2]?.output).toBe('/tmp/tiny/dist-newstyle/build/spec/spec');
  });

  it('names sub-libraries, benchmarks and old cabal steps without a component', () => {
    const log = [
      "Building library 'internal' for pkg-1.0...",
      "Building benchmark 'speed' for pkg-1.0...",
      "Building foreign library 'ffi' for pkg-1.0...",
      'Building pkg-1.0...',
    ].join('\n');
    expect(parseBuildProgress(log).map((e) => [e.package, e.component])).toEqual([
      ['pkg-1.0', 'lib:internal'],
      ['pkg-1.0', 'bench:speed'],
      ['pkg-1.0', 'flib:ffi'],
      ['pkg-1.0', undefined],
    ]);
  });

  it('ignores diagnostics, garbage and look-alikes', () => {
    const log = [
      'src/A.hs:1:1: error: Building library for x..',
      '    [1 of 2] Compiling indented',
      '[a of b] Compiling X',
      'Building',
      '\u0000\u0001\u00ff garbage',
      'x'.repeat(200_000),
    ].join('\n');
    expect(parseInPieces(log, 4096)).toEqual([]);
  });
});
