/**
 * The build key (~/.ssh/id_build): made once with the real ssh-keygen, private half 0600. The
 * workstation reaches the VMs with it and the VMs' agents reach the workstation with it.
 */
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

import { UserError } from '../errors.ts';
import type { CommandRunner } from '../exec/command-runner.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { LocalRunner } from '../exec/local-runner.ts';
import { createLogger } from '../log/logger.ts';
import { fingerprintOf } from '../ssh/host-keys.ts';

const log = createLogger('credentials');

export const BUILD_KEY_COMMENT = 'build-agent';

export interface BuildKeyInfo {
  path: string;
  exists: boolean;
  /** SHA256:... of the public key, as `ssh-keygen -l` prints it. */
  fingerprint?: string;
  publicKey?: string;
  /** Set when this call created the key pair. */
  created?: boolean;
  /** Set when the private key's mode was wider than 0600 and was narrowed. */
  modeFixed?: boolean;
}

export async function readBuildKey(path: string): Promise<BuildKeyInfo> {
  const privateMode = await modeOf(path);
  if (privateMode === undefined) return { path, exists: false };
  const publicKey = await readPublicKey(path);
  return { path, exists: true, publicKey, fingerprint: fingerprintOfLine(publicKey, path) };
}

/** Generates the key pair if it is missing; an existing key is never replaced. */
export async function ensureBuildKey(
  path: string,
  runner: CommandRunner = new LocalRunner(),
): Promise<BuildKeyInfo> {
  let mode = await modeOf(path);
  let created = false;
  if (mode === undefined) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const result = await runner.run('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      BUILD_KEY_COMMENT,
      '-f',
      path,
    ]);
    if (result.exitCode !== 0) {
      throw new UserError(
        'keygen-failed',
        `ssh-keygen could not create ${path}: ${result.stderr.trim() || `exit ${result.exitCode}`}`,
        'Check that the folder is writable, or run: ssh-keygen -t ed25519 -f ~/.ssh/id_build ' +
          '-N "" -C build-agent',
      );
    }
    created = true;
    mode = await modeOf(path);
    log.info('generated the build key', { path });
  }

  let modeFixed = false;
  if (mode !== undefined && (mode & 0o077) !== 0) {
    // OpenSSH refuses a private key others can read; narrowing it is what the user would do.
    await chmod(path, 0o600);
    modeFixed = true;
    log.warn('narrowed the build key to 0600', { path, was: mode.toString(8) });
  }

  let publicKey: string;
  try {
    publicKey = await readPublicKey(path);
  } catch {
    // The .pub half was lost: derive it again from the private key.
    const derived = await runner.run('ssh-keygen', ['-y', '-f', path]);
    if (derived.exitCode !== 0) {
      throw new UserError(
        'build-key-unreadable',
        `${path} is not a readable private key: ${derived.stderr.trim()}`,
        'Move it away and generate a new one (make keygen), then inject it again.',
      );
    }
    publicKey = `${derived.stdout.trim()} ${BUILD_KEY_COMMENT}`;
    await writeFileAtomic(`${path}.pub`, `${publicKey}\n`, { mode: 0o644 });
  }
  return {
    path,
    exists: true,
    publicKey,
    fingerprint: fingerprintOfLine(publicKey, path),
    created,
    modeFixed,
  };
}

export function fingerprintOfLine(line: string, path: string): string {
  const [type, base64] = line.trim().split(/\s+/);
  if (!type || !base64 || !/^[A-Za-z0-9+/]+=*$/.test(base64)) {
    throw new UserError(
      'build-key-unreadable',
      `${path}.pub is not an OpenSSH public key line`,
      `Recreate it from the private key: ssh-keygen -y -f ${path} > ${path}.pub`,
    );
  }
  return fingerprintOf({ type, base64 });
}

async function readPublicKey(path: string): Promise<string> {
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

async function modeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
