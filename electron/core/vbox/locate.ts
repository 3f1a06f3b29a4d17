import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

import { UserError } from '../errors.ts';

export interface LocateOptions {
  platform?: NodeJS.Platform;
  /** The PATH to search; defaults to this process's. */
  pathEnv?: string;
  /** Whether a file exists and may be run; replaced in tests. */
  isExecutable?: (file: string) => Promise<boolean>;
}

// Installers put VBoxManage here without always adding it to PATH (macOS, Windows), and a GUI
// app started from the desktop may not see the PATH a login shell has.
const USUAL_FOLDERS: Partial<Record<NodeJS.Platform, string[]>> = {
  linux: ['/usr/bin', '/usr/local/bin', '/usr/lib/virtualbox'],
  darwin: ['/Applications/VirtualBox.app/Contents/MacOS', '/usr/local/bin', '/opt/homebrew/bin'],
  win32: ['C:\\Program Files\\Oracle\\VirtualBox', 'C:\\Program Files (x86)\\Oracle\\VirtualBox'],
};

export const REMOTE_VBOXMANAGE = 'VBoxManage';

/** Finds VBoxManage on this machine: PATH first, then the folders installers use. */
export async function locateVBoxManage(options: LocateOptions = {}): Promise<string> {
  const platform = options.platform ?? process.platform;
  const pathApi = platform === 'win32' ? path.win32 : path.posix;
  const names = platform === 'win32' ? ['VBoxManage.exe'] : ['VBoxManage', 'vboxmanage'];
  const isExecutable = options.isExecutable ?? defaultIsExecutable;

  const fromPath = (options.pathEnv ?? process.env.PATH ?? '')
    .split(platform === 'win32' ? ';' : ':')
    .map((folder) => folder.trim().replace(/^"(.*)"$/, '$1'))
    .filter((folder) => folder !== '');
  const folders = [...new Set([...fromPath, ...(USUAL_FOLDERS[platform] ?? [])])];

  for (const folder of folders) {
    for (const name of names) {
      const candidate = pathApi.join(folder, name);
      if (await isExecutable(candidate)) return candidate;
    }
  }

  throw new UserError(
    'vbox-not-found',
    `VirtualBox is not installed: VBoxManage was not found in PATH or in ` +
      `${(USUAL_FOLDERS[platform] ?? []).join(', ') || 'the usual folders'}.`,
    'Install VirtualBox 7.0 or newer from https://www.virtualbox.org/wiki/Downloads, then ' +
      'restart this app.',
  );
}

async function defaultIsExecutable(file: string): Promise<boolean> {
  try {
    await access(file, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
