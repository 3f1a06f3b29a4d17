/**
 * The seed's troubleshooting list as checks, each with a verdict and a fix: "Tunnel not up"
 * (agent journal, relay reachable from the VM, workstation accepts the build key) and
 * "Capability not in state-hub" (catalog entry, forward tunnel), plus a stale listener on the
 * tunnel port.
 */
import type { Catalog, Check, CheckReport } from '../api/contract-hub.ts';
import { LocalRunner } from '../exec/local-runner.ts';
import type { MachineService } from '../machines/machine-service.ts';
import type { MachineEntry } from '../registry/port-registry.ts';
import type { TunnelProbe } from './tunnel-probe.ts';
import {
  check,
  FORWARD_TUNNEL_TITLE,
  forwardTunnelCheck,
  lastLines,
  runOnVm,
  SCRIPTS,
} from './vm-checks.ts';
import type { VmRun } from './vm-checks.ts';

const JOURNAL_TITLE = 'Agent journal (journalctl -u build-agent)';

export interface CheckContext {
  machines: MachineService;
  /** A fresh probe of the VM's tunnel. */
  probe(machine: MachineEntry): Promise<TunnelProbe>;
  /** A fresh read of the State Hub. */
  catalog(): Promise<Catalog>;
}

export async function runDoctor(vm: string, context: CheckContext): Promise<CheckReport> {
  const machine = await context.machines.machine(vm);
  const checks: Check[] = [];
  const probe = await context.probe(machine);
  checks.push(await listenerCheck(machine, probe));
  checks.push(handshakeCheck(machine, probe));

  const catalog = await context.catalog();
  checks.push(hubCheck(catalog));
  checks.push(capabilityCheck(vm, catalog));

  if (probe.handshake !== 'ok') {
    const skipped = 'needs SSH through the tunnel, which is down; check on the VM console';
    checks.push(
      check(
        'agent-journal',
        JOURNAL_TITLE,
        'skip',
        skipped,
        'On the VM console: journalctl -u build-agent -n 50',
      ),
      check(
        'relay-reachable',
        'SSH_RELAY_HOST reachable from the VM',
        'skip',
        skipped,
        'On the VM console: grep SSH_RELAY_HOST /etc/build-agent.env, then ping it.',
      ),
      check(
        'relay-accepts-key',
        "Workstation's sshd accepts the build key",
        'skip',
        skipped,
        "Add ~/.ssh/id_build.pub to the relay user's ~/.ssh/authorized_keys on this machine.",
      ),
      check(
        'forward-tunnel',
        FORWARD_TUNNEL_TITLE,
        'skip',
        skipped,
        'On the VM: curl http://127.0.0.1:18000/health',
      ),
    );
    return { vm, ok: false, checks };
  }

  const session = await context.machines.session(vm);
  checks.push(journalCheck(await runOnVm(session, SCRIPTS.journal)));

  const relay = await runOnVm(session, SCRIPTS.relayReachable);
  checks.push(
    check(
      'relay-reachable',
      'SSH_RELAY_HOST reachable from the VM',
      relay.exitCode === 0 ? 'pass' : 'fail',
      relay.exitCode === 0 ? `${relay.output.split('\n')[0]} answers` : lastLines(relay.output),
      'Set SSH_RELAY_HOST in /etc/build-agent.env to a LAN address of this workstation the VM ' +
        'can reach (inject-keys offers them), and check the workstation firewall allows SSH.',
    ),
  );

  const accepts = await runOnVm(session, SCRIPTS.relayAcceptsKey);
  checks.push(
    check(
      'relay-accepts-key',
      "Workstation's sshd accepts the build key",
      accepts.exitCode === 0 ? 'pass' : 'fail',
      accepts.exitCode === 0
        ? `${accepts.output.split('\n')[0]} accepted the build key`
        : lastLines(accepts.output),
      'Append ~/.ssh/id_build.pub to ~/.ssh/authorized_keys of SSH_RELAY_USER on this ' +
        'workstation, and make sure its sshd allows public key login.',
    ),
  );

  checks.push(
    await forwardTunnelCheck(
      session,
      'The agent opens it with the reverse tunnel; restart it on the VM (sudo systemctl ' +
        'restart build-agent) and check that the State Hub runs on this workstation.',
    ),
  );

  return { vm, ok: checks.every((item) => item.verdict !== 'fail'), checks };
}

function journalCheck(journal: VmRun): Check {
  // SCRIPTS.journal exits 42 where there is no systemd journal to read.
  if (journal.exitCode === 42) {
    return check(
      'agent-journal',
      JOURNAL_TITLE,
      'skip',
      'this VM has no systemd journal (not the image)',
    );
  }
  if (journal.exitCode !== 0) {
    return check(
      'agent-journal',
      JOURNAL_TITLE,
      'warn',
      `journalctl failed: ${lastLines(journal.output)}`,
      'Run it on the VM: journalctl -u build-agent -n 50',
    );
  }
  const errors = journal.output.split('\n').filter((line) => /error|fail|refused/i.test(line));
  if (errors.length > 0) {
    return check(
      'agent-journal',
      JOURNAL_TITLE,
      'warn',
      `recent problems: ${errors.slice(-3).join(' | ')}`,
      'Read the full journal on the VM: journalctl -u build-agent -n 100',
    );
  }
  return check(
    'agent-journal',
    JOURNAL_TITLE,
    'pass',
    lastLines(journal.output, 1) || 'no problems logged',
  );
}

async function listenerCheck(machine: MachineEntry, probe: TunnelProbe): Promise<Check> {
  const title = `Tunnel port ${machine.port} held by the VM's tunnel`;
  const owner = await portOwner(machine.port);
  if (!probe.listening) {
    return check(
      'tunnel-port',
      title,
      'fail',
      `nothing listens on port ${machine.port}`,
      'Start the VM; its agent opens the reverse tunnel (make bridge-status to watch).',
    );
  }
  if (probe.handshake === 'timeout') {
    return check(
      'tunnel-port',
      title,
      'fail',
      `port ${machine.port} is held${owner ? ` by ${owner}` : ''} but no SSH answers through ` +
        'it: a stale listener from a dead session, or the VM lost its link',
      `Find it with: ss -ltnp 'sport = :${machine.port}' and end that sshd session; the ` +
        "workstation's sshd frees it by itself after ClientAliveInterval x ClientAliveCountMax.",
    );
  }
  if (owner && !/sshd/.test(owner)) {
    return check(
      'tunnel-port',
      title,
      'fail',
      `port ${machine.port} is held by ${owner}, not by sshd`,
      `Stop that program or give ${machine.name} another port in port-registry.yml.`,
    );
  }
  return check(
    'tunnel-port',
    title,
    'pass',
    `port ${machine.port} listens${owner ? ` (${owner})` : ''}`,
  );
}

function handshakeCheck(machine: MachineEntry, probe: TunnelProbe): Check {
  const title = 'SSH through the tunnel with the pinned host key';
  if (probe.handshake === 'ok') {
    return check('ssh-handshake', title, 'pass', `handshake in ${probe.rttMs} ms`);
  }
  const fixes: Record<string, string> = {
    'host-key-changed':
      'If the VM was re-imported, confirm its new fingerprint on its console and inject ' +
      'credentials again; otherwise something else answers on the port.',
    'host-key-unknown': 'Pin the VM key: run inject-keys, or trust it from the VM card.',
    'auth-failed': 'Inject the credentials again so the VM authorizes ~/.ssh/id_build.',
  };
  return check(
    'ssh-handshake',
    title,
    'fail',
    probe.message ?? probe.handshake,
    fixes[probe.handshake] ?? `Check the VM and its agent; ${machine.name} must be running.`,
  );
}

function hubCheck(catalog: Catalog): Check {
  const up = catalog.status.kind === 'external' || catalog.status.kind === 'embedded';
  return check(
    'state-hub',
    'State Hub answers',
    up ? 'pass' : 'fail',
    up ? `${catalog.status.kind} hub at ${catalog.status.url}` : (catalog.status.message ?? ''),
    'Start the State Hub (cd ~/the-custodian/state-hub && make api), or let the panel run its ' +
      'own: make start.',
  );
}

function capabilityCheck(vm: string, catalog: Catalog): Check {
  const title = 'Capability haskell-build-agent registered';
  const entry = catalog.entries.find((candidate) => candidate.name === vm);
  if (!entry) {
    return check(
      'capability',
      title,
      'fail',
      `no entry for ${vm} in the State Hub`,
      'The agent registers once the forward tunnel is up and retries 20 times at boot; check ' +
        'the forward tunnel and the agent journal below, or restart the agent.',
    );
  }
  return check(
    'capability',
    title,
    entry.freshness === 'online' ? 'pass' : 'warn',
    `registered, ${entry.freshness}, last seen ${Math.round(entry.ageMs / 1000)} s ago`,
    'The agent heartbeats every 30 s; restart it on the VM: sudo systemctl restart build-agent',
  );
}

// Which process holds a TCP port on this machine, as `ss` reports it (name and pid).
async function portOwner(port: number): Promise<string | undefined> {
  try {
    const result = await new LocalRunner().run('ss', ['-Hltnp', `sport = :${port}`], {
      timeoutMs: 3_000,
    });
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(result.stdout);
    return match ? `${match[1]} (pid ${match[2]})` : undefined;
  } catch {
    return undefined;
  }
}
