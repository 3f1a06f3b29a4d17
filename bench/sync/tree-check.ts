import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';

import { shellCommand } from '../../electron/core/exec/shell-quote.ts';
import type { SshSession } from '../../electron/core/ssh/ssh-session.ts';
import { compareBytes } from './tree-gen.ts';

/** Top-level folders left out of the comparison: neither tool sends them. */
const NOT_SENT = ['dist-newstyle', '.git'];

// Files with their size, folders with a trailing slash: sizes of folders differ by file system.
const FILES_AND_FOLDERS = ['-type', 'f', '-printf', '%P %s\\n', '-o'].concat([
  '-type',
  'd',
  '-printf',
  '%P/\\n',
]);

export interface TreeVerdict {
  equal: boolean;
  localEntries: number;
  remoteEntries: number;
  /** Up to five lines that only one side has, prefixed `-` (local only) or `+` (remote only). */
  differences: string[];
}

/**
 * Compares a remote folder with the local tree twice: the `find -printf '%P %s'` listing (files
 * with sizes, folders as `path/`), then a SHA-256 per file, which catches a change that kept the
 * size but never arrived.
 */
export async function checkRemoteTree(
  session: SshSession,
  localRoot: string,
  remoteDir: string,
): Promise<{ listing: TreeVerdict; content: TreeVerdict }> {
  const local = await localListing(localRoot);
  const prunes = NOT_SENT.flatMap((name, index) => [
    ...(index > 0 ? ['-o'] : []),
    '-path',
    `./${name}`,
  ]);
  const find = ['find', '.', '-mindepth', '1', '(', ...prunes, ')', '-prune', '-o'];
  const cd = `cd ${shellCommand([remoteDir])}`;

  const listing = await session.capture(
    `${cd} && ${shellCommand([...find, ...FILES_AND_FOLDERS])} | LC_ALL=C sort`,
  );
  const digests = await session.capture(
    `${cd} && ${shellCommand([...find, '-type', 'f', '-printf', '%P\\0'])} | ` +
      'LC_ALL=C sort -z | xargs -0 -r sha256sum --',
  );
  if (listing.exitCode !== 0 || digests.exitCode !== 0) {
    throw new Error(`listing ${remoteDir} failed: ${listing.stderr}${digests.stderr}`.trim());
  }

  return {
    listing: compare(local.listing, lines(listing.stdout)),
    content: compare(local.digests, lines(digests.stdout).map(fromSha256sum)),
  };
}

async function localListing(root: string): Promise<{ listing: string[]; digests: string[] }> {
  const listing: string[] = [];
  const digests: string[] = [];

  const walk = async (relativeDir: string): Promise<void> => {
    const entries = await readdir(join(root, relativeDir), { withFileTypes: true });
    for (const entry of entries) {
      const path = relativeDir ? posix.join(relativeDir, entry.name) : entry.name;
      if (!relativeDir && NOT_SENT.includes(entry.name)) continue;
      if (entry.isDirectory()) {
        listing.push(`${path}/`);
        await walk(path);
      } else if (entry.isFile()) {
        const absolute = join(root, path);
        listing.push(`${path} ${(await stat(absolute)).size}`);
        const digest = createHash('sha256')
          .update(await readFile(absolute))
          .digest('hex');
        digests.push(`${path} ${digest}`);
      }
    }
  };

  await walk('');
  return { listing: listing.sort(compareBytes), digests: digests.sort(compareBytes) };
}

function compare(local: string[], remote: string[]): TreeVerdict {
  const remoteSet = new Set(remote);
  const localSet = new Set(local);
  const differences = [
    ...local.filter((line) => !remoteSet.has(line)).map((line) => `- ${line}`),
    ...remote.filter((line) => !localSet.has(line)).map((line) => `+ ${line}`),
  ];
  return {
    equal: differences.length === 0 && local.length === remote.length,
    localEntries: local.length,
    remoteEntries: remote.length,
    differences: differences.slice(0, 5),
  };
}

function lines(output: Buffer): string[] {
  return output
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

// `sha256sum` prints `<hex>  <path>`; the local side is `<path> <hex>`, sorted by path.
function fromSha256sum(line: string): string {
  return `${line.slice(66)} ${line.slice(0, 64)}`;
}
