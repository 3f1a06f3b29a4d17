import { execFileSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { replCommand, replProgram, tmuxKillCommand } from './terminal-command.ts';

describe('replProgram', () => {
  it('runs cabal repl in a project, with the chosen compiler', () => {
    expect(replProgram({ projectDir: 'builds/app', ghc: '9.8.4' })).toEqual([
      'cabal',
      'repl',
      '-w',
      'ghc-9.8.4',
    ]);
    expect(replProgram({ projectDir: 'builds/app' })).toEqual(['cabal', 'repl']);
  });

  it('runs plain GHCi without a project', () => {
    expect(replProgram({ ghc: '9.6.6' })).toEqual(['ghc-9.6.6', '--interactive']);
    expect(replProgram({})).toEqual(['ghc', '--interactive']);
  });
});

describe('replCommand', () => {
  it('is valid sh, quotes the project folder as one word, and execs the REPL', () => {
    const command = replCommand({ projectDir: "builds/it's; rm -rf ~", ghc: '9.0.2' });
    expect(command).toContain(`cd 'builds/it'\\''s; rm -rf ~' && exec cabal repl -w ghc-9.0.2`);
    execFileSync('sh', ['-n', '-c', command]);
  });

  it('runs the REPL in a named tmux session with its own socket and config', () => {
    const command = replCommand({ tmuxSession: 'bm-abc123' });
    expect(command).toContain('new-session -A -s bm-abc123');
    expect(command).toContain('-S "$HOME/.build-machines/tmux.sock"');
    expect(command).toMatch(/then .*exec tmux .*; fi; exec ghc --interactive$/);
    execFileSync('sh', ['-n', '-c', command]);
  });

  it('writes a tmux config without status line, prefix key or alternate screen', () => {
    const command = replCommand({ tmuxSession: 'bm-x' });
    const written = command.match(/printf '%s\\n' (.*?) > /)![1]!;
    const lines = execFileSync('sh', ['-c', `printf '%s\\n' ${written}`], { encoding: 'utf8' });
    expect(lines.split('\n')).toEqual([
      'set -g status off',
      'set -g prefix None',
      'set -g escape-time 0',
      'set -g history-limit 20000',
      "set -ga terminal-overrides ',*:smcup@:rmcup@'",
      '',
    ]);
  });

  it('kills exactly the named session', () => {
    const command = tmuxKillCommand('bm-x');
    expect(command).toContain('kill-session -t =bm-x');
    execFileSync('sh', ['-n', '-c', command]);
  });
});
