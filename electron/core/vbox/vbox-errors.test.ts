import { describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { readCase } from './test-support.ts';
import { classifyVBoxError, VBoxManageError } from './vbox-errors.ts';

/** Case 16 holds two runs, each introduced by a `$ ` command marker. */
function splitRuns(text: string): string[] {
  return text
    .split(/^\$ .*$/m)
    .map((run) => run.trim())
    .filter((run) => run !== '');
}

describe('classifyVBoxError', () => {
  it('reads an inaccessible VM although the message never says so (case 03)', () => {
    const report = classifyVBoxError(readCase('03'));

    expect(report).toMatchObject({
      kind: 'inaccessible',
      code: 'E_ACCESSDENIED',
      hresult: '0x80070005',
      component: 'MachineWrap',
      firstLine: 'The object functionality is limited',
      transient: false,
    });
    expect(report.lines.some((line) => line.startsWith('Context:'))).toBe(false);
  });

  it('accepts the Windows VBoxManage.exe prefix', () => {
    const windows = readCase('03').replace(/^VBoxManage:/gm, 'VBoxManage.exe:');
    expect(classifyVBoxError(windows)).toMatchObject({
      kind: 'inaccessible',
      code: 'E_ACCESSDENIED',
    });
  });

  it('reads a bad OVF that fails at import 0% (case 13)', () => {
    const report = classifyVBoxError(readCase('13'));

    expect(report).toMatchObject({
      kind: 'bad-ovf',
      code: 'NS_ERROR_FAILURE',
      component: 'ApplianceWrap',
      firstLine: 'Appliance import failed',
    });
    expect(report.lines[1]).toBe(
      '<vbox:Machine> element in OVF contains a medium attachment for the disk image  but the ' +
        'OVF describes no such image',
    );
  });

  it('tells a failed GUI start from a headless start that worked (case 16)', () => {
    const [guiRun, headlessRun] = splitRuns(readCase('16'));

    expect(guiRun).toContain('Waiting for VM');
    expect(classifyVBoxError(guiRun ?? '')).toMatchObject({
      kind: 'startup-terminated',
      vmName: 'CentOS-7-x64',
      exitCode: 1,
      code: 'NS_ERROR_FAILURE',
    });
    expect(headlessRun).toContain('has been successfully started');
    expect(classifyVBoxError(headlessRun ?? '')).toMatchObject({ kind: 'unknown', lines: [] });
  });

  it('reads VT-x unavailable from the VERR code in parentheses (case 18)', () => {
    const report = classifyVBoxError(readCase('18'));
    expect(report).toMatchObject({ kind: 'vtx-unavailable', code: 'NS_ERROR_FAILURE' });

    const windows = readCase('18')
      .replace(/^VBoxManage:/gm, 'VBoxManage.exe:')
      .replace('NS_ERROR_FAILURE (0x80004005)', 'E_FAIL (0x80004005)');
    expect(classifyVBoxError(windows)).toMatchObject({ kind: 'vtx-unavailable', code: 'E_FAIL' });
    expect(
      classifyVBoxError('VBoxManage: error: AMD-V is disabled in the BIOS (VERR_SVM_DISABLED)'),
    ).toMatchObject({ kind: 'vtx-unavailable' });
  });

  it('reads a session lock as transient, whatever the Context line number (case 19)', () => {
    const original = readCase('19');
    for (const line of ['726', '727', '881']) {
      const report = classifyVBoxError(original.replace('at line 726', `at line ${line}`));
      expect(report).toMatchObject({
        kind: 'session-locked',
        code: 'VBOX_E_INVALID_OBJECT_STATE',
        hresult: '0x80bb0007',
        vmName: 'DC01',
        transient: true,
      });
    }
  });

  it('never classifies by the Context line', () => {
    const text =
      'VBoxManage: error: Something new happened\n' +
      'VBoxManage: error: Context: "OVF already exists does not exist VT-x is not available" ' +
      'at line 12 of file VBoxManageMisc.cpp\n';
    expect(classifyVBoxError(text)).toMatchObject({
      kind: 'unknown',
      firstLine: 'Something new happened',
    });
  });

  it('reads a missing kernel driver, including the vboxdrv warning (case 21)', () => {
    expect(classifyVBoxError(readCase('21')).kind).toBe('driver-not-installed');
    expect(classifyVBoxError('', readCase('21')).kind).toBe('driver-not-installed');
    const text =
      "VBoxManage: error: The virtual machine 'x' has terminated unexpectedly during startup " +
      'because of signal 6\nVBoxManage: error: Kernel driver not installed ' +
      '(rc=-1908)\nVBoxManage: error: Details: code NS_ERROR_FAILURE (0x80004005)';
    expect(classifyVBoxError(text).kind).toBe('driver-not-installed');
    expect(classifyVBoxError('VBoxManage: error: (VERR_VM_DRIVER_NOT_INSTALLED)').kind).toBe(
      'driver-not-installed',
    );
  });

  it('reads an existing VM name, a missing file and a missing VM', () => {
    const exists =
      "VBoxManage: error: Machine settings file '/home/user/VirtualBox VMs/b/b.vbox' already " +
      'exists\nVBoxManage: error: Details: code VBOX_E_FILE_ERROR (0x80bb0004), component ' +
      'MachineWrap, interface IMachine';
    expect(classifyVBoxError(exists)).toMatchObject({
      kind: 'name-exists',
      code: 'VBOX_E_FILE_ERROR',
    });

    const missing =
      'VBoxManage: error: Appliance read failed\nVBoxManage: error: File ' +
      '/home/user/missing.ova does not exist (VERR_FILE_NOT_FOUND)';
    expect(classifyVBoxError(missing).kind).toBe('file-not-found');

    const noVm =
      "VBoxManage: error: Could not find a registered machine named 'gone'\n" +
      'VBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001)';
    expect(classifyVBoxError(noVm)).toMatchObject({ kind: 'vm-not-found', vmName: 'gone' });
  });

  it('keeps the first error line of an unknown error and survives garbage', () => {
    expect(classifyVBoxError('VBoxManage: error: Brand new failure\nmore')).toMatchObject({
      kind: 'unknown',
      firstLine: 'Brand new failure',
    });
    expect(classifyVBoxError("Syntax error: Invalid parameter '--foo'\n")).toMatchObject({
      kind: 'unknown',
      firstLine: "Syntax error: Invalid parameter '--foo'",
    });
    expect(classifyVBoxError('')).toMatchObject({ kind: 'unknown', firstLine: '' });
    expect(classifyVBoxError('\u0000\u00ff%%%').kind).toBe('unknown');
  });

  it('does not read paths on stdout as an OVF problem', () => {
    const report = classifyVBoxError(
      'VBoxManage: error: Brand new failure',
      'Interpreting /home/user/box.ova...\nOK.\n',
    );
    expect(report.kind).toBe('unknown');
  });
});

describe('VBoxManageError', () => {
  it('is a UserError whose message names the problem and whose fix says what to do', () => {
    const cases: Array<[string, string, RegExp, RegExp]> = [
      ['03', 'vbox-inaccessible', /inaccessible/, /\.vbox file/],
      ['13', 'vbox-bad-ovf', /OVA\/OVF.*Appliance import failed/, /OVA/],
      ['18', 'vbox-vtx-unavailable', /VT-x\/AMD-V/, /BIOS.*Hyper-V/],
      ['19', 'vbox-session-locked', /"DC01" is locked/, /try again/],
      ['21', 'vbox-driver-not-installed', /vboxdrv/, /sudo \/sbin\/vboxconfig/],
    ];
    for (const [file, code, message, fix] of cases) {
      const error = new VBoxManageError(classifyVBoxError(readCase(file)), 1, ['x']);
      expect(error).toBeInstanceOf(UserError);
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expect(error.fix).toMatch(fix);
    }

    const [guiRun] = splitRuns(readCase('16'));
    const startup = new VBoxManageError(classifyVBoxError(guiRun ?? ''), 1, ['startvm']);
    expect(startup.message).toBe(
      'The VM "CentOS-7-x64" process stopped during startup (exit code 1).',
    );
    expect(startup.fix).toMatch(/headless.*VBox\.log/);
  });
});
