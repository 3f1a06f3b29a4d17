import { spawn } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { shellCommand, shellQuote } from './shell-quote.ts';

const SHELL_TIMEOUT_MS = 10_000;

/**
 * Has a real `sh` parse the command and print each word it received, NUL-terminated, so the
 * words can be compared with what went in.
 */
function wordsAfterShell(args: readonly string[], shell = 'sh'): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(shell, ['-c', 'printf "%s\\0" ' + shellCommand(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // No variables or globs to lean on: a word that leaks would show as a difference.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', LC_ALL: 'C.UTF-8' },
      cwd: '/',
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), SHELL_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`sh exited ${code}: ${Buffer.concat(stderr).toString()}`));
        return;
      }
      const words = Buffer.concat(stdout).toString('utf8').split('\0');
      words.pop();
      resolve(words);
    });
  });
}

const NASTY: [string, string[]][] = [
  ['single quotes', ["it's", "'", "''", "a'b'c", "'leading", "trailing'"]],
  ['double quotes', ['"', '"quoted"', 'say "hi"', '\\"']],
  ['command substitution', ['$(touch /tmp/pwned)', '$(echo hi)', '${HOME}', '$HOME', '$']],
  ['backticks', ['`id`', '`', 'a`b`c']],
  ['newlines and tabs', ['line one\nline two', '\n', 'trailing\n', '\t', 'a\tb', '\r\n']],
  ['separators', [';', 'a;b', '|', 'a|b', '&', '&&', '||', 'a & b', '; rm -rf / ;']],
  ['redirections', ['>', '<', '>>', '2>&1', '<(cat)', 'a>b']],
  ['globs', ['*', '?', '[a-z]*', '/*', '~', '~/x', '{a,b}', '**/*.hs']],
  ['empty strings', ['', '', 'x', '']],
  ['leading dashes', ['-', '--', '-rf', '--flag=value', '-n']],
  ['unicode', ['ünïcødé', '日本語', '🚀 launch', 'zero\u200bwidth', 'ﬁ']],
  ['backslashes', ['\\', '\\\\', 'a\\nb', 'C:\\path', '\\\n']],
  ['comments and spaces', ['#', '# not a comment', ' ', '  two  spaces  ', 'a b']],
  ['assignment lookalikes', ['A=b', '=', 'x=$(id)', 'PATH=/evil']],
  ['plain safe words', ['cabal', 'build', '--ghc=9.8.4', 'user@host:path', '50%', 'a+b,c']],
  ['every ASCII punctuation', ['!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~']],
];

describe('shellCommand', () => {
  it.each(NASTY)('survives a real sh unchanged: %s', async (_label, args) => {
    expect(await wordsAfterShell(args)).toEqual(args);
  });

  it('survives a real sh unchanged: all of them in one command', async () => {
    const args = NASTY.flatMap(([, words]) => words);
    expect(await wordsAfterShell(args)).toEqual(args);
  });

  // The VM's login shell, which parses SSH exec requests, is normally bash rather than sh.
  it('survives a real bash unchanged: all of them in one command', async () => {
    const args = NASTY.flatMap(([, words]) => words);
    expect(await wordsAfterShell(args, 'bash')).toEqual(args);
  });

  it('survives a real sh unchanged: control characters', async () => {
    const args = [...Array(31).keys()].map((code) => `<${String.fromCharCode(code + 1)}>`);
    expect(await wordsAfterShell(args)).toEqual(args);
  });

  it('leaves safe words bare and quotes the rest', () => {
    expect(shellCommand(['tar', '-x', '-f', '-', '-C', 'builds/my-app'])).toBe(
      'tar -x -f - -C builds/my-app',
    );
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellCommand([])).toBe('');
  });
});
