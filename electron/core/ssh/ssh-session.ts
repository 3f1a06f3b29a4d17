import { readFile } from 'node:fs/promises';

import type { Client, ClientChannel } from 'ssh2';

import { UserError } from '../errors.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import type { MachineEntry } from '../registry/port-registry.ts';
import { connectPinned, READY_TIMEOUT_MS } from './pinned-connect.ts';
import {
  fingerprintOf,
  hostKeyMismatchError,
  hostKeyUnknownError,
  type HostKey,
  type HostKeyStore,
} from './host-keys.ts';

export interface ExecOptions {
  /** A PTY makes GHC and cabal print colours and lets a hang-up reach the whole job. */
  pty?: boolean;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Written to the command's stdin, then stdin is closed. */
  stdin?: Buffer | NodeJS.ReadableStream;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | undefined;
}

/**
 * One SSH connection to a build machine through its tunnel port, authenticated with the build
 * key and accepted only when the VM presents its pinned host key. Sessions are kept open and
 * reused: a new handshake per step would cost more than most syncs.
 */
export class SshSession {
  private readonly log: Logger;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  /** The key the VM presented on the last attempt, kept for the trust-on-request flow. */
  lastPresentedKey: HostKey | undefined;

  constructor(
    readonly machine: MachineEntry,
    private readonly keyPath: string,
    private readonly hostKeys: HostKeyStore,
  ) {
    this.log = createLogger(`vm:${machine.name}`);
  }

  async connect(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const client = await this.connect();
    const ptyOptions = options.pty ? { pty: { term: 'xterm-256color', cols: 160, rows: 50 } } : {};

    return new Promise<ExecResult>((resolve, reject) => {
      client.exec(command, ptyOptions, (error, channel) => {
        if (error) {
          reject(error);
          return;
        }
        // Listeners go on in this callback: a fast command's 'exit' can arrive before a later
        // tick, and its status would be lost.
        this.follow(channel, options, resolve, reject);
      });
    });
  }

  private follow(
    channel: ClientChannel,
    options: ExecOptions,
    resolve: (result: ExecResult) => void,
    reject: (error: Error) => void,
  ): void {
    let exitCode: number | null = null;
    let exitSignal: string | undefined;
    const onAbort = () => channel.close();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    channel.on('data', (chunk: Buffer) => options.onStdout?.(chunk));
    channel.stderr.on('data', (chunk: Buffer) => options.onStderr?.(chunk));
    channel.on('exit', (code: number | null, signalName?: string) => {
      exitCode = code;
      exitSignal = signalName;
    });
    channel.on('error', reject);
    channel.on('close', (code?: number | null, signalName?: string) => {
      options.signal?.removeEventListener('abort', onAbort);
      // ssh2 repeats the exit status on 'close'; it is the fallback if 'exit' was not seen.
      if (exitCode === null && exitSignal === undefined) {
        exitCode = typeof code === 'number' ? code : null;
        exitSignal = signalName;
      }
      resolve({ exitCode, signal: exitSignal });
    });

    if (Buffer.isBuffer(options.stdin)) {
      channel.end(options.stdin);
    } else if (options.stdin) {
      // A stream: pipe ends the channel's stdin when the stream ends.
      options.stdin.pipe(channel);
    } else if (!options.pty) {
      channel.end();
    }
  }

  /** Runs a command and collects its output; for short queries, not builds. */
  async capture(
    command: string,
    stdin?: Buffer,
  ): Promise<{ exitCode: number | null; stdout: Buffer; stderr: string }> {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const result = await this.exec(command, {
      stdin,
      onStdout: (chunk) => out.push(chunk),
      onStderr: (chunk) => err.push(chunk),
    });
    return {
      exitCode: result.exitCode,
      stdout: Buffer.concat(out),
      stderr: Buffer.concat(err).toString('utf8'),
    };
  }

  close(): void {
    this.client?.end();
    this.client = undefined;
  }

  private async open(): Promise<Client> {
    const { name, host, port, user } = this.machine;
    const privateKey = await this.readKey();
    const pinned = await this.hostKeys.get(name);
    const started = Date.now();

    const client = await connectPinned({
      host,
      port,
      user,
      privateKey,
      describeError: (error) => this.describeConnectError(error),
      checkHostKey: (presented) => {
        this.lastPresentedKey = presented;
        const refusal =
          pinned.length === 0
            ? hostKeyUnknownError(name, presented)
            : pinned.some((key) => key.base64 === presented.base64)
              ? undefined
              : hostKeyMismatchError(name, pinned, presented);
        if (refusal) this.log.warn('host key refused', { fingerprint: fingerprintOf(presented) });
        return refusal;
      },
    });

    this.log.info('ssh connected', { port, ms: Date.now() - started });
    client.on('close', () => {
      if (this.client === client) this.client = undefined;
      this.log.info('ssh connection closed');
    });
    client.on('error', (error) => this.log.warn('ssh connection error', { error: error.message }));
    this.client = client;
    return client;
  }

  private async readKey(): Promise<Buffer> {
    try {
      return await readFile(this.keyPath);
    } catch {
      throw new UserError(
        'build-key-missing',
        `the build key ${this.keyPath} cannot be read`,
        'Generate it: ssh-keygen -t ed25519 -f ~/.ssh/id_build -N "" -C build-agent ' +
          '(or set buildKeyPath in the settings).',
      );
    }
  }

  private describeConnectError(error: Error & { level?: string; code?: string }): UserError {
    const { name, port } = this.machine;
    if (error.code === 'ECONNREFUSED') {
      return new UserError(
        'vm-unreachable',
        `${name} does not answer on its tunnel port ${port}: nothing listens there`,
        'Start the VM and check its build-agent (make bridge-status); the reverse tunnel ' +
          `-R ${port}:localhost:22 must be up.`,
      );
    }
    if (error.level === 'client-authentication') {
      return new UserError(
        'auth-failed',
        `${name} refused the build key ${this.keyPath}`,
        'Inject the credentials into the VM again (inject-keys) so its authorized_keys holds ' +
          'the build key.',
      );
    }
    if (/timed out/i.test(error.message)) {
      return new UserError(
        'vm-unreachable',
        `${name} did not complete the SSH handshake on port ${port} within ` +
          `${READY_TIMEOUT_MS / 1000} s`,
        'The tunnel may be half-open: check the VM agent (journalctl -u build-agent).',
      );
    }
    return new UserError(
      'vm-unreachable',
      `${name}: ${error.message}`,
      'Check that the VM is running and its tunnel is up (make bridge-status).',
    );
  }
}
