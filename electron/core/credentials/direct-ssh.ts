/**
 * SSH straight to a VM's LAN address, before it has keys or a tunnel: read its host key, log
 * in once with the temporary password, and check afterwards that the password is refused.
 * The password is passed through and never stored, logged or put in an error message.
 */
import { Client } from 'ssh2';

import { UserError } from '../errors.ts';
import { fingerprintOf, hostKeyFromBlob, type HostKey } from '../ssh/host-keys.ts';

const TIMEOUT_MS = 8_000;
// The pin holds one key per VM; asking for ed25519 makes the panel, the real ssh client (which
// prefers it) and the fingerprint the user reads on the console agree.
const HOST_KEY_ALGORITHMS = ['ssh-ed25519'] as const;

export interface Endpoint {
  host: string;
  port: number;
}

/** The VM's host key, read during key exchange; nothing is authenticated. */
export async function scanHostKey(endpoint: Endpoint, timeoutMs = TIMEOUT_MS): Promise<HostKey> {
  let presented: HostKey | undefined;
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.on('error', (error: Error & { code?: string }) => {
      if (presented) resolve();
      else reject(unreachable(endpoint, error));
    });
    client.once('ready', () => resolve());
    client.connect({
      host: endpoint.host,
      port: endpoint.port,
      username: 'host-key-scan',
      readyTimeout: timeoutMs,
      algorithms: { serverHostKey: [...HOST_KEY_ALGORITHMS] },
      hostVerifier: (blob: Buffer) => {
        presented = hostKeyFromBlob(blob);
        return false;
      },
    });
  }).finally(() => client.end());
  if (!presented) throw unreachable(endpoint, new Error('no host key was presented'));
  return presented;
}

export interface PasswordLogin extends Endpoint {
  user: string;
  password: string;
  /** The fingerprint the user confirmed; any other key is refused. */
  fingerprint: string;
}

/** Logs in with the password; refuses a host key other than the confirmed one. */
export async function passwordSession(
  login: PasswordLogin,
): Promise<{ client: Client; hostKey: HostKey }> {
  const client = new Client();
  let refusal: UserError | undefined;
  let hostKey: HostKey | undefined;
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.on('error', (error: Error & { level?: string; code?: string }) => {
      if (refusal) reject(refusal);
      else if (error.level === 'client-authentication') {
        reject(
          new UserError(
            'password-refused',
            `${login.user}@${login.host} refused the password`,
            'Check the temporary password of the image (packer variable ssh_password); if ' +
              'credentials were injected already, password login is off: use the build key.',
          ),
        );
      } else reject(unreachable(login, error));
    });
    client.connect({
      host: login.host,
      port: login.port,
      username: login.user,
      password: login.password,
      tryKeyboard: false,
      readyTimeout: TIMEOUT_MS,
      algorithms: { serverHostKey: [...HOST_KEY_ALGORITHMS] },
      hostVerifier: (blob: Buffer) => {
        hostKey = hostKeyFromBlob(blob);
        const presented = fingerprintOf(hostKey);
        if (presented !== login.fingerprint) {
          refusal = hostKeyChanged(login, presented, login.fingerprint);
        }
        return refusal === undefined;
      },
    });
  });
  return { client, hostKey: hostKey! };
}

/** Whether the VM lets the build key in (checked before password login is switched off). */
export async function keyLoginWorks(
  endpoint: Endpoint & { user: string; fingerprint: string },
  privateKey: string,
): Promise<string | undefined> {
  const client = new Client();
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.on('error', reject);
      client.connect({
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.user,
        privateKey,
        readyTimeout: TIMEOUT_MS,
        algorithms: { serverHostKey: [...HOST_KEY_ALGORITHMS] },
        hostVerifier: (blob: Buffer) =>
          fingerprintOf(hostKeyFromBlob(blob)) === endpoint.fingerprint,
      });
    });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    client.end();
  }
}

/** Whether the VM still lets the password in; the proof that password login is off. */
export async function passwordLoginAccepted(login: PasswordLogin): Promise<boolean> {
  try {
    const { client } = await passwordSession(login);
    client.end();
    return true;
  } catch (error) {
    if (error instanceof UserError && error.code === 'password-refused') return false;
    throw error;
  }
}

export interface RunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export async function run(client: Client, command: string, stdin?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let exitCode: number | null = null;
      channel.on('data', (chunk: Buffer) => out.push(chunk));
      channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      channel.on('exit', (code: number | null) => (exitCode = code));
      channel.on('close', () =>
        resolve({
          exitCode,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      );
      channel.end(stdin);
    });
  });
}

export function hostKeyChanged(endpoint: Endpoint, presented: string, expected?: string) {
  return new UserError(
    'host-key-changed',
    `${endpoint.host}:${endpoint.port} presented host key ${presented}, not the confirmed ` +
      `${expected ?? 'one'}; the connection was refused`,
    'Compare both fingerprints with the VM console (ssh-keygen -lf ' +
      '/etc/ssh/ssh_host_ed25519_key.pub). If the VM was re-imported, confirm the new one.',
  );
}

function unreachable(endpoint: Endpoint, error: Error & { code?: string }): UserError {
  return new UserError(
    'vm-unreachable',
    `cannot reach SSH at ${endpoint.host}:${endpoint.port}: ${error.code ?? error.message}`,
    'Check that the VM is running, bridged, and that this is its LAN address ' +
      '(VBoxManage guestproperty get <vm> /VirtualBox/GuestInfo/Net/0/V4/IP).',
  );
}
