import { StringDecoder } from 'node:string_decoder';

import type { GhcList } from '../api/contract-workspace.ts';
import { UserError } from '../errors.ts';
import { shellCommand } from '../exec/shell-quote.ts';
import type { SshSession } from '../ssh/ssh-session.ts';

const PRELUDE = '[ -f "$HOME/.ghcup/env" ] && . "$HOME/.ghcup/env"; ';
const GHCUP_MARKER = 'BM-GHCUP ';
const DEFAULT_MARKER = 'BM-DEFAULT ';

// Fixed text, no input: whether GHCup is there, what `ghc` on PATH is, and every ghc-X.Y.Z
// in GHCup's folder and the system's (Debian's ghc package installs /usr/bin/ghc-9.0.2).
const LIST_COMMAND =
  PRELUDE +
  `printf '${GHCUP_MARKER}%s\\n' "$(command -v ghcup || true)"; ` +
  `printf '${DEFAULT_MARKER}%s\\n' "$(ghc --numeric-version 2>/dev/null || true)"; ` +
  'for d in "$HOME/.ghcup/bin" /usr/local/bin /usr/bin; do ls "$d" 2>/dev/null; done | ' +
  "grep -E '^ghc-[0-9]+(\\.[0-9]+)+$' | sed 's/^ghc-//' | sort -u -V";

/** Reads the listing; kept apart from the SSH call so real transcripts can be tested. */
export function parseGhcListing(text: string): GhcList {
  let ghcup = false;
  let current = '';
  const versions: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith(GHCUP_MARKER.trim())) ghcup = line.length > GHCUP_MARKER.trim().length;
    else if (line.startsWith(DEFAULT_MARKER.trim())) {
      current = line.slice(DEFAULT_MARKER.trim().length).trim();
    } else if (/^\d+(\.\d+)+$/.test(line)) versions.push(line);
  }
  if (current && !versions.includes(current)) versions.push(current);
  return {
    ghcup,
    versions: versions.map((version) => ({ version, isDefault: version === current })),
  };
}

export async function listGhc(session: SshSession): Promise<GhcList> {
  const result = await session.capture(LIST_COMMAND);
  if (result.exitCode !== 0) {
    throw new Error(`listing GHC versions failed: ${result.stderr.trim() || result.exitCode}`);
  }
  return parseGhcListing(result.stdout.toString('utf8'));
}

/** Runs a command with a PTY (so ghcup and apt print progress) and streams its text. */
export async function runLogged(
  session: SshSession,
  command: string,
  onText: (text: string) => void,
): Promise<{ exitCode: number | null; durationMs: number }> {
  const started = performance.now();
  const decoder = new StringDecoder('utf8');
  onText(`$ ${command.replace(PRELUDE, '')}\r\n`);
  const result = await session.exec(command, {
    pty: true,
    onStdout: (chunk) => onText(decoder.write(chunk)),
    onStderr: (chunk) => onText(chunk.toString('utf8')),
  });
  const rest = decoder.end();
  if (rest) onText(rest);
  return { exitCode: result.exitCode, durationMs: Math.round(performance.now() - started) };
}

async function requireGhcup(session: SshSession, vm: string): Promise<void> {
  const found = await session.capture(`${PRELUDE}command -v ghcup`);
  if (found.exitCode !== 0) {
    throw new UserError(
      'ghcup-missing',
      `GHCup is not installed on ${vm}, so GHC versions cannot be added or switched there`,
      'The Build Machines image installs GHCup for the build user; on another VM install it ' +
        '(https://www.haskell.org/ghcup/) or add a GHC with the system packages (apt-install).',
    );
  }
}

export function ghcupCommand(action: 'install' | 'set', version: string): string {
  return PRELUDE + shellCommand(['ghcup', action, 'ghc', version]);
}

export async function installGhc(
  session: SshSession,
  vm: string,
  version: string,
  onText: (text: string) => void,
) {
  await requireGhcup(session, vm);
  return runLogged(session, ghcupCommand('install', version), onText);
}

export async function setDefaultGhc(
  session: SshSession,
  vm: string,
  version: string,
  onText: (text: string) => void,
) {
  await requireGhcup(session, vm);
  return runLogged(session, ghcupCommand('set', version), onText);
}

/** Names are validated by the contract; `--` keeps any that slipped through from being options. */
export function aptCommand(packages: string[]): string {
  return shellCommand([
    'sudo',
    '-n',
    'env',
    'DEBIAN_FRONTEND=noninteractive',
    'apt-get',
    'install',
    '-y',
    '--',
    ...packages,
  ]);
}

export async function aptInstall(
  session: SshSession,
  vm: string,
  packages: string[],
  onText: (text: string) => void,
) {
  // sudo -n fails at once instead of waiting for a password nobody can type.
  const sudo = await session.capture('command -v sudo >/dev/null && sudo -n true');
  if (sudo.exitCode !== 0) {
    throw new UserError(
      'sudo-unavailable',
      `the build user on ${vm} cannot run sudo without a password` +
        (sudo.stderr.trim() ? ` (${sudo.stderr.trim().split('\n').pop()})` : ' (sudo is missing)'),
      'The Build Machines image allows it (/etc/sudoers.d/90-builder); on another VM add ' +
        '"builder ALL=(ALL) NOPASSWD:ALL" there, or install the packages from its console.',
    );
  }
  return runLogged(session, aptCommand(packages), onText);
}
