import { shellCommand } from '../exec/shell-quote.ts';
import type { SshSession } from '../ssh/ssh-session.ts';
import { ALWAYS_EXCLUDED, scanLocalTree } from './local-scan.ts';
import { parseRemoteManifest, planSync } from './sync-plan.ts';
import { createTarStream } from './tar-writer.ts';

export interface SyncResult {
  uploadedFiles: number;
  uploadedBytes: number;
  removedFiles: number;
  unchangedFiles: number;
  durationMs: number;
}

/**
 * Makes `remoteDir` (relative to the VM user's home) a copy of the local project: one round trip
 * to list the VM's files, then one tar stream for what changed and one command for what went
 * away. An unchanged tree costs a single round trip over the already-open connection.
 */
export async function syncProject(
  session: SshSession,
  localRoot: string,
  remoteDir: string,
  signal?: AbortSignal,
): Promise<SyncResult> {
  const started = performance.now();

  const [local, manifest] = await Promise.all([
    scanLocalTree(localRoot),
    session.capture(remoteManifestCommand(remoteDir)),
  ]);
  if (manifest.exitCode !== 0) {
    throw new Error(`listing ${remoteDir} on the VM failed: ${manifest.stderr.trim()}`);
  }
  signal?.throwIfAborted();

  const plan = planSync(local.files, parseRemoteManifest(manifest.stdout), local.exclusions);

  if (plan.upload.length > 0) {
    const extract = shellCommand(['tar', '-x', '-f', '-', '-C', remoteDir, '--no-same-owner']);
    const stderr: Buffer[] = [];
    const result = await session.exec(extract, {
      stdin: createTarStream(localRoot, plan.upload),
      onStderr: (chunk) => stderr.push(chunk),
      signal,
    });
    if (result.exitCode !== 0) {
      throw new Error(`unpacking on the VM failed: ${Buffer.concat(stderr).toString().trim()}`);
    }
  }
  signal?.throwIfAborted();

  if (plan.remove.length > 0) {
    const removal = await session.capture(
      `cd ${shellCommand([remoteDir])} && xargs -0 -r rm -f -- && ` +
        'find . -mindepth 1 -type d -empty ' +
        ALWAYS_EXCLUDED.map((name) => `-not -path ./${name}/\\*`).join(' ') +
        ' -delete',
      Buffer.from(plan.remove.map((path) => `${path}\0`).join('')),
    );
    if (removal.exitCode !== 0) {
      throw new Error(`removing deleted files on the VM failed: ${removal.stderr.trim()}`);
    }
  }

  return {
    uploadedFiles: plan.upload.length,
    uploadedBytes: plan.upload.reduce((sum, file) => sum + file.size, 0),
    removedFiles: plan.remove.length,
    unchangedFiles: plan.unchanged,
    durationMs: Math.round(performance.now() - started),
  };
}

// NUL-separated `path size mtime` for every file but the VM's own build output and history.
export function remoteManifestCommand(remoteDir: string): string {
  const prunes = ALWAYS_EXCLUDED.flatMap((name) => ['-path', `./${name}`, '-prune', '-o']);
  return (
    `${shellCommand(['mkdir', '-p', remoteDir])} && cd ${shellCommand([remoteDir])} && ` +
    shellCommand(['find', '.', ...prunes, '-type', 'f', '-printf', '%P\\0%s\\0%T@\\0'])
  );
}
