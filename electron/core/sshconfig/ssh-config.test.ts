import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { MachineEntry } from '../registry/port-registry.ts';
import {
  installSshConfig,
  removeHostFile,
  sshConfigPaths,
  uninstallInclude,
} from './ssh-config-installer.ts';
import { hasTopLevelInclude, renderHostFile, withInclude } from './ssh-config-text.ts';

let home: string;
const machine = (name: string, port: number): MachineEntry => ({
  name,
  port,
  user: 'builder',
  host: 'localhost',
  line: 1,
});

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'bm-sshconfig-'));
});
afterEach(() => rm(home, { recursive: true, force: true }));

const install = (machines: MachineEntry[]) =>
  installSshConfig({
    machines,
    buildKeyPath: join(home, '.ssh', 'id_build'),
    knownHostsFile: join(home, 'panel config', 'known_hosts'),
    paths: sshConfigPaths(home),
  });

// Odd but valid content a user may have: no final newline, CRLF, tabs, Match blocks, UTF-8.
const ODD_CONFIG =
  'Host *\r\n\tServerAliveInterval 30\r\n# café ☕ comment\r\nMatch host foo exec "true"\r\n' +
  '  User   someone   \r\nHost haskell-build\r\n  Port 2222';

describe('ssh config text', () => {
  it('renders a pinned host entry for one VM, quoting paths with spaces', () => {
    const text = renderHostFile({
      name: 'haskell-build',
      hostName: 'localhost',
      port: 12222,
      user: 'builder',
      identityFile: '/home/u/.ssh/id_build',
      knownHostsFile: '/home/u/my config/known_hosts',
    });
    expect(text.split('\n').slice(1)).toEqual([
      'Host haskell-build',
      '  HostName localhost',
      '  Port 12222',
      '  User builder',
      '  IdentityFile /home/u/.ssh/id_build',
      '  IdentitiesOnly yes',
      '  HostKeyAlias haskell-build',
      '  UserKnownHostsFile "/home/u/my config/known_hosts"',
      '  StrictHostKeyChecking yes',
      '',
    ]);
  });

  it('refuses a path ssh_config cannot express', () => {
    expect(() =>
      renderHostFile({
        name: 'a',
        hostName: 'localhost',
        port: 1,
        user: 'b',
        identityFile: '/tmp/we"ird',
        knownHostsFile: '/k',
      }),
    ).toThrow(/contains a quote/);
  });

  it('counts an Include inside a Host block as not included', () => {
    const line = 'Include /h/.ssh/build-machines/*.conf';
    expect(hasTopLevelInclude(`Host x\n  ${line}\n`, line)).toBe(false);
    expect(hasTopLevelInclude(`# hi\n${line}\nHost x\n`, line)).toBe(true);
    expect(withInclude(`Host x\n  ${line}\n`, line).text.startsWith('# Added')).toBe(true);
  });
});

describe('installing the ssh config', () => {
  it('creates ~/.ssh/config with the Include and one private file per VM', async () => {
    const report = await install([machine('vm-a', 12221), machine('vm-b', 12222)]);
    const paths = sshConfigPaths(home);
    const config = await readFile(paths.configFile, 'utf8');
    expect(config).toBe(
      '# Added by Build Machines: its per-VM host entries. Remove both lines to undo.\n' +
        `Include ${paths.folder}/*.conf\n`,
    );
    expect(report.includeAdded).toBe(true);
    expect(report.written).toHaveLength(2);
    expect((await stat(paths.configFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(paths.folder, 'vm-a.conf'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(paths.folder, 'vm-b.conf'), 'utf8')).toContain('Port 12222');
  });

  it('keeps odd user content byte for byte and is idempotent', async () => {
    const paths = sshConfigPaths(home);
    await mkdir(paths.sshDir, { recursive: true });
    await writeFile(paths.configFile, ODD_CONFIG, { mode: 0o640 });

    await install([machine('vm-a', 12221)]);
    const once = await readFile(paths.configFile, 'utf8');
    expect(once.endsWith(ODD_CONFIG)).toBe(true);
    expect(once.split('\r\n').slice(0, 2)[1]).toBe(`Include ${paths.folder}/*.conf`);
    expect((await stat(paths.configFile)).mode & 0o777).toBe(0o640);

    const again = await install([machine('vm-a', 12221)]);
    expect(again).toMatchObject({ includeAdded: false, written: [] });
    expect(again.unchanged).toHaveLength(1);
    expect(await readFile(paths.configFile, 'utf8')).toBe(once);

    expect(await uninstallInclude(paths)).toBe(true);
    expect(await readFile(paths.configFile, 'utf8')).toBe(ODD_CONFIG);
  });

  it('removes the file of a VM that left the registry, and leaves hand-made files', async () => {
    const paths = sshConfigPaths(home);
    await install([machine('vm-a', 12221), machine('vm-b', 12222)]);
    await writeFile(join(paths.folder, 'mine.conf'), 'Host mine\n  Port 1\n');

    const report = await install([machine('vm-a', 12221)]);
    expect(report.removed).toEqual([join(paths.folder, 'vm-b.conf')]);
    expect((await readdir(paths.folder)).sort()).toEqual(['mine.conf', 'vm-a.conf']);

    expect(await removeHostFile('vm-a', paths)).toBe(true);
    expect(await removeHostFile('mine', paths)).toBe(false);
    expect(await readdir(paths.folder)).toEqual(['mine.conf']);
  });

  it('writes through a symlinked ~/.ssh/config instead of replacing the link', async () => {
    const paths = sshConfigPaths(home);
    await mkdir(paths.sshDir, { recursive: true });
    const real = join(home, 'dotfiles-ssh-config');
    await writeFile(real, 'Host x\n');
    await symlink(real, paths.configFile);

    await install([machine('vm-a', 12221)]);
    expect((await lstat(paths.configFile)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toMatch(/^# Added[^\n]*\nInclude [^\n]*\nHost x\n$/);
  });
});
