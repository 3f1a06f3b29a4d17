import { describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { locateVBoxManage } from './locate.ts';

function existing(...files: string[]) {
  const checked: string[] = [];
  const isExecutable = async (file: string) => {
    checked.push(file);
    return files.includes(file);
  };
  return { checked, isExecutable };
}

describe('locateVBoxManage', () => {
  it('prefers PATH', async () => {
    const fs = existing('/opt/vbox/VBoxManage', '/usr/bin/VBoxManage');
    const found = await locateVBoxManage({
      platform: 'linux',
      pathEnv: '/home/u/bin:/opt/vbox',
      isExecutable: fs.isExecutable,
    });
    expect(found).toBe('/opt/vbox/VBoxManage');
  });

  it('falls back to the usual folder on each OS when PATH does not have it', async () => {
    const cases: Array<[NodeJS.Platform, string]> = [
      ['linux', '/usr/local/bin/VBoxManage'],
      ['darwin', '/Applications/VirtualBox.app/Contents/MacOS/VBoxManage'],
      ['win32', 'C:\\Program Files\\Oracle\\VirtualBox\\VBoxManage.exe'],
    ];
    for (const [platform, file] of cases) {
      const fs = existing(file);
      await expect(
        locateVBoxManage({ platform, pathEnv: '', isExecutable: fs.isExecutable }),
      ).resolves.toBe(file);
    }
  });

  it('reads a Windows PATH with quoted folders', async () => {
    const fs = existing('D:\\Tools\\VirtualBox\\VBoxManage.exe');
    const found = await locateVBoxManage({
      platform: 'win32',
      pathEnv: 'C:\\Windows;"D:\\Tools\\VirtualBox"',
      isExecutable: fs.isExecutable,
    });
    expect(found).toBe('D:\\Tools\\VirtualBox\\VBoxManage.exe');
  });

  it('says how to install VirtualBox when it is nowhere', async () => {
    const fs = existing();
    try {
      await locateVBoxManage({ platform: 'linux', pathEnv: '/bin', isExecutable: fs.isExecutable });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).code).toBe('vbox-not-found');
      expect((error as UserError).message).toMatch(/\/usr\/bin/);
      expect((error as UserError).fix).toMatch(/VirtualBox 7\.0 or newer/);
    }
    expect(fs.checked).toContain('/bin/VBoxManage');
    expect(fs.checked).toContain('/usr/bin/VBoxManage');
  });
});
