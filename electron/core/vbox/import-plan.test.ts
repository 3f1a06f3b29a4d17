import { describe, expect, it } from 'vitest';

import { parseImportPlan } from './import-plan.ts';
import { readCase } from './test-support.ts';

describe('parseImportPlan', () => {
  it('reads the suggested settings of case 10 despite the multi-line Description', () => {
    const [plan, ...others] = parseImportPlan(readCase('10'));

    expect(others).toEqual([]);
    expect(plan).toMatchObject({
      index: 0,
      vmName: 'CentOS-7-x64',
      osType: 'RedHat_64',
      cpus: 1,
      memoryMb: 512,
      settingsFile: '/home/user/VirtualBox VMs/CentOS-7-x64/CentOS-7-x64.vbox',
      baseFolder: '/home/user/VirtualBox VMs',
      description: 'OS: CentOS 7 Core x64\nLogin: root\nPassword: <redacted>',
    });
    expect(plan?.items.map((item) => item.unit)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    ]);
    expect(plan?.disks).toEqual([
      {
        unit: 14,
        sourceImage: 'CentOS-7-x64-disk1.vmdk',
        targetPath: 'CentOS-7-x64-disk1.vmdk',
        controllerUnit: 11,
        port: 0,
      },
    ]);
    expect(plan?.items[11]?.hints).toEqual([
      '--vsys 0 --unit 11 --scsitype {BusLogic|LsiLogic}',
      '--vsys 0 --unit 11 --ignore',
    ]);
  });

  it('reads the same listing with CRLF line ends', () => {
    const [plan] = parseImportPlan(readCase('10').replace(/\n/g, '\r\n'));
    expect(plan?.vmName).toBe('CentOS-7-x64');
    expect(plan?.description).toBe('OS: CentOS 7 Core x64\nLogin: root\nPassword: <redacted>');
  });

  it('does not run past an item whose quotes are odd on a single line', () => {
    const text = [
      'Virtual system 0:',
      ' 0: Description "He said "hi"',
      '    (change with "--vsys 0 --description <desc>")',
      ' 1: Suggested VM name "quote\'s "odd" name"',
      '    (change with "--vsys 0 --vmname <name>")',
      ' 2: Number of CPUs: 8',
    ].join('\n');
    const [plan] = parseImportPlan(text);

    expect(plan?.items.map((item) => item.unit)).toEqual([0, 1, 2]);
    expect(plan?.vmName).toBe('quote\'s "odd" name');
    expect(plan?.cpus).toBe(8);
  });

  it('reads several virtual systems and ignores text around them', () => {
    const text = [
      'Interpreting /x.ova...',
      'OK.',
      'Virtual system 0:',
      ' 0: Suggested VM name "a"',
      'Virtual system 1:',
      ' 0: Suggested VM name "b"',
      ' 1: Guest memory: 4096 MB',
      '0%...',
    ].join('\n');

    expect(parseImportPlan(text).map((plan) => [plan.index, plan.vmName, plan.memoryMb])).toEqual([
      [0, 'a', undefined],
      [1, 'b', 4096],
    ]);
  });

  it('returns nothing for output without a listing (failed import, garbage)', () => {
    expect(parseImportPlan(readCase('13'))).toEqual([]);
    expect(parseImportPlan('')).toEqual([]);
    expect(parseImportPlan('1: Suggested VM name "orphan"')).toEqual([]);
  });
});
