/**
 * The lab VirtualBox must print what VirtualBox 7 prints where the driver reads it: its import
 * listing and progress against the real transcript (case 10), read through the driver's own
 * parsers, and its showvminfo lines through parseVmInfo.
 */
import { describe, expect, it } from 'vitest';

import { readCase } from '../../../electron/core/testing/shared-cases.ts';
import { parseImportPlan } from '../../../electron/core/vbox/import-plan.ts';
import { ImportProgressParser } from '../../../electron/core/vbox/import-progress.ts';
import { parseVmInfo } from '../../../electron/core/vbox/vm-info.ts';
import type { FakeMachine } from './fake-store.ts';
import { parseOvf } from './ova.ts';
import { disksText, machineReadable, planText, progressRun } from './output.ts';
import { ovfDescriptor } from './tiny-ova.ts';

// Case 10's appliance, described as an OVF the lab VirtualBox reads.
const CENTOS = parseOvf(
  ovfDescriptor(
    {
      name: 'CentOS-7-x64',
      osType: 'RedHat_64',
      description: 'OS: CentOS 7 Core x64\nLogin: root\nPassword: <redacted>',
      cpus: 1,
      memoryMb: 512,
      network: 'VM Network',
      diskFile: 'CentOS-7-x64-disk1.vmdk',
      legacyDevices: true,
    },
    641146368,
  ),
);

const PROGRESS_LINE = /^0%\.\.\./;

/** The terminal the transcript was copied from expanded VBoxManage's tabs to 8 columns. */
function expandTabs(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line.split('\t').reduce((out, part, index) => {
        if (index === 0) return part;
        return out + ' '.repeat(8 - (out.length % 8)) + part;
      }, ''),
    )
    .join('\n');
}

function fakeImportStdout(): string {
  return (
    `Interpreting /home/user/CentOS-7-x64.ova...\nOK.\n${disksText(CENTOS)}\n` +
    planText(CENTOS, { baseFolder: '/home/user/VirtualBox VMs' }) +
    'Successfully imported the appliance.\n'
  );
}

function fakeProgressRun(): string {
  return progressRun()
    .map((step) => (step === '100%' ? '100%\n' : `${step}...`))
    .join('');
}

function percents(text: string): Array<[number, string]> {
  const seen: Array<[number, string]> = [];
  const parser = new ImportProgressParser(({ percent, phase }) => seen.push([percent, phase]));
  parser.feed(text);
  parser.end();
  return seen;
}

describe('the lab VBoxManage against real VirtualBox output', () => {
  it('prints the import listing of case 10 byte for byte (tabs aside)', () => {
    const real = readCase('10')
      .split('\n')
      .filter((line) => !PROGRESS_LINE.test(line))
      .join('\n');
    expect(expandTabs(fakeImportStdout())).toBe(real);
  });

  it('gives the driver the same import plan as the real listing', () => {
    const [fake] = parseImportPlan(fakeImportStdout());
    const [real] = parseImportPlan(readCase('10'));
    expect(fake).toEqual(real);
    expect(fake?.vmName).toBe('CentOS-7-x64');
  });

  it('prints progress the driver turns into the same percentages as the real runs', () => {
    const realRuns = readCase('10')
      .split('\n')
      .filter((line) => PROGRESS_LINE.test(line));
    expect(realRuns).toHaveLength(2);
    expect(fakeProgressRun()).toBe(`${realRuns[0]}\n`);

    const fake = percents(fakeProgressRun() + fakeProgressRun());
    expect(fake).toEqual(percents(realRuns.map((run) => `${run}\n`).join('')));
    expect(fake.map(([, phase]) => phase)).toContain('interpret');
    expect(fake.at(-1)).toEqual([100, 'import']);
  });

  it('prints showvminfo lines parseVmInfo reads, awkward names included', () => {
    const machine: FakeMachine = {
      uuid: '7e261a39-d356-4eb1-a8ed-75675b149241',
      name: 'build "VM" \\ with spaces',
      ostype: 'Ubuntu_64',
      memory: 4096,
      cpus: 2,
      folder: '/tmp/VirtualBox VMs/build',
      cfgFile: '/tmp/VirtualBox VMs/build/build.vbox',
      disks: ['/tmp/VirtualBox VMs/build/disk 1.vmdk'],
      nic1: 'bridged',
      bridgeadapter1: 'eth0',
      mac1: '0800271A4565',
      state: 'running',
      stateChangedAt: '2026-04-20T09:55:20.123Z',
    };
    const info = parseVmInfo(machineReadable(machine));
    expect(info).toMatchObject({
      uuid: machine.uuid,
      name: machine.name,
      accessible: true,
      memoryMb: 4096,
      cpus: 2,
      configFile: machine.cfgFile,
    });
    expect(info.state.kind).toBe('running');
    expect(info.stateChangedAt?.toISOString()).toBe('2026-04-20T09:55:20.123Z');
    expect(info.nics.find((nic) => nic.index === 1)).toMatchObject({
      type: 'bridged',
      bridgeAdapter: 'eth0',
      mac: '08:00:27:1A:45:65',
    });

    const off = parseVmInfo(machineReadable({ ...machine, nic1: 'nat', state: 'poweroff' }));
    expect(off.state.kind).toBe('poweroff');
    expect(off.nics.find((nic) => nic.index === 1)?.type).toBe('nat');
  });
});
