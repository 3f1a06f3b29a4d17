import { afterEach, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { addLogSink, type LogRecord } from '../log/logger.ts';
import { FakeRunner, readCase } from './test-support.ts';
import { VBoxManageError } from './vbox-errors.ts';
import { VBoxManageDriver, type VBoxDriverOptions } from './vbox-driver.ts';

const UUID = '7e261a39-d356-4eb1-a8ed-75675b149241';
const VBOX = '/usr/bin/VBoxManage';

function driverFor(runner: FakeRunner, options: VBoxDriverOptions = {}) {
  return new VBoxManageDriver(runner, { executable: VBOX, ...options });
}

function vmInfo(state: string): string {
  return `name="build"\nUUID="${UUID}"\nVMState="${state}"\n`;
}

/** A clock whose sleep moves time forward, so timeouts run instantly. */
function fakeClock() {
  const clock = { time: 0, slept: [] as number[] };
  return {
    clock,
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.time += ms;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a rejection');
}

let removeSink: (() => void) | undefined;
afterEach(() => removeSink?.());

describe('VBoxManageDriver: locating and checking VirtualBox', () => {
  it('locates VBoxManage once for a local runner and not at all for a remote one', async () => {
    const local = new FakeRunner('local').on(['list', 'vms'], { stdout: '' });
    let searches = 0;
    const driver = new VBoxManageDriver(local, {
      locate: async () => {
        searches++;
        return '/Applications/VirtualBox.app/Contents/MacOS/VBoxManage';
      },
    });
    await driver.listVms();
    await driver.listVms();
    expect(searches).toBe(1);
    expect(local.calls[0]?.file).toBe('/Applications/VirtualBox.app/Contents/MacOS/VBoxManage');

    const remote = new FakeRunner('ssh:vbox-host').on(['list', 'vms'], { stdout: '' });
    const remoteDriver = new VBoxManageDriver(remote, {
      locate: async () => {
        throw new Error('must not search a remote host locally');
      },
    });
    await remoteDriver.listVms();
    expect(remote.calls[0]?.file).toBe('VBoxManage');
  });

  it('accepts VirtualBox 7.0 and newer', async () => {
    const runner = new FakeRunner().on(['--version'], { stdout: '7.0.14r161095\n' });
    await expect(driverFor(runner).checkVersion()).resolves.toMatchObject({
      version: '7.0.14',
      revision: 161095,
    });
    expect(runner.argvs()).toEqual([['--version']]);
  });

  it('refuses VirtualBox 6.1 with an upgrade fix', async () => {
    const runner = new FakeRunner().on(['--version'], { stdout: '6.1.50r161033\n' });
    const error = await rejection(driverFor(runner).checkVersion());
    expect(error.code).toBe('vbox-too-old');
    expect(error.message).toMatch(/6\.1\.50.*7\.0/);
    expect(error.fix).toMatch(/virtualbox\.org/);
  });

  it('reports the unloaded kernel driver of case 21 although a version is printed', async () => {
    const runner = new FakeRunner().on(['--version'], { stdout: readCase('21') });
    const error = await rejection(driverFor(runner).checkVersion());
    expect(error.code).toBe('vbox-driver-not-loaded');
    expect(error.message).toMatch(/vboxdrv.*6\.0\.8/);
    expect(error.fix).toMatch(/sudo \/sbin\/vboxconfig/);
  });

  it('reports a VBoxManage that prints no version', async () => {
    const runner = new FakeRunner().on(['--version'], { stdout: '', stderr: 'boom', exitCode: 2 });
    const error = await rejection(driverFor(runner).checkVersion());
    expect(error.code).toBe('vbox-not-found');
    expect(error.message).toMatch(/exit code 2/);
  });

  it('turns a runner that cannot start VBoxManage into a UserError', async () => {
    const runner = new FakeRunner();
    runner.run = async () => {
      throw new Error('could not run VBoxManage: ENOENT');
    };
    const error = await rejection(driverFor(runner).listVms());
    expect(error.code).toBe('vbox-not-runnable');
    expect(error.message).toMatch(/ENOENT/);
  });
});

describe('VBoxManageDriver: reading VMs', () => {
  it('lists VMs keyed by UUID (case 05)', async () => {
    const runner = new FakeRunner().on(['list', 'runningvms'], { stdout: readCase('05') });
    const running = await driverFor(runner).listRunningVms();

    expect([...running.keys()]).toEqual(['143fc8d2-8e84-4778-a58e-ae4ad83c41cc', UUID]);
    expect(running.get(UUID)?.name).toBe('Xubuntu 22.04');
  });

  it('reads showvminfo (case 02)', async () => {
    const runner = new FakeRunner().on(['showvminfo'], { stdout: readCase('02') });
    const info = await driverFor(runner).info('02fd76af-2bae-4c98-add1-4d802a2f77fa');

    expect(runner.argvs()).toEqual([
      ['showvminfo', '02fd76af-2bae-4c98-add1-4d802a2f77fa', '--machinereadable'],
    ]);
    expect(info.state.kind).toBe('poweroff');
    expect(info.natRules[0]?.hostPort).toBe(2201);
  });

  it('throws an "inaccessible" VBoxManageError for case 03', async () => {
    const runner = new FakeRunner().on(['showvminfo'], { stderr: readCase('03'), exitCode: 1 });
    const error = await rejection(driverFor(runner).info(UUID));

    expect(error).toBeInstanceOf(VBoxManageError);
    expect(error.code).toBe('vbox-inaccessible');
    expect((error as VBoxManageError).report.code).toBe('E_ACCESSDENIED');
  });

  it('offers only bridge interfaces that are up and preselects the default route', async () => {
    const bridged =
      'Name: eth0\nStatus: Up\n\nName: eth1\nStatus: Down\n\nName: wlan0\nStatus: Up\n';
    const runner = new FakeRunner().on(['list', 'bridgedifs'], { stdout: bridged });
    const choice = await driverFor(runner).bridgeChoice('wlan0');

    expect(choice.candidates.map((item) => item.name)).toEqual(['eth0', 'wlan0']);
    expect(choice.preselected?.name).toBe('wlan0');
  });

  it('reads the host-only interfaces (case 07)', async () => {
    const runner = new FakeRunner().on(['list', 'hostonlyifs'], { stdout: readCase('07') });
    const [vboxnet0] = await driverFor(runner).hostOnlyInterfaces();
    expect(vboxnet0).toMatchObject({ name: 'vboxnet0', ipAddress: '192.168.56.1', status: 'down' });
  });

  it('returns the guest IP, or undefined while none is set (cases 14, 15)', async () => {
    const runner = new FakeRunner()
      .once(['guestproperty'], { stdout: readCase('15'), exitCode: 1 })
      .once(['guestproperty'], { stdout: readCase('14') });
    const driver = driverFor(runner);

    await expect(driver.guestIp(UUID)).resolves.toBeUndefined();
    await expect(driver.guestIp(UUID)).resolves.toBe('192.0.2.57');
    expect(runner.argvs()[0]).toEqual([
      'guestproperty',
      'get',
      UUID,
      '/VirtualBox/GuestInfo/Net/0/V4/IP',
    ]);
  });

  it('throws when guestproperty fails for a VM that does not exist', async () => {
    const stderr = "VBoxManage: error: Could not find a registered machine named 'gone'\n";
    const runner = new FakeRunner().on(['guestproperty'], { stderr, exitCode: 1 });
    const error = await rejection(driverFor(runner).guestIp('gone'));
    expect(error.code).toBe('vbox-vm-not-found');
  });
});

describe('VBoxManageDriver: import', () => {
  const transcript = readCase('10');
  const lines = transcript.split('\n');
  // VBoxManage draws progress on stderr and prints the listing on stdout.
  const stderr = lines.filter((line) => /^\d+%/.test(line)).join('\n') + '\n';
  const stdout = lines.filter((line) => !/^\d+%/.test(line)).join('\n');
  const imported = `"old" {143fc8d2-8e84-4778-a58e-ae4ad83c41cc}\n"CentOS-7-x64" {${UUID}}\n`;

  it('reports progress across both phases and returns the new UUID (case 10)', async () => {
    const runner = new FakeRunner()
      .once(['list', 'vms'], { stdout: '"old" {143fc8d2-8e84-4778-a58e-ae4ad83c41cc}\n' })
      .once(['list', 'vms'], { stdout: imported })
      .on(['import'], { stdout, stderr, chunkSize: 3 });
    const progress: Array<[number, string]> = [];

    const result = await driverFor(runner).import('/home/user/CentOS-7-x64.ova', {
      vmName: 'CentOS-7-x64',
      onProgress: (percent, phase) => progress.push([percent, phase]),
    });

    expect(result.uuid).toBe(UUID);
    expect(result.name).toBe('CentOS-7-x64');
    expect(result.plan?.memoryMb).toBe(512);
    expect(runner.argvs()[1]).toEqual([
      'import',
      '/home/user/CentOS-7-x64.ova',
      '--vsys',
      '0',
      '--vmname',
      'CentOS-7-x64',
    ]);
    expect(progress[0]).toEqual([0, 'interpret']);
    expect(progress).toContainEqual([10, 'interpret']);
    expect(progress.filter(([percent]) => percent === 100)).toEqual([[100, 'import']]);
    expect(progress.at(-1)).toEqual([100, 'import']);
    const percents = progress.map(([percent]) => percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(runner.calls[1]?.options.timeoutMs).toBeUndefined();
  });

  it('passes a name with quotes, spaces and shell syntax as one argument', async () => {
    const name = `it's "a" $(rm -rf ~); echo \`id\` > /tmp/x`;
    const runner = new FakeRunner()
      .once(['list', 'vms'], { stdout: '' })
      .once(['list', 'vms'], { stdout: `"${name}" {${UUID}}\n` })
      .on(['import'], { stdout: 'Successfully imported the appliance.\n' });

    const result = await driverFor(runner).import('/tmp/My Box (1).ova', { vmName: name });

    expect(runner.argvs()[1]).toEqual([
      'import',
      '/tmp/My Box (1).ova',
      '--vsys',
      '0',
      '--vmname',
      name,
    ]);
    expect(result).toEqual({ uuid: UUID, name });
  });

  it('fails with a bad-OVF error when the import stops at 0% (case 13)', async () => {
    const runner = new FakeRunner()
      .on(['list', 'vms'], { stdout: '' })
      .on(['import'], { stderr: readCase('13'), exitCode: 1 });
    const progress: number[] = [];

    const error = await rejection(
      driverFor(runner).import('/home/user/box.ovf', { onProgress: (p) => progress.push(p) }),
    );
    expect(error.code).toBe('vbox-bad-ovf');
    expect(progress).not.toContain(100);
    expect(progress.at(-1)).toBe(10);
  });

  it('cancels through the signal', async () => {
    const controller = new AbortController();
    const runner = new FakeRunner()
      .on(['list', 'vms'], { stdout: '' })
      .on(['import'], { stderr: '0%...10%...', waitForAbort: true });

    const pending = driverFor(runner).import('/x.ova', {
      signal: controller.signal,
      onProgress: (percent) => {
        if (percent === 1) controller.abort();
      },
    });
    const error = await rejection(pending);
    expect(error.code).toBe('vbox-import-canceled');
    expect(runner.calls[1]?.options.signal).toBe(controller.signal);
  });

  it('refuses an appliance path that VBoxManage would read as an option', async () => {
    const runner = new FakeRunner();
    const error = await rejection(driverFor(runner).import('--dry-run'));
    expect(error.code).toBe('vbox-bad-argument');
    expect(runner.calls).toEqual([]);
  });
});

describe('VBoxManageDriver: changing VMs', () => {
  it('builds the documented argv for bridge, start, save and remove', async () => {
    const runner = new FakeRunner().on([], { stdout: '' });
    const driver = driverFor(runner);

    await driver.setBridged(UUID, 'Intel(R) Ethernet Connection (7) I219-V');
    await driver.startHeadless(UUID);
    await driver.saveState(UUID);
    await driver.remove(UUID);

    expect(runner.argvs()).toEqual([
      [
        'modifyvm',
        UUID,
        '--nic1',
        'bridged',
        '--bridgeadapter1',
        'Intel(R) Ethernet Connection (7) I219-V',
      ],
      ['startvm', UUID, '--type', 'headless'],
      ['controlvm', UUID, 'savestate'],
      ['unregistervm', UUID, '--delete'],
    ]);
  });

  it('turns start failures into UserErrors (cases 18, 19)', async () => {
    const runner = new FakeRunner()
      .once(['startvm'], { stderr: readCase('19'), exitCode: 1 })
      .once(['startvm'], { stderr: readCase('18'), exitCode: 1 });
    const driver = driverFor(runner);

    const locked = await rejection(driver.startHeadless(UUID));
    expect(locked.code).toBe('vbox-session-locked');
    expect((locked as VBoxManageError).report.transient).toBe(true);
    expect((locked as VBoxManageError).argv).toEqual(['startvm', UUID, '--type', 'headless']);

    const vtx = await rejection(driver.startHeadless(UUID));
    expect(vtx.code).toBe('vbox-vtx-unavailable');
  });

  it('refuses a VM reference that would be read as an option', async () => {
    const runner = new FakeRunner();
    const error = await rejection(driverFor(runner).startHeadless('--type'));
    expect(error.code).toBe('vbox-bad-argument');
    expect(runner.calls).toEqual([]);
  });

  it('shuts down with the ACPI button and polls until the VM is off', async () => {
    const { clock, now, sleep } = fakeClock();
    const runner = new FakeRunner()
      .once(['showvminfo'], { stdout: vmInfo('running') })
      .once(['showvminfo'], { stdout: vmInfo('running') })
      .once(['showvminfo'], { stdout: vmInfo('stopping') })
      .once(['showvminfo'], { stdout: vmInfo('poweroff') })
      .on(['controlvm'], { stdout: '' });

    const outcome = await driverFor(runner, { now, sleep }).shutdown(UUID, { timeoutMs: 60_000 });

    expect(outcome).toBe('acpi');
    expect(runner.argvs().map((argv) => argv.join(' '))).toEqual([
      `showvminfo ${UUID} --machinereadable`,
      `controlvm ${UUID} acpipowerbutton`,
      `showvminfo ${UUID} --machinereadable`,
      `showvminfo ${UUID} --machinereadable`,
      `showvminfo ${UUID} --machinereadable`,
    ]);
    expect(clock.slept).toEqual([1000, 1000, 1000]);
  });

  it('powers off after the timeout when the guest ignores ACPI', async () => {
    const { clock, now, sleep } = fakeClock();
    const runner = new FakeRunner()
      .on(['showvminfo'], { stdout: vmInfo('running') })
      .on(['controlvm'], { stdout: '' });

    const outcome = await driverFor(runner, { now, sleep }).shutdown(UUID, {
      timeoutMs: 5_000,
      pollMs: 2_000,
    });

    expect(outcome).toBe('poweroff');
    expect(clock.time).toBe(5_000);
    expect(clock.slept).toEqual([2000, 2000, 1000]);
    expect(runner.argvs().at(-1)).toEqual(['controlvm', UUID, 'poweroff']);
    expect(runner.argvs().filter((argv) => argv[2] === 'acpipowerbutton')).toHaveLength(1);
  });

  it('does nothing when the VM is already off', async () => {
    const runner = new FakeRunner().on(['showvminfo'], { stdout: vmInfo('saved') });
    await expect(driverFor(runner).shutdown(UUID)).resolves.toBe('already-off');
    expect(runner.argvs()).toHaveLength(1);
  });
});

describe('VBoxManageDriver: logging', () => {
  it('logs one line per call with host, argv, exit code and duration', async () => {
    const records: LogRecord[] = [];
    const lines: string[] = [];
    removeSink = addLogSink((record, line) => {
      records.push(record);
      lines.push(line);
    });
    let time = 1_000;
    const runner = new FakeRunner('ssh:vbox-host')
      .on(['startvm'], { stderr: readCase('19'), exitCode: 1 })
      .on(['showvminfo'], { stdout: vmInfo('running') });
    const driver = new VBoxManageDriver(runner, { now: () => (time += 250) });

    await driver.info('my vm');
    await rejection(driver.startHeadless(UUID));

    const ours = records.filter((record) => record.scope === 'vbox:ssh:vbox-host');
    expect(ours.map((record) => [record.level, record.fields])).toEqual([
      [
        'info',
        { host: 'ssh:vbox-host', argv: "showvminfo 'my vm' --machinereadable", exit: 0, ms: 250 },
      ],
      [
        'warn',
        { host: 'ssh:vbox-host', argv: `startvm ${UUID} --type headless`, exit: 1, ms: 250 },
      ],
    ]);
    expect(lines.filter((line) => line.includes('[vbox:ssh:vbox-host]'))).toHaveLength(2);
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
  });
});
