import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ProjectInfo } from '../api/contract.ts';

/**
 * The `executable <name>` stanzas of a .cabal file. Stanza headers start a line (cabal allows
 * any case for the keyword); names are what `cabal list-bin exe:<name>` takes.
 */
export function executablesIn(cabalText: string): string[] {
  const names: string[] = [];
  for (const line of cabalText.split(/\r?\n/)) {
    const match = /^executable[ \t]+([A-Za-z0-9][A-Za-z0-9_.-]*)[ \t]*(--.*)?$/i.exec(line);
    if (match) names.push(match[1]!);
  }
  return names;
}

/**
 * Executables of a project: its own .cabal files, and for a cabal.project those of the
 * packages one folder down (the usual layout; deeper globs are not followed).
 */
export async function projectExecutables(project: ProjectInfo): Promise<string[]> {
  const files = project.cabalFiles.map((name) => join(project.path, name));
  if (project.hasCabalProject) {
    const entries = await readdir(project.path, { withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'dist-newstyle') {
        continue;
      }
      const inner = await readdir(join(project.path, entry.name)).catch(() => [] as string[]);
      files.push(
        ...inner.filter((n) => n.endsWith('.cabal')).map((n) => join(project.path, entry.name, n)),
      );
    }
  }
  const names = new Set<string>();
  for (const file of files) {
    for (const name of executablesIn(await readFile(file, 'utf8'))) names.add(name);
  }
  return [...names].sort();
}
