import { shellCommand } from '../exec/shell-quote.ts';

/** What a terminal runs on the VM. */
export interface ReplSpec {
  /** The synced project folder relative to the build user's home; absent for plain GHCi. */
  projectDir?: string;
  ghc?: string;
  /** A tmux session name: the REPL then outlives a dropped tunnel. */
  tmuxSession?: string;
}

// GHCup's environment if the VM has one, and a UTF-8 locale, which ssh exec does not pass on
// and without which GHCi prints `?` for every non-ASCII character.
const PRELUDE =
  '[ -f "$HOME/.ghcup/env" ] && . "$HOME/.ghcup/env"; export LANG="${LANG:-C.UTF-8}"; ';

const TMUX_DIR = '"$HOME/.build-machines"';
const TMUX_SOCKET = '"$HOME/.build-machines/tmux.sock"';
const TMUX_CONFIG = '"$HOME/.build-machines/tmux.conf"';

// tmux only hosts the REPL: no status line or prefix key in the way, no delay after Escape,
// and no alternate screen, so xterm keeps its scrollback and the page looks like plain GHCi.
const TMUX_SETTINGS = [
  'set -g status off',
  'set -g prefix None',
  'set -g escape-time 0',
  'set -g history-limit 20000',
  "set -ga terminal-overrides ',*:smcup@:rmcup@'",
];

export function replProgram(spec: ReplSpec): string[] {
  const compiler = spec.ghc ? `ghc-${spec.ghc}` : 'ghc';
  if (spec.projectDir) return ['cabal', 'repl', ...(spec.ghc ? ['-w', compiler] : [])];
  return [compiler, '--interactive'];
}

/**
 * The command string for the terminal's exec channel. The socket sits in the build user's home
 * rather than /tmp, so two machines sharing a /tmp (or another user) never meet each other's
 * sessions. Without tmux on the VM the REPL runs directly and does not survive a drop.
 */
export function replCommand(spec: ReplSpec): string {
  const program = shellCommand(replProgram(spec));
  const cd = spec.projectDir ? `cd ${shellCommand([spec.projectDir])} && ` : '';
  if (!spec.tmuxSession) return `${PRELUDE}${cd}exec ${program}`;

  const settings = TMUX_SETTINGS.map((line) => shellCommand([line])).join(' ');
  const tmux =
    `mkdir -p ${TMUX_DIR} && printf '%s\\n' ${settings} > ${TMUX_CONFIG} && ` +
    `exec tmux -u -f ${TMUX_CONFIG} -S ${TMUX_SOCKET} new-session -A ` +
    shellCommand(['-s', spec.tmuxSession, program]);
  return (
    `${PRELUDE}${cd}if command -v tmux >/dev/null 2>&1; then ${tmux}; fi; ` + `exec ${program}`
  );
}

/** Ends a terminal's tmux session, and the REPL in it, when the user closes the terminal. */
export function tmuxKillCommand(session: string): string {
  return (
    `[ -S ${TMUX_SOCKET} ] && command -v tmux >/dev/null 2>&1 && ` +
    `tmux -S ${TMUX_SOCKET} ${shellCommand(['kill-session', '-t', `=${session}`])}; true`
  );
}
