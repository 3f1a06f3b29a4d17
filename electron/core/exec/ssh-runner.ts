import { readFile } from 'node:fs/promises';

import type { Client, ClientChannel } from 'ssh2';

import { UserError } from '../errors.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { fingerprintOf, type HostKey } from '../ssh/host-keys.ts';
import { connectPinned } from '../ssh/pinned-connect.ts';
import type { CommandResult, CommandRunner, RunOptions } from './command-runner.ts';
import { shellCommand } from './shell-quote.ts';

export interface SshRunnerOptions {
  /** A label for logs and messages, e.g. "laptop". */
  label: string;
  host: string;
  port: number;
  user: string;
  keyPath: string;
  /** The host key the VirtualBox host must present: `SHA256:...` or `ssh-ed25519 AAAA...`. */
  hostKey: string;
}

/**
 * Runs programs on another machine (the VirtualBox host) over one SSH connection, kept open and
 * reused; each run is an exec channel. The command string is built with shellCommand, so every
 * argument reaches the program as one word. The connection is refused unless the host presents
 * the pinned key: there is no trust-on-first-use here.
 */
export class SshRunner implements CommandRunner {
  readonly host: string;
  private readonly log: Logger;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  /** The key presented on the last attempt, so a refusal can show its fingerprint. */
  lastPresentedKey: HostKey | undefined;

  constructor(private readonly options: SshRunnerOptions) {
    this.host = `ssh:${options.label}`;
    this.log = createLogger(`vbox-host:${options.label}`);
  }

  async run(
    file: string,
    args: readonly string[],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    if (options.cwd || options.env) {
      throw new Error('SshRunner runs commands in the login shell: cwd and env are not supported');
    }
    options.signal?.throwIfAborted();
    const client = await this.connect();
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(shellCommand([file, ...args]), (error, stream) =>
        error ? reject(error) : resolve(stream),
      );
    });

    return new Promise<CommandResult>((resolve, reject) => {
      const stdout: string[] = [];
      const stderr: string[] = [];
      let exitCode: number | null = null;
      let stopped: 'abort' | 'timeout' | undefined;
      const stop = (why: 'abort' | 'timeout') => {
        stopped = why;
        // OpenSSH delivers the signal to the remote program; closing also ends it on hang-up.
        channel.signal('TERM');
        channel.close();
      };
      const onAbort = () => stop('abort');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = options.timeoutMs
        ? setTimeout(() => stop('timeout'), options.timeoutMs)
        : undefined;

      channel.setEncoding('utf8');
      channel.stderr.setEncoding('utf8');
      channel.on('data', (chunk: string) => {
        stdout.push(chunk);
        options.onStdout?.(chunk);
      });
      channel.stderr.on('data', (chunk: string) => {
        stderr.push(chunk);
        options.onStderr?.(chunk);
      });
      channel.on('exit', (code: number | null) => {
        exitCode = code;
      });
      channel.on('error', reject);
      channel.on('close', () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const code = exitCode ?? (stopped === 'abort' ? 130 : stopped === 'timeout' ? 124 : 255);
        resolve({ exitCode: code, stdout: stdout.join(''), stderr: stderr.join('') });
      });
      channel.end();
    });
  }

  close(): void {
    this.client?.end();
    this.client = undefined;
  }

  private connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<Client> {
    const { host, port, user, label } = this.options;
    const client = await connectPinned({
      host,
      port,
      user,
      privateKey: await readKey(this.options.keyPath, label),
      describeError: (error) => connectError(this.options, error),
      checkHostKey: (presented) => {
        this.lastPresentedKey = presented;
        if (matchesPin(this.options.hostKey, presented)) return undefined;
        this.log.warn('host key refused', { fingerprint: fingerprintOf(presented) });
        return new UserError(
          'vbox-host-key-mismatch',
          `the VirtualBox host ${label} (${host}:${port}) presented ${presented.type} ` +
            `${fingerprintOf(presented)}, not the pinned key; the connection was refused`,
          'Check the key on that machine (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) ' +
            'and pin its fingerprint in the VirtualBox host settings.',
        );
      },
    });
    this.log.info('ssh connected', { host, port });
    client.on('close', () => {
      if (this.client === client) this.client = undefined;
    });
    client.on('error', (error) => this.log.warn('ssh connection error', { error: error.message }));
    this.client = client;
    return client;
  }
}

/** A pin is a SHA256 fingerprint or the public key itself (`type base64`). */
export function matchesPin(pin: string, presented: HostKey): boolean {
  const text = pin.trim();
  if (text.startsWith('SHA256:')) return text.replace(/=+$/, '') === fingerprintOf(presented);
  const base64 = text.split(/\s+/)[1];
  return base64 !== undefined && base64 === presented.base64;
}

async function readKey(path: string, label: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    throw new UserError(
      'vbox-host-key-file',
      `the SSH key ${path} for the VirtualBox host ${label} cannot be read`,
      'Give the path of a private key that host accepts (its public half in ' +
        '~/.ssh/authorized_keys there).',
    );
  }
}

function connectError(
  options: SshRunnerOptions,
  error: Error & { level?: string; code?: string },
): UserError {
  const where = `${options.user}@${options.host}:${options.port}`;
  if (error.level === 'client-authentication') {
    return new UserError(
      'vbox-host-auth-failed',
      `the VirtualBox host ${options.label} refused the key ${options.keyPath} for ${where}`,
      `Add the public key to ~${options.user}/.ssh/authorized_keys on that machine.`,
    );
  }
  return new UserError(
    'vbox-host-unreachable',
    `cannot reach the VirtualBox host ${options.label} at ${where}: ${error.message}`,
    'Check that the machine is on, that its SSH server runs, and the host and port settings.',
  );
}
