import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';

import ignore, { type Ignore } from 'ignore';

/** Left out of every sync: build output and history that the VM must not receive. */
export const ALWAYS_EXCLUDED = ['dist-newstyle', '.git', '.stack-work'];

export interface FileEntry {
  /** Relative, with forward slashes. */
  path: string;
  size: number;
  /** Whole seconds: what tar carries and what the comparison uses. */
  mtime: number;
  executable: boolean;
}

export interface Exclusions {
  /** True when a relative path (forward slashes; directories end with `/`) stays out of sync. */
  isExcluded(path: string): boolean;
}

interface IgnoreScope {
  base: string;
  rules: Ignore;
}

/**
 * Walks a project folder as a sync source: regular files only, skipping what .gitignore files
 * (at any depth) and ALWAYS_EXCLUDED leave out.
 */
export async function scanLocalTree(
  root: string,
): Promise<{ files: FileEntry[]; exclusions: Exclusions }> {
  const scopes: IgnoreScope[] = [
    { base: '', rules: ignore().add(ALWAYS_EXCLUDED.map((n) => `/${n}/`)) },
  ];
  const files: FileEntry[] = [];

  const excludedBy = (path: string, activeScopes: IgnoreScope[]) =>
    activeScopes.some(
      (scope) => path.startsWith(scope.base) && scope.rules.ignores(path.slice(scope.base.length)),
    );

  const walk = async (relativeDir: string, activeScopes: IgnoreScope[]) => {
    const absoluteDir = join(root, relativeDir);
    const entries = await readdir(absoluteDir, { withFileTypes: true });
    let scopesHere = activeScopes;

    if (entries.some((entry) => entry.name === '.gitignore' && entry.isFile())) {
      const text = await readFile(join(absoluteDir, '.gitignore'), 'utf8');
      const scope = { base: relativeDir ? `${relativeDir}/` : '', rules: ignore().add(text) };
      scopesHere = [...activeScopes, scope];
      if (relativeDir === '') scopes.push(scope);
    }

    // Siblings are visited concurrently: a 5,000-file tree is mostly waiting on stat calls.
    await Promise.all(
      entries.map(async (entry) => {
        const path = relativeDir ? posix.join(relativeDir, entry.name) : entry.name;
        if (entry.isDirectory()) {
          if (!excludedBy(`${path}/`, scopesHere)) await walk(path, scopesHere);
        } else if (entry.isFile() && !excludedBy(path, scopesHere)) {
          const info = await stat(join(root, path));
          files.push({
            path,
            size: info.size,
            mtime: Math.floor(info.mtimeMs / 1000),
            executable: (info.mode & 0o111) !== 0,
          });
        }
      }),
    );
  };

  await walk('', scopes.slice());
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  // Remote paths are judged by the top-level rules and the always-excluded folders: enough to
  // keep the VM's build output when deleting what the workstation no longer has.
  const exclusions: Exclusions = {
    isExcluded: (path) => {
      const parts = path.split('/');
      for (let depth = 1; depth <= parts.length; depth++) {
        const prefix = parts.slice(0, depth).join('/');
        const candidate = depth < parts.length ? `${prefix}/` : prefix;
        if (excludedBy(candidate, scopes)) return true;
      }
      return false;
    },
  };

  return { files, exclusions };
}
