/**
 * Checks run on a VM through its tunnel for the doctor and the smoke test. Each script is fixed
 * text: whatever it needs (relay host, ports) it reads on the VM from /etc/build-agent.env, so
 * nothing from the workstation is spliced into a shell command.
 */
import type { Check } from '../api/contract-hub.ts';
import { shellCommand } from '../exec/shell-quote.ts';
import type { SshSession } from '../ssh/ssh-session.ts';

const CAPTURE_TIMEOUT_MS = 15_000;

// The env file is data: read the keys with sed, never source it.
const READ_ENV =
  'envf=${BUILD_AGENT_ENV_FILE:-/etc/build-agent.env}; ' +
  'q=\'"\'; s="\'"; ' +
  'val() { local line v=""; while IFS= read -r line; do case $line in "$1="*) ' +
  'v=${line#*=}; v=${v#"$q"}; v=${v%"$q"}; v=${v#"$s"}; v=${v%"$s"};; esac; ' +
  'done < "$envf"; printf "%s" "$v"; }; ';

export const SCRIPTS = {
  agentActive:
    'if [ -d /run/systemd/system ]; then systemctl is-active build-agent.service; ' +
    'elif pgrep -f /usr/local/bin/build-agent >/dev/null; then echo active; ' +
    'else echo inactive; exit 3; fi',
  journal:
    'if ! [ -d /run/systemd/system ]; then echo "no systemd journal on this host"; exit 42; fi; ' +
    'journalctl -u build-agent.service -n 40 --no-pager -o cat',
  relayReachable:
    READ_ENV +
    '[ -r "$envf" ] || { echo "$envf is missing or unreadable"; exit 4; }; ' +
    'h=$(val SSH_RELAY_HOST); p=$(val SSH_RELAY_PORT); p=${p:-22}; echo "$h:$p"; ' +
    'timeout 3 bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$h" "$p"',
  relayAcceptsKey:
    READ_ENV +
    '[ -r "$envf" ] || { echo "$envf is missing or unreadable"; exit 4; }; ' +
    'h=$(val SSH_RELAY_HOST); p=$(val SSH_RELAY_PORT); u=$(val SSH_RELAY_USER); ' +
    'k=$(val BUILD_KEY); k=${k:-$HOME/.ssh/id_build}; echo "$u@$h:$p"; ' +
    'ssh -F none -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no ' +
    '-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes -i "$k" ' +
    '-p "$p" -l "$u" "$h" true',
  forwardTunnel:
    'port=${BUILD_AGENT_HUB_LOCAL_PORT:-18000}; ' + 'curl -sS -m 3 "http://127.0.0.1:$port/health"',
  ghcVersion: '[ -f "$HOME/.ghcup/env" ] && . "$HOME/.ghcup/env"; ghc --version',
} as const;

export interface VmRun {
  exitCode: number | null;
  output: string;
}

export async function runOnVm(session: SshSession, script: string): Promise<VmRun> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CAPTURE_TIMEOUT_MS);
  const chunks: Buffer[] = [];
  try {
    const result = await session.exec(shellCommand(['bash', '-c', script]), {
      signal: controller.signal,
      onStdout: (chunk) => chunks.push(chunk),
      onStderr: (chunk) => chunks.push(chunk),
    });
    return { exitCode: result.exitCode, output: Buffer.concat(chunks).toString('utf8').trim() };
  } finally {
    clearTimeout(timer);
  }
}

export function check(
  id: string,
  title: string,
  verdict: Check['verdict'],
  detail: string,
  fix?: string,
): Check {
  return { id, title, verdict, detail, ...(fix && verdict !== 'pass' ? { fix } : {}) };
}

export const FORWARD_TUNNEL_TITLE = 'Forward tunnel -L 18000:localhost:8000';

/** Curls the State Hub's health from the VM through the forward tunnel. */
export async function forwardTunnelCheck(session: SshSession, fix: string): Promise<Check> {
  const forward = await runOnVm(session, SCRIPTS.forwardTunnel);
  return check(
    'forward-tunnel',
    FORWARD_TUNNEL_TITLE,
    hubAnswered(forward.exitCode, forward.output) ? 'pass' : 'fail',
    forwardDetail(forward.exitCode, forward.output),
    fix,
  );
}

function hubAnswered(exitCode: number | null, output: string): boolean {
  return exitCode === 0 && /"status"\s*:\s*"ok"/.test(output);
}

/** What curl's answer through the forward says: the forward down, or the hub behind it. */
export function forwardDetail(exitCode: number | null, output: string): string {
  if (hubAnswered(exitCode, output)) {
    return 'the State Hub answers on the VM at 127.0.0.1:18000';
  }
  if (/\(7\)|Failed to connect/.test(output)) {
    return 'nothing listens on 127.0.0.1:18000 on the VM: the forward tunnel is not up';
  }
  if (/\(56\)|\(52\)|reset|Empty reply/.test(output)) {
    return (
      "the forward tunnel is up, but nothing answers behind it: the workstation's " +
      'State Hub port is closed'
    );
  }
  return lastLines(output) || `curl exit ${exitCode}`;
}

export function lastLines(text: string, count = 3): string {
  return text.split('\n').filter(Boolean).slice(-count).join(' | ');
}
