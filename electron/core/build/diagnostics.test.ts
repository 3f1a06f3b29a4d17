import { describe, expect, it } from 'vitest';

import { feedInPieces } from '../testing/feed-in-pieces.ts';
import { readCase } from '../testing/shared-cases.ts';
import { DiagnosticParser, parseDiagnostics, type Diagnostic } from './diagnostics.ts';

function parseInPieces(text: string, size: number): Diagnostic[] {
  return feedInPieces(new DiagnosticParser(), text, size);
}

const CASE_43 = readCase('43');
const CASE_44 = readCase('44');
const CASE_45 = readCase('45');
const CASE_48 = readCase('48');
const CASE_50 = readCase('50');

describe('DiagnosticParser on real transcripts', () => {
  it('case 43: finds GHC-88464 at Linking.hs:245:10 with its multi-line type and fixes', () => {
    const [diagnostic, ...rest] = parseDiagnostics(CASE_43);
    expect(rest).toEqual([]);
    expect(diagnostic).toEqual({
      file: 'cabal/cabal-install-solver/src/Distribution/Solver/Modular/Linking.hs',
      line: 245,
      column: 10,
      severity: 'error',
      code: 'GHC-88464',
      message: [
        'Variable not in scope:',
        '  zipWithM_',
        '    :: (FlaggedDep QPN -> FlaggedDep QPN -> UpdateState ())',
        '       -> FlaggedDeps QPN -> FlaggedDeps QPN -> UpdateState ()',
        'Suggested fix:',
        '  Perhaps use one of these:',
        '    ‘zipWith’ (imported from Distribution.Solver.Compat.Prelude),',
        '    ‘zipWith3’ (imported from Distribution.Solver.Compat.Prelude)',
      ].join('\n'),
      snippet: '    |\n245 |     go = zipWithM_ go1\n    |          ^^^^^^^^^',
      source: 'ghc',
      logLine: 2,
      endLogLine: 13,
    });
  });

  it('case 44: reports cabal’s unsupported-GHC warning across its wrapped line', () => {
    expect(parseDiagnostics(CASE_44)).toEqual([
      {
        severity: 'warning',
        message:
          "Unknown/unsupported 'ghc' version detected (Cabal 3.8.1.0 supports\n" +
          "'ghc' version < 9.6): /Users/user/.ghcup/bin/ghc is version 9.6.2",
        source: 'cabal',
        logLine: 0,
        endLogLine: 1,
      },
    ]);
  });

  it('case 45: finds both warnings with codes, flags and their own gutter widths', () => {
    const [patterns, unused, ...rest] = parseDiagnostics(CASE_45);
    expect(rest).toEqual([]);

    expect(patterns).toMatchObject({
      file: 'src/A.hs',
      line: 262,
      column: 5,
      severity: 'warning',
      code: 'GHC-62161',
      flag: '-Wincomplete-patterns',
      logLine: 0,
      endLogLine: 11,
    });
    expect(patterns?.message.split('\n')).toEqual([
      'Pattern match(es) are non-exhaustive',
      'In an equation for ‘ps’:',
      '    Patterns of type ‘Int’, ‘E a’ not matched:',
      '        _ (In _ _ _ _)',
      '        _ (RwT _ ZipW)',
      '        _ (RwT _ Substr)',
      '        _ (RwT _ Sub1)',
      '        ...',
    ]);
    expect(patterns?.snippet?.split('\n')).toHaveLength(3);

    expect(unused).toEqual({
      file: 'src/Ty.hs',
      line: 60,
      column: 1,
      severity: 'warning',
      code: 'GHC-40910',
      flag: '-Wunused-top-binds',
      message: 'Defined but not used: ‘setMaxU’',
      snippet: '   |\n60 | setMaxU i (TyState _ c v) = TyState i c v\n   | ^^^^^^^',
      source: 'ghc',
      logLine: 13,
      endLogLine: 17,
    });
  });

  it('case 48: reports the resolver failure as one cabal error with the whole trace', () => {
    const [failure, ...rest] = parseDiagnostics(CASE_48);
    expect(rest).toEqual([]);
    expect(failure).toMatchObject({ severity: 'error', source: 'cabal', logLine: 1 });
    expect(failure?.endLogLine).toBe(14);
    expect(failure?.file).toBeUndefined();

    const lines = failure?.message.split('\n') ?? [];
    expect(lines[0]).toBe('Could not resolve dependencies:');
    expect(lines).toContain('cabal.config requires ==0.1.4.0)');
    expect(lines).toContain('[__1] fail (backjumping, conflict set: rio-prettyprint, stack)');
    expect(lines.at(-1)).toBe("goals I've had most trouble fulfilling: stack, rio-prettyprint");
  });

  it('case 50: reads a -fdiagnostics-as-json line with an integer code and hints', () => {
    expect(parseDiagnostics(CASE_50)).toEqual([
      {
        file: 'json.hs',
        line: 9,
        column: 11,
        endLine: 9,
        // JSON's end column 21 is exclusive; GHC's text form would print `json.hs:9:11-20`.
        endColumn: 20,
        severity: 'error',
        code: 'GHC-48010',
        message:
          'Empty list of alternatives in case expression\n' +
          'Suggested fix:\n' +
          "  Perhaps you intended to use the `EmptyCase' extension",
        source: 'ghc',
        logLine: 0,
        endLogLine: 0,
      },
    ]);
  });

  it('case 50 inside a cabal build: JSON lines mixed with progress and text lines', () => {
    const log = [
      '[1 of 2] Compiling Main             ( json.hs, json.o )',
      CASE_50.trimEnd(),
      '{"version":"1.1","span":null,"severity":"Warning","code":null,"message":["no span"],' +
        '"hints":[],"reason":{"flags":["missing-home-modules"]}}',
      '{"not":"a diagnostic"}',
      'src/B.hs:3:1: warning: [GHC-66111] [-Wunused-imports]',
      '    The import of ‘Data.List’ is redundant',
      '[2 of 2] Linking json',
    ].join('\n');

    const found = parseDiagnostics(log);
    expect(found.map((d) => [d.logLine, d.code, d.flag, d.file])).toEqual([
      [1, 'GHC-48010', undefined, 'json.hs'],
      [2, undefined, '-Wmissing-home-modules', undefined],
      [4, 'GHC-66111', '-Wunused-imports', 'src/B.hs'],
    ]);
    expect(found[2]?.endLogLine).toBe(5);
  });

  it('gives the same diagnostics for 1-character chunks as for one chunk', () => {
    for (const log of [CASE_43, CASE_44, CASE_45, CASE_48, CASE_50]) {
      const whole = parseDiagnostics(log);
      expect(whole.length).toBeGreaterThan(0);
      expect(parseInPieces(log, 1)).toEqual(whole);
      expect(parseInPieces(log.replaceAll('\n', '\r\n'), 1)).toEqual(whole);
    }
  });
});

describe('DiagnosticParser on GHC text formats', () => {
  it('reads a GHC 9.0 error with bullets and keeps their nesting', () => {
    const log = [
      'src/A.hs:12:5: error:',
      '    • Couldn’t match type ‘Int’ with ‘[Char]’',
      '      Expected: String',
      '        Actual: Int',
      '    • In the expression: x + 1',
      '   |',
      '12 |     x + 1',
      '   |     ^^^^^',
    ].join('\n');

    expect(parseDiagnostics(log)).toEqual([
      {
        file: 'src/A.hs',
        line: 12,
        column: 5,
        severity: 'error',
        message:
          '• Couldn’t match type ‘Int’ with ‘[Char]’\n  Expected: String\n    Actual: Int\n' +
          '• In the expression: x + 1',
        snippet: '   |\n12 |     x + 1\n   |     ^^^^^',
        source: 'ghc',
        logLine: 0,
        endLogLine: 7,
      },
    ]);
  });

  it('reads a message that starts on the header line', () => {
    const log = [
      'src/A.hs:8:5: error: Variable not in scope: undefinedThing :: t0 -> t',
      '  |',
      '8 | g = undefinedThing 3',
      '  |     ^^^^^^^^^^^^^^',
      '',
      'src/A.hs:1:1: error: Could not find module ‘Foo’',
      '    Use -v (or `:set -v` in ghci) to see a list of the files searched for.',
    ].join('\n');

    const [scope, missing] = parseDiagnostics(log);
    expect(scope?.message).toBe('Variable not in scope: undefinedThing :: t0 -> t');
    expect(scope?.snippet).toBe('  |\n8 | g = undefinedThing 3\n  |     ^^^^^^^^^^^^^^');
    expect(missing?.message).toBe(
      'Could not find module ‘Foo’\nUse -v (or `:set -v` in ghci) to see a list of the files ' +
        'searched for.',
    );
  });

  it('reads old and new warning tags, -Werror and warning groups', () => {
    const headers = [
      'A.hs:2:1: warning: [-Wunused-imports]',
      'A.hs:2:1: error: [-Wunused-imports, -Werror=unused-imports]',
      'A.hs:2:1: error: [GHC-66111] [-Wunused-imports, Werror=unused-imports]',
      'A.hs:2:1: warning: [GHC-63394] [-Wx-partial (in -Wextended-warnings)]',
      'A.hs:2:1: error: [GHC-83865]',
      'A.hs:2:1: Warning: Defined but not used: ‘x’',
    ];
    const found = parseDiagnostics(headers.join('\n'));
    expect(found.map((d) => [d.severity, d.code, d.flag])).toEqual([
      ['warning', undefined, '-Wunused-imports'],
      ['error', undefined, '-Wunused-imports'],
      ['error', 'GHC-66111', '-Wunused-imports'],
      ['warning', 'GHC-63394', '-Wx-partial'],
      ['error', 'GHC-83865', undefined],
      ['warning', undefined, undefined],
    ]);
    expect(found.map((d) => d.logLine)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(found[5]?.message).toBe('Defined but not used: ‘x’');
  });

  it('reads the error code through an OSC 8 hyperlink', () => {
    const link = '\u001b]8;;https://errors.haskell.org/messages/GHC-88464\u001b\\';
    const log = `A.hs:3:7: \u001b[31merror:\u001b[0m [${link}GHC-88464\u001b]8;;\u001b\\]\n    x\n`;
    expect(parseDiagnostics(log)[0]).toMatchObject({ code: 'GHC-88464', message: 'x' });
  });

  it('reads single-line and multi-line spans', () => {
    const log = [
      'src/A.hs:12:5-10: error: short',
      'src/A.hs:(12,5)-(13,7): warning: [-Wincomplete-patterns] long',
    ].join('\n');
    expect(parseDiagnostics(log).map((d) => [d.line, d.column, d.endLine, d.endColumn])).toEqual([
      [12, 5, 12, 10],
      [12, 5, 13, 7],
    ]);
  });

  it('keeps the drive letter of a Windows path', () => {
    const [diagnostic] = parseDiagnostics(
      'C:\\x\\A.hs:3:1: error:\r\n    parse error on input ‘=’\r\n',
    );
    expect(diagnostic).toMatchObject({ file: 'C:\\x\\A.hs', line: 3, column: 1 });
    expect(diagnostic?.message).toBe('parse error on input ‘=’');
  });

  it('reads diagnostics without a location', () => {
    const log = [
      '<no location info>: error: can’t find file: Nope.hs',
      '<no location info>: warning: [-Wmissing-home-modules]',
      '    These modules are needed for compilation but not listed in your .cabal file’s',
      '    other-modules: Foo',
      '<command line>: cannot satisfy -package-id foo-0.1',
    ].join('\n');
    const found = parseDiagnostics(log);
    expect(found.map((d) => [d.severity, d.file, d.flag, d.logLine])).toEqual([
      ['error', undefined, undefined, 0],
      ['warning', undefined, '-Wmissing-home-modules', 1],
      ['error', undefined, undefined, 4],
    ]);
    expect(found[0]?.message).toBe('can’t find file: Nope.hs');
    expect(found[1]?.message).toMatch(/^These modules .*\nother-modules: Foo$/);
  });

  it('ends a diagnostic at a progress line, a Linking line or the next header', () => {
    const log = [
      'A.hs:1:1: warning: [-Wmissing-signatures]',
      '    Top-level binding with no type signature: x :: Integer',
      '[2 of 3] Compiling B ( B.hs, B.o )',
      'B.hs:2:1: warning: [-Wunused-imports]',
      '    The import of ‘Data.List’ is redundant',
      'B.hs:3:1: warning: [-Wunused-top-binds]',
      '    Defined but not used: ‘y’',
      'Linking dist/build/app/app ...',
    ].join('\n');
    const found = parseDiagnostics(log);
    expect(found.map((d) => [d.logLine, d.endLogLine])).toEqual([
      [0, 1],
      [3, 4],
      [5, 6],
    ]);
  });

  it('reports each diagnostic as soon as its block ends, not at end()', () => {
    const parser = new DiagnosticParser();
    expect(parser.push('A.hs:1:1: error:\n    first\n')).toEqual([]);
    expect(parser.push('\n')).toHaveLength(1);
    expect(parser.push('B.hs:1:1: error:\n    second\n[2 of 2] Linking x\n')).toHaveLength(1);
    expect(parser.end()).toEqual([]);
  });

  it('takes lines split by another reader through pushLine and flush', () => {
    const parser = new DiagnosticParser();
    expect(parser.pushLine({ index: 40, text: 'A.hs:1:1: error:' })).toEqual([]);
    expect(parser.pushLine({ index: 41, text: '    oops' })).toEqual([]);
    expect(parser.flush()).toMatchObject([{ logLine: 40, endLogLine: 41, message: 'oops' }]);
  });
});

describe('DiagnosticParser on cabal messages', () => {
  it('reads old `cabal:` errors and 3.12 `Error: [Cabal-nnnn]` errors', () => {
    const log = [
      'cabal: Could not resolve dependencies:',
      '[__0] trying: foo-0.1 (user goal)',
      '',
      'Error: [Cabal-7107]',
      'Could not resolve dependencies:',
      '[__0] next goal: base (dependency of foo)',
      '',
      'cabal: warning: the config file has no repository',
      'Error: cabal-3.10.1.0: Failed to build foo-0.1.',
    ].join('\n');
    const found = parseDiagnostics(log);
    expect(found.map((d) => [d.severity, d.code, d.logLine, d.endLogLine])).toEqual([
      ['error', undefined, 0, 1],
      ['error', 'Cabal-7107', 3, 5],
      ['warning', undefined, 7, 7],
      ['error', undefined, 8, 8],
    ]);
    expect(found[1]?.message).toBe(
      'Could not resolve dependencies:\n[__0] next goal: base (dependency of foo)',
    );
    expect(found[3]?.message).toBe('Failed to build foo-0.1.');
  });

  it('does not take a test suite’s own "Error:" output for cabal', () => {
    const log = 'Error: expected 3 but got 4\nsrc/Spec.hs passed\n';
    expect(parseDiagnostics(log)).toEqual([]);
  });

  it('ends an unwrapped cabal warning at its last sentence', () => {
    const log = [
      'Warning: No remote package servers have been specified. Usually you would have',
      'one specified in the config file.',
      'Some later line that is not a status line',
    ].join('\n');
    expect(parseDiagnostics(log)).toMatchObject([{ severity: 'warning', endLogLine: 1 }]);
  });
});

describe('DiagnosticParser on bad input', () => {
  it('survives garbage without inventing diagnostics', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const garbage = Array.from({ length: 50_000 }, () =>
      String.fromCharCode(Math.floor(random() * 0x250)),
    ).join('');

    expect(() => parseInPieces(garbage, 97)).not.toThrow();
    const lookalikes =
      'a.hs:x:1: error:\nfoo:12: error:\n: error:\n{"severity":"Error"\n[1 of 2]\n';
    expect(parseDiagnostics(lookalikes)).toEqual([]);
  });

  it('reports a diagnostic cut off by the end of the stream', () => {
    expect(parseDiagnostics('A.hs:1:1: error:')).toMatchObject([
      { file: 'A.hs', message: '', logLine: 0, endLogLine: 0 },
    ]);
    expect(parseDiagnostics('A.hs:1:1: error: [GHC-88464]\n    Variable not in sc')).toMatchObject([
      { code: 'GHC-88464', message: 'Variable not in sc', endLogLine: 1 },
    ]);
    expect(parseDiagnostics(CASE_43.slice(0, CASE_43.indexOf('245 |')))).toMatchObject([
      { line: 245, snippet: '    |', endLogLine: 11 },
    ]);
  });

  it('counts lines past a very long line and caps a very long message line', () => {
    const long = 'x'.repeat(1_000_000);
    const log = `${long}\nA.hs:1:1: error:\n    ${long}\n\nB.hs:2:2: error:\n    short\n`;
    const found = parseInPieces(log, 65_536);
    expect(found.map((d) => [d.file, d.logLine])).toEqual([
      ['A.hs', 1],
      ['B.hs', 4],
    ]);
    expect(found[0]?.message.length).toBeLessThan(70_000);
  });

  it('ignores JSON that is cut off or has the wrong types', () => {
    const log = [
      '{"version":"1.1","span":{"file":"a.hs","start":{"line":1,"column":1}},"severity":"Err',
      '{"span":{"file":3},"severity":"Error","message":"plain string","code":"x"}',
      '{"span":{"file":"b.hs","start":{"line":-1,"column":1}},"severity":"Warning"}',
      '[1, 2]',
      'null',
    ].join('\n');
    expect(parseDiagnostics(log)).toEqual([
      { severity: 'error', message: 'plain string', source: 'ghc', logLine: 1, endLogLine: 1 },
      { severity: 'warning', message: '', source: 'ghc', logLine: 2, endLogLine: 2 },
    ]);
  });
});
