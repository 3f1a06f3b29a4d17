import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';

import type { ProjectInfo } from '../api/contract.ts';
import { UserError } from '../errors.ts';

/** Expands `~/` and makes the path absolute: users type both forms into the path field. */
export function normalizeProjectPath(path: string): string {
  const trimmed = path.trim();
  if (trimmed === '~') return homedir();
  if (trimmed.startsWith('~/')) return join(homedir(), trimmed.slice(2));
  return isAbsolute(trimmed) ? resolve(trimmed) : resolve(process.cwd(), trimmed);
}

/**
 * Checks that a folder is something cabal can build: a package (`*.cabal`) or a project
 * (`cabal.project`). The error says which of the two is missing and how to fix it.
 */
export async function inspectProject(path: string): Promise<ProjectInfo> {
  const absolute = normalizeProjectPath(path);

  let info;
  try {
    info = await stat(absolute);
  } catch {
    throw new UserError(
      'project-missing',
      `project folder ${absolute} does not exist`,
      'Choose the folder that holds your .cabal file or cabal.project.',
    );
  }
  if (!info.isDirectory()) {
    throw new UserError(
      'project-not-folder',
      `${absolute} is a file, not a project folder`,
      'Choose the folder that holds the .cabal file, not the file itself.',
    );
  }

  const names = await readdir(absolute);
  const cabalFiles = names.filter((name) => name.endsWith('.cabal')).sort();
  const hasCabalProject = names.includes('cabal.project');
  if (cabalFiles.length === 0 && !hasCabalProject) {
    throw new UserError(
      'no-cabal-file',
      `${absolute} has no .cabal file and no cabal.project`,
      'Pick the folder of a cabal package (with a <name>.cabal file) or of a multi-package ' +
        'project (with cabal.project); `cabal init` creates a package.',
    );
  }

  return { path: absolute, name: projectName(absolute), cabalFiles, hasCabalProject };
}

/** The folder name, made safe for a remote directory name. */
export function projectName(absolutePath: string): string {
  const cleaned = basename(absolutePath)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '');
  return cleaned || 'project';
}

const MAX_COMPLETIONS = 50;

/**
 * Folder completions for the path field of browser mode, where no native dialog exists.
 * Only folder names are returned, never file contents.
 */
export async function completeFolderPath(prefix: string): Promise<string[]> {
  const typed = prefix.trim() === '' ? homedir() + sep : prefix;
  const expanded = typed.startsWith('~')
    ? normalizeProjectPath(typed) + (typed.endsWith('/') ? sep : '')
    : typed;
  if (!isAbsolute(expanded)) return [];

  const endsWithSeparator = expanded.endsWith('/') || expanded.endsWith(sep);
  const parent = endsWithSeparator ? expanded : dirname(expanded);
  const partial = endsWithSeparator ? '' : basename(expanded);

  let entries;
  try {
    entries = await readdir(parent, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isDirectory() && entry.name.startsWith(partial))
    .filter((entry) => partial.startsWith('.') || !entry.name.startsWith('.'))
    .map((entry) => join(parent, entry.name))
    .sort()
    .slice(0, MAX_COMPLETIONS);
}
