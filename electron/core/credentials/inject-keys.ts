/**
 * Seed step 4, "inject credentials": log in to a fresh VM once with its temporary password,
 * install the build key and build-agent.env, start the agent, switch password login off, and
 * prove it is off. Each step is reported; the first failure stops the run with its reason.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Client } from 'ssh2';

import { UserError } from '../errors.ts';
import { shellCommand } from '../exec/shell-quote.ts';
import { createLogger } from '../log/logger.ts';
import type { HostKeyStore } from '../ssh/host-keys.ts';
import { fillAgentEnv, readTemplate, type AgentEnvValues } from './agent-env.ts';
import { keyLoginWorks, passwordLoginAccepted, passwordSession, run } from './direct-ssh.ts';

/** Where the image keeps things, and how it restarts the agent and locks password login. */
export interface VmLayout {
  envFile: string;
  /** Run with `sudo -n`. */
  restartAgent: string[];
  lockPasswordLogin: string[];
}

export const IMAGE_LAYOUT: VmLayout = {
  envFile: '/etc/build-agent.env',
  restartAgent: ['systemctl', 'restart', 'build-agent.service'],
  lockPasswordLogin: ['/usr/local/sbin/lock-password-login'],
};

export interface InjectRequest {
  vm: string;
  vmIp: string;
  sshPort: number;
  user: string;
  /** Held for this call only. */
  password: string;
  /** The VM host key fingerprint the user confirmed. */
  fingerprint: string;
  relay: { host: string; user: string; port: number; hostKey: string };
  tunnelPort: number;
  hubPort: number;
  /** The build key pair to install: <path> and <path>.pub. */
  keyPath: string;
  /** A seed-style folder with id_build, id_build.pub and perhaps build-agent.env instead. */
  keyDir?: string;
  layout?: VmLayout;
}

export interface InjectStep {
  step: string;
  ok: boolean;
  detail: string;
}

export interface InjectReport {
  vm: string;
  fingerprint: string;
  steps: InjectStep[];
  passwordLoginOff: boolean;
}

// Writes stdin to "$1" through a temporary file, so a dropped connection leaves no half file.
const WRITE_FILE =
  'set -e; umask 077; mkdir -p "$(dirname "$1")"; cat > "$1.tmp"; chmod "$2" "$1.tmp"; ' +
  'mv -f "$1.tmp" "$1"';
const ADD_AUTHORIZED_KEY =
  'set -e; umask 077; mkdir -p "$HOME/.ssh"; f="$HOME/.ssh/authorized_keys"; touch "$f"; ' +
  'grep -qxF "$1" "$f" || printf "%s\\n" "$1" >> "$f"; chmod 600 "$f"';
const INSTALL_ENV =
  'set -e; umask 027; cat > "$1.tmp"; chown "root:$2" "$1.tmp"; chmod 0640 "$1.tmp"; ' +
  'mv -f "$1.tmp" "$1"';

export async function injectKeys(
  request: InjectRequest,
  hostKeys: HostKeyStore,
  onStep: (step: InjectStep) => void = () => undefined,
): Promise<InjectReport> {
  const log = createLogger(`vm:${request.vm}`);
  const layout = request.layout ?? IMAGE_LAYOUT;
  const report: InjectReport = {
    vm: request.vm,
    fingerprint: request.fingerprint,
    steps: [],
    passwordLoginOff: false,
  };
  const record = (step: string, ok: boolean, detail: string) => {
    const entry = { step, ok, detail };
    report.steps.push(entry);
    log.info(`inject: ${step}`, { ok, detail });
    onStep(entry);
    if (!ok) throw new UserError('inject-failed', `${step}: ${detail}`, fixFor(step));
  };

  const files = await keyFiles(request);
  const login = {
    host: request.vmIp,
    port: request.sshPort,
    user: request.user,
    password: request.password,
    fingerprint: request.fingerprint,
  };

  const { client, hostKey } = await passwordSession(login);
  try {
    record('connect', true, `logged in to ${request.user}@${request.vmIp} with the password`);
    await hostKeys.pin(request.vm, hostKey);
    record('pin-host-key', true, `pinned ${hostKey.type} ${request.fingerprint} as ${request.vm}`);

    const home = '$HOME/.ssh';
    await must(
      client,
      'upload-keys',
      shellCommand(['sh', '-c', WRITE_FILE, 'sh', '.ssh/id_build', '600']),
      files.privateKey,
    );
    await must(
      client,
      'upload-keys',
      shellCommand(['sh', '-c', WRITE_FILE, 'sh', '.ssh/id_build.pub', '644']),
      `${files.publicKey}\n`,
    );
    await must(
      client,
      'upload-keys',
      shellCommand(['sh', '-c', ADD_AUTHORIZED_KEY, 'sh', files.publicKey]),
    );
    record('upload-keys', true, `id_build, id_build.pub and authorized_keys in ${home}`);

    // Before the password goes away, the key must work: otherwise the VM would be locked out.
    const keyProblem = await keyLoginWorks(login, files.privateKey);
    record(
      'key-login',
      keyProblem === undefined,
      keyProblem === undefined
        ? 'the build key logs in'
        : `the build key is refused: ${keyProblem}`,
    );

    await must(
      client,
      'write-env',
      shellCommand(['sudo', '-n', 'sh', '-c', INSTALL_ENV, 'sh', layout.envFile, request.user]),
      files.env,
    );
    record('write-env', true, `${layout.envFile} (root:${request.user} 0640)`);

    await must(client, 'restart-agent', shellCommand(['sudo', '-n', ...layout.restartAgent]));
    record('restart-agent', true, layout.restartAgent.join(' '));

    await must(client, 'lock-password', shellCommand(['sudo', '-n', ...layout.lockPasswordLogin]));
  } finally {
    client.end();
  }

  // sshd reloads its configuration asynchronously and refuses connections while it restarts:
  // a few bounded tries, each a fresh password login that must now be refused.
  let outcome: 'accepted' | 'refused' | 'unreachable' = 'accepted';
  for (let attempt = 0; attempt < 15; attempt += 1) {
    try {
      outcome = (await passwordLoginAccepted(login)) ? 'accepted' : 'refused';
    } catch (error) {
      if (!(error instanceof UserError) || error.code !== 'vm-unreachable') throw error;
      outcome = 'unreachable';
    }
    if (outcome === 'refused') break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  record(
    'lock-password',
    outcome === 'refused',
    outcome === 'refused'
      ? 'password login is off: a new password login was refused'
      : outcome === 'accepted'
        ? 'the VM still accepts the password after lock-password-login ran'
        : 'sshd did not come back after the reload, so the lock could not be verified',
  );
  report.passwordLoginOff = true;
  return report;

  async function must(connection: Client, step: string, command: string, stdin?: string) {
    const result = await run(connection, command, stdin);
    if (result.exitCode !== 0) {
      const reason = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ');
      record(step, false, `exit ${result.exitCode}: ${reason || 'no output'}`);
    }
  }

  async function keyFiles(req: InjectRequest) {
    const base = req.keyDir ? join(req.keyDir, 'id_build') : req.keyPath;
    const [privateKey, publicKey] = await Promise.all([
      readFile(base, 'utf8'),
      readFile(`${base}.pub`, 'utf8').then((text) => text.trim()),
    ]).catch((error: Error) => {
      throw new UserError(
        'build-key-missing',
        `cannot read the build key ${base}: ${error.message}`,
        'Generate it first (make keygen), or put id_build and id_build.pub in the folder.',
      );
    });
    const own = req.keyDir
      ? await readFile(join(req.keyDir, 'build-agent.env'), 'utf8').catch(() => undefined)
      : undefined;
    const values: AgentEnvValues = {
      SSH_RELAY_HOST: req.relay.host,
      SSH_RELAY_USER: req.relay.user,
      SSH_RELAY_PORT: req.relay.port,
      TUNNEL_PORT: req.tunnelPort,
      STATE_HUB_PORT: req.hubPort,
      VM_NAME: req.vm,
      RELAY_HOST_KEY: req.relay.hostKey,
    };
    const env = own ?? fillAgentEnv(await readTemplate(), values);
    return { privateKey, publicKey, env };
  }
}

function fixFor(step: string): string {
  switch (step) {
    case 'write-env':
    case 'restart-agent':
    case 'lock-password':
      return (
        'The image gives builder password-less sudo (/etc/sudoers.d/90-builder); check it ' +
        'on the VM console, and the agent with: journalctl -u build-agent'
      );
    default:
      return 'Check the VM console and run the injection again; it is safe to repeat.';
  }
}
