import type { Exclusions, FileEntry } from './local-scan.ts';

export interface RemoteEntry {
  path: string;
  size: number;
  mtime: number;
}

export interface SyncPlan {
  upload: FileEntry[];
  remove: string[];
  unchanged: number;
}

/**
 * What to send and what to delete so the VM's copy equals the workstation's: like
 * `rsync -a --delete` with the same exclusions, which keep the VM's excluded files (its
 * dist-newstyle) rather than deleting them. Files compare by size and whole-second mtime.
 */
export function planSync(
  local: FileEntry[],
  remote: RemoteEntry[],
  exclusions: Exclusions,
): SyncPlan {
  const remoteByPath = new Map(remote.map((entry) => [entry.path, entry]));
  const localPaths = new Set(local.map((entry) => entry.path));

  const upload = local.filter((file) => {
    const there = remoteByPath.get(file.path);
    return !there || there.size !== file.size || there.mtime !== file.mtime;
  });

  const remove = remote
    .filter((entry) => !localPaths.has(entry.path) && !exclusions.isExcluded(entry.path))
    .map((entry) => entry.path)
    .sort();

  return { upload, remove, unchanged: local.length - upload.length };
}

/** Parses the NUL-separated `path size mtime` triples the remote manifest command prints. */
export function parseRemoteManifest(output: Buffer): RemoteEntry[] {
  const fields = output.toString('utf8').split('\0');
  const entries: RemoteEntry[] = [];
  for (let index = 0; index + 2 < fields.length; index += 3) {
    const path = fields[index]!;
    const size = Number(fields[index + 1]);
    // Whole seconds from the text: as a double, `123.9999999999` would round up to 124.
    const mtime = Number(fields[index + 2]!.split('.')[0]);
    if (path && Number.isFinite(size) && Number.isFinite(mtime))
      entries.push({ path, size, mtime });
  }
  return entries;
}
