import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { Artifact } from '../api/contract-workspace.ts';
import { UserError } from '../errors.ts';
import { shellCommand } from '../exec/shell-quote.ts';
import type { Logger } from '../log/logger.ts';
import type { SshSession } from '../ssh/ssh-session.ts';

export interface RemoteFile {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
}

export interface FetchProgress {
  file: string;
  index: number;
  count: number;
  bytes: number;
  total: number;
}

const PRELUDE = '[ -f "$HOME/.ghcup/env" ] && . "$HOME/.ghcup/env"; ';
const PROGRESS_EVERY_MS = 100;

/**
 * Where cabal put each executable (`cabal list-bin`), with its size and the VM's SHA-256.
 * A missing file means the project was not built with this compiler yet.
 */
export async function locateExecutables(
  session: SshSession,
  projectDir: string,
  names: string[],
  ghc: string | undefined,
): Promise<RemoteFile[]> {
  const found: RemoteFile[] = [];
  for (const name of names) {
    const listBin = ['cabal', 'list-bin', `exe:${name}`, ...(ghc ? ['-w', `ghc-${ghc}`] : [])];
    const located = await session.capture(
      `${PRELUDE}cd ${shellCommand([projectDir])} && ${shellCommand(listBin)}`,
    );
    const path = located.stdout.toString('utf8').trim().split('\n').pop()?.trim() ?? '';
    if (located.exitCode !== 0 || !path.startsWith('/')) {
      throw new UserError(
        'artifact-unknown',
        `cabal list-bin exe:${name} failed on the VM: ` +
          (located.stderr.trim().split('\n').pop() || `exit code ${located.exitCode}`),
        'Build the project on the VM first (make remote-build PROJECT=...).',
      );
    }

    const described = await session.capture(
      `${shellCommand(['stat', '-L', '-c', '%s', '--', path])} && ` +
        shellCommand(['sha256sum', '--', path]),
    );
    const [size, sum] = described.stdout.toString('utf8').split('\n');
    const sha256 = sum?.split(' ')[0] ?? '';
    if (described.exitCode !== 0 || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new UserError(
        'artifact-missing',
        `${name} is not built on the VM (${path} is missing)`,
        'Build the project first: make remote-build PROJECT=<folder>, or Build in the panel.',
      );
    }
    found.push({ name, path, bytes: Number(size), sha256 });
  }
  return found;
}

/**
 * Copies one file from the VM into `dest`: streamed over an exec channel (`cat` with the path
 * quoted as one word) into a temporary name beside the target, hashed on the way, checked
 * against the VM's size and SHA-256, and only then renamed over the previous copy. Any failure
 * or an abort leaves the previous artefact as it was.
 */
export async function fetchFile(
  session: SshSession,
  file: RemoteFile,
  dest: string,
  options: {
    signal?: AbortSignal;
    onProgress?: (bytes: number) => void;
    log: Logger;
  },
): Promise<Artifact> {
  await mkdir(dest, { recursive: true });
  const target = join(dest, file.name);
  const temporary = join(dest, `.${file.name}.part-${randomBytes(4).toString('hex')}`);
  const hash = createHash('sha256');
  const out = createWriteStream(temporary, { mode: 0o600 });
  let received = 0;
  let lastProgress = 0;

  try {
    const writeError = new Promise<never>((_, reject) => out.on('error', reject));
    const transfer = session.exec(shellCommand(['cat', '--', file.path]), {
      ...(options.signal ? { signal: options.signal } : {}),
      onStdout: (chunk) => {
        hash.update(chunk);
        received += chunk.length;
        out.write(chunk);
        const now = Date.now();
        if (now - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = now;
          options.onProgress?.(received);
        }
      },
    });
    const result = await Promise.race([transfer, writeError]);
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    options.onProgress?.(received);

    if (options.signal?.aborted) {
      throw new UserError('fetch-cancelled', `fetching ${file.name} was cancelled`, 'Fetch again.');
    }
    if (result.exitCode !== 0 || received !== file.bytes) {
      throw new UserError(
        'fetch-incomplete',
        `${file.name}: received ${received} of ${file.bytes} bytes` +
          (result.exitCode !== 0 ? ` (cat exited with ${result.exitCode ?? result.signal})` : ''),
        'Check the tunnel (make bridge-status) and fetch again; the previous copy is kept.',
      );
    }
    const local = hash.digest('hex');
    if (local !== file.sha256) {
      throw new UserError(
        'fetch-checksum',
        `${file.name}: the local SHA-256 ${local} differs from the VM's ${file.sha256}`,
        'The file may have changed during the copy (a build running?); fetch again.',
      );
    }

    await chmod(temporary, 0o755);
    await rename(temporary, target);
    options.log.info('artefact fetched', { file: file.name, bytes: received });
    return {
      name: file.name,
      remotePath: file.path,
      localPath: target,
      bytes: (await stat(target)).size,
      sha256: local,
      verified: true,
    };
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}
