import type { MachineStatus } from '../api/contract.ts';
import { UserError, describeError } from '../errors.ts';
import { createLogger } from '../log/logger.ts';
import type { EventBus } from '../events/event-bus.ts';
import { loadPortRegistry, type MachineEntry } from '../registry/port-registry.ts';
import { fingerprintOf, type HostKeyStore } from '../ssh/host-keys.ts';
import { SshSession } from '../ssh/ssh-session.ts';

const SSH_STATES = new Set<MachineStatus['ssh']>([
  'unreachable',
  'host-key-unknown',
  'host-key-changed',
  'auth-failed',
  'build-key-missing',
]);

// The VM lists its compilers from GHCup's folder and the system's; fixed text, no input in it.
const LIST_GHC_COMMAND =
  'for d in "$HOME/.ghcup/bin" /usr/local/bin /usr/bin; do ls "$d" 2>/dev/null; done | ' +
  "grep -E '^ghc-[0-9]+(\\.[0-9]+)+$' | sed 's/^ghc-//' | sort -u -V";

/**
 * The build machines named in the port registry, and one reusable SSH session to each through
 * its tunnel port. The registry is read again on every listing so hand edits show at once.
 */
export class MachineService {
  private readonly sessions = new Map<string, SshSession>();
  private readonly statuses = new Map<string, MachineStatus>();

  constructor(
    private readonly registryPath: string,
    private readonly buildKeyPath: string,
    private readonly hostKeys: HostKeyStore,
    private readonly events: EventBus,
  ) {}

  async list(): Promise<MachineStatus[]> {
    const machines = await loadPortRegistry(this.registryPath);
    return machines.map((machine) => this.statuses.get(machine.name) ?? unknownStatus(machine));
  }

  async machine(name: string): Promise<MachineEntry> {
    const machines = await loadPortRegistry(this.registryPath);
    const found = machines.find((machine) => machine.name === name);
    if (!found) {
      const known = machines.map((machine) => machine.name).join(', ') || 'none';
      throw new UserError(
        'vm-unknown',
        `no build machine named ${name} in ${this.registryPath}`,
        `Use one of: ${known}; or add it to port-registry.yml.`,
      );
    }
    return found;
  }

  /** The session for a VM, replaced when the registry changed its port or user. */
  async session(name: string): Promise<SshSession> {
    const machine = await this.machine(name);
    const existing = this.sessions.get(name);
    if (
      existing &&
      existing.machine.port === machine.port &&
      existing.machine.user === machine.user
    ) {
      return existing;
    }
    existing?.close();
    const session = new SshSession(machine, this.buildKeyPath, this.hostKeys);
    this.sessions.set(name, session);
    return session;
  }

  /** Whether SSH answers through the tunnel with the pinned host key, and how fast. */
  async probe(name: string): Promise<MachineStatus> {
    const machine = await this.machine(name);
    const session = await this.session(name);
    const started = performance.now();
    let status: MachineStatus;

    try {
      const result = await session.capture('true');
      status = {
        ...unknownStatus(machine),
        ssh: result.exitCode === 0 ? 'answering' : 'unreachable',
        rttMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      session.close();
      const described = describeError(error);
      const ssh = SSH_STATES.has(described.code as MachineStatus['ssh'])
        ? (described.code as MachineStatus['ssh'])
        : 'unreachable';
      const presented = session.lastPresentedKey;
      createLogger(`vm:${name}`).warn('probe failed', { state: ssh, reason: described.message });
      status = {
        ...unknownStatus(machine),
        ssh,
        message: described.fix ? `${described.message}. ${described.fix}` : described.message,
        ...(presented && ssh.startsWith('host-key')
          ? { fingerprint: fingerprintOf(presented) }
          : {}),
      };
    }

    status.checkedAt = new Date().toISOString();
    this.statuses.set(name, status);
    this.events.emit('machine.status', status);
    return status;
  }

  /**
   * Pins the key the VM presented on the last probe, but only if it is the one the user saw:
   * the fingerprint travels with the request so a key swapped in between is not trusted.
   */
  async trustHostKey(name: string, fingerprint: string): Promise<MachineStatus> {
    const session = await this.session(name);
    const presented = session.lastPresentedKey;
    if (!presented || fingerprintOf(presented) !== fingerprint) {
      throw new UserError(
        'host-key-not-presented',
        `${name} has not presented a key with fingerprint ${fingerprint}`,
        'Probe the VM again and compare the fingerprint it shows with the VM console.',
      );
    }
    await this.hostKeys.pin(name, presented);
    return this.probe(name);
  }

  async ghcVersions(name: string): Promise<string[]> {
    const session = await this.session(name);
    const result = await session.capture(LIST_GHC_COMMAND);
    return result.stdout
      .toString('utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  }

  closeAll(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }
}

function unknownStatus(machine: MachineEntry): MachineStatus {
  return { name: machine.name, port: machine.port, user: machine.user, ssh: 'unknown' };
}
