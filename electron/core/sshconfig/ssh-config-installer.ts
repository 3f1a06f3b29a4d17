/**
 * Installs the panel's SSH client configuration: one managed file per VM in
 * ~/.ssh/build-machines/, and one Include line at the head of ~/.ssh/config. Idempotent: a
 * second run with the same registry writes nothing.
 */
import { chmod, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextIfExists } from '../fs/read-text-if-exists.ts';
import { createLogger } from '../log/logger.ts';
import type { MachineEntry } from '../registry/port-registry.ts';
import {
  includeLine,
  isManagedHostFile,
  renderHostFile,
  withInclude,
  withoutInclude,
} from './ssh-config-text.ts';

const log = createLogger('ssh-config');

export interface SshConfigPaths {
  /** ~/.ssh */
  sshDir: string;
  /** ~/.ssh/config */
  configFile: string;
  /** ~/.ssh/build-machines */
  folder: string;
}

export function sshConfigPaths(home = homedir()): SshConfigPaths {
  const sshDir = join(home, '.ssh');
  return { sshDir, configFile: join(sshDir, 'config'), folder: join(sshDir, 'build-machines') };
}

export interface InstallOptions {
  machines: MachineEntry[];
  buildKeyPath: string;
  knownHostsFile: string;
  paths?: SshConfigPaths;
}

export interface InstallReport {
  configFile: string;
  folder: string;
  includeAdded: boolean;
  /** Host files created or changed. */
  written: string[];
  unchanged: string[];
  /** Host files of VMs no longer in the registry. */
  removed: string[];
}

export async function installSshConfig(options: InstallOptions): Promise<InstallReport> {
  const paths = options.paths ?? sshConfigPaths();
  await mkdir(paths.sshDir, { recursive: true, mode: 0o700 });
  await mkdir(paths.folder, { recursive: true, mode: 0o700 });

  const report: InstallReport = {
    configFile: paths.configFile,
    folder: paths.folder,
    includeAdded: false,
    written: [],
    unchanged: [],
    removed: [],
  };

  const wanted = new Set<string>();
  for (const machine of options.machines) {
    const file = join(paths.folder, `${machine.name}.conf`);
    wanted.add(file);
    const text = renderHostFile({
      name: machine.name,
      hostName: machine.host,
      port: machine.port,
      user: machine.user,
      identityFile: options.buildKeyPath,
      knownHostsFile: options.knownHostsFile,
    });
    if ((await readTextIfExists(file)) === text) {
      report.unchanged.push(file);
      continue;
    }
    await writeFileAtomic(file, text, { mode: 0o600 });
    report.written.push(file);
  }

  for (const name of await readdir(paths.folder)) {
    const file = join(paths.folder, name);
    if (!name.endsWith('.conf') || wanted.has(file)) continue;
    // Only files we wrote are removed: a hand-made file in the folder is the user's.
    if (isManagedHostFile((await readTextIfExists(file)) ?? '')) {
      await rm(file, { force: true });
      report.removed.push(file);
    }
  }

  report.includeAdded = await ensureInclude(paths);
  log.info('installed', {
    written: report.written.length,
    removed: report.removed.length,
    include_added: report.includeAdded,
  });
  return report;
}

/** Removes one VM's host file (the VM was removed from the panel). */
export async function removeHostFile(name: string, paths = sshConfigPaths()): Promise<boolean> {
  const file = join(paths.folder, `${name}.conf`);
  const text = await readTextIfExists(file);
  if (text === undefined || !isManagedHostFile(text)) return false;
  await rm(file, { force: true });
  return true;
}

/** Takes the Include line out again; the user's own lines are left as they are. */
export async function uninstallInclude(paths = sshConfigPaths()): Promise<boolean> {
  const target = await configTarget(paths.configFile);
  const before = await readTextIfExists(target);
  if (before === undefined) return false;
  const after = withoutInclude(before, includeLine(paths.folder));
  if (after === before) return false;
  await writeFileAtomic(target, after);
  return true;
}

async function ensureInclude(paths: SshConfigPaths): Promise<boolean> {
  const target = await configTarget(paths.configFile);
  const before = await readTextIfExists(target);
  const { text, changed } = withInclude(before ?? '', includeLine(paths.folder));
  if (!changed) return false;
  // A new config is private like the rest of ~/.ssh; an existing one keeps its mode.
  await writeFileAtomic(target, text, before === undefined ? { mode: 0o600 } : {});
  if (before === undefined) await chmod(target, 0o600);
  return true;
}

// A config kept in a dotfiles repository is often a symlink: write through it, not over it.
async function configTarget(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    return file;
  }
}
