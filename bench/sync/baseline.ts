import { spawn, type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';

import { LocalRunner } from '../../electron/core/exec/local-runner.ts';

const COMMAND_TIMEOUT_MS = 60_000;
const MASTER_READY_MS = 10_000;

export interface SshTarget {
  alias: string;
  user: string;
  host: string;
  port: number;
  keyPath: string;
  knownHosts: string;
}

/**
 * The OpenSSH client and rsync as a user would run them against the same VM: same key, same
 * pinned host key, a new connection per command unless a control socket is given.
 */
export class OpenSshBaseline {
  private readonly runner = new LocalRunner();
  private master: ChildProcess | undefined;

  constructor(
    private readonly target: SshTarget,
    private readonly controlPath?: string,
  ) {
    // rsync splits its -e value on whitespace itself; a path with a space would be cut.
    for (const path of [target.keyPath, target.knownHosts, controlPath ?? '']) {
      if (/\s/.test(path)) throw new Error(`the baseline cannot use a path with spaces: ${path}`);
    }
  }

  /** `ssh <options> user@host true`: the cost of one connection, for reference. */
  async sshTrue(): Promise<void> {
    await this.run('ssh', [...this.sshOptions(), this.destination(), 'true']);
  }

  /** `rsync -a --delete` of `localRoot` into `remoteDir` with the panel's exclusions. */
  async rsync(localRoot: string, remoteDir: string): Promise<void> {
    await this.run('rsync', [
      '-a',
      '--delete',
      '--exclude',
      'dist-newstyle',
      '--exclude',
      '.git',
      '-e',
      ['ssh', ...this.sshOptions()].join(' '),
      `${localRoot}/`,
      `${this.destination()}:${remoteDir}/`,
    ]);
  }

  /** Opens the ControlMaster connection that later commands share; needs a controlPath. */
  async startMaster(): Promise<void> {
    if (!this.controlPath) throw new Error('startMaster needs a control path');
    const args = [...this.sshOptions(), '-o', 'ControlMaster=yes', '-N', this.destination()];
    this.master = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'inherit'] });

    // Bounded wait for the socket: the master has no "ready" signal of its own.
    const deadline = Date.now() + MASTER_READY_MS;
    for (;;) {
      try {
        await access(this.controlPath);
        return;
      } catch {
        if (Date.now() > deadline || this.master.exitCode !== null) {
          throw new Error('the ssh ControlMaster did not open its socket');
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  stopMaster(): void {
    this.master?.kill('SIGTERM');
    this.master = undefined;
  }

  private sshOptions(): string[] {
    const { keyPath, knownHosts, alias, port } = this.target;
    const settings = [
      `UserKnownHostsFile=${knownHosts}`,
      `HostKeyAlias=${alias}`,
      'StrictHostKeyChecking=yes',
      'BatchMode=yes',
      'ConnectTimeout=10',
    ];
    const options = ['-i', keyPath, '-p', String(port), ...settings.flatMap((s) => ['-o', s])];
    if (this.controlPath) options.push('-o', `ControlPath=${this.controlPath}`);
    return options;
  }

  private destination(): string {
    return `${this.target.user}@${this.target.host}`;
  }

  private async run(file: string, args: string[]): Promise<void> {
    const result = await this.runner.run(file, args, { timeoutMs: COMMAND_TIMEOUT_MS });
    if (result.exitCode !== 0) {
      throw new Error(`${file} exited with ${result.exitCode}: ${result.stderr.trim()}`);
    }
  }
}
