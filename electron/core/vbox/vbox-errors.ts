import { UserError } from '../errors.ts';

/**
 * Reads what VBoxManage prints on failure:
 *
 *   VBoxManage: error: <message>
 *   VBoxManage: error: Details: code E_ACCESSDENIED (0x80070005), component MachineWrap, ...
 *   VBoxManage: error: Context: "LockMachine(...)" at line 3327 of file VBoxManageInfo.cpp
 *
 * On Windows the prefix is `VBoxManage.exe:`. The Context line names a source line that
 * changes with every release, so it is never matched on.
 */
export type VBoxErrorKind =
  | 'session-locked'
  | 'vtx-unavailable'
  | 'inaccessible'
  | 'name-exists'
  | 'driver-not-installed'
  | 'vm-not-found'
  | 'file-not-found'
  | 'bad-ovf'
  | 'startup-terminated'
  | 'unknown';

export interface VBoxErrorReport {
  kind: VBoxErrorKind;
  /** The COM status name from the Details line, e.g. `VBOX_E_INVALID_OBJECT_STATE`. */
  code?: string;
  /** The hexadecimal status, e.g. `0x80bb0007`. */
  hresult?: string;
  component?: string;
  /** The first error line without its prefix. */
  firstLine: string;
  /** Error lines without prefixes, Context lines left out. */
  lines: string[];
  /** The VM the message names, when it quotes one. */
  vmName?: string;
  /** The VM process exit code, for `startup-terminated`. */
  exitCode?: number;
  /** Worth retrying after a short wait (a session lock is usually released in seconds). */
  transient: boolean;
}

interface Rule {
  kind: Exclude<VBoxErrorKind, 'unknown'>;
  test: (text: string, code: string | undefined) => boolean;
}

// Order matters: the first rule that matches wins, most specific first.
const RULES: Rule[] = [
  {
    kind: 'driver-not-installed',
    test: (text) =>
      /VERR_VM_DRIVER_NOT_INSTALLED|VERR_VM_DRIVER_NOT_ACCESSIBLE|VERR_VM_DRIVER_OPEN_ERROR/.test(
        text,
      ) ||
      /kernel driver not installed/i.test(text) ||
      /vboxdrv kernel module is not loaded/i.test(text) ||
      /\/dev\/vboxdrv does not exist/i.test(text),
  },
  {
    kind: 'vtx-unavailable',
    test: (text) =>
      /\bVERR_(?:VMX|SVM)_\w+/.test(text) ||
      /\bVERR_NEM_NOT_AVAILABLE\b/.test(text) ||
      /\b(?:VT-x|AMD-V) is (?:not available|disabled)/i.test(text),
  },
  {
    kind: 'inaccessible',
    test: (text, code) =>
      code === 'E_ACCESSDENIED' ||
      /\bE_ACCESSDENIED\b/.test(text) ||
      /\bis inaccessible\b|functionality is limited/i.test(text),
  },
  {
    kind: 'session-locked',
    test: (text, code) =>
      code === 'VBOX_E_INVALID_OBJECT_STATE' ||
      /already locked (?:by|for) a session|is already locked/i.test(text),
  },
  {
    kind: 'name-exists',
    test: (text) => /already exists/i.test(text),
  },
  {
    kind: 'vm-not-found',
    test: (text) => /Could not find a registered machine/i.test(text),
  },
  {
    kind: 'file-not-found',
    test: (text) =>
      /\bVERR_(?:FILE|PATH)_NOT_FOUND\b/.test(text) ||
      /\bdoes not exist\b|\bFile not found\b/i.test(text),
  },
  {
    kind: 'startup-terminated',
    test: (text) => /terminated unexpectedly during startup/i.test(text),
  },
  {
    kind: 'bad-ovf',
    test: (text) =>
      /\bOVF\b|VBOX_E_XML_ERROR/.test(text) ||
      /Appliance (?:import|read) failed/i.test(text) ||
      /\bcomponent Appliance(?:Wrap)?\b/.test(text),
  },
];

const ERROR_PREFIX = /^\s*(?:[\w./\\-]*?)vboxmanage(?:\.exe)?:\s*error:\s?(.*)$/i;
const DETAILS = /^Details: code (\w+)\s*\((0x[0-9a-f]+)\)(?:, component (\w+))?/i;

export function classifyVBoxError(stderr: string, stdout = ''): VBoxErrorReport {
  const stderrLines = splitLines(stderr);
  const errorLines = stderrLines
    .map((line) => ERROR_PREFIX.exec(line)?.[1])
    .filter((line): line is string => line !== undefined);

  // Unprefixed stderr lines still matter (the vboxdrv warning, a VERR code on its own line);
  // Context lines never do. Stdout is only read for the driver warning: it holds paths
  // (`Interpreting /x/box.ova...`) that would match anything.
  const text = stderrLines
    .map((line) => ERROR_PREFIX.exec(line)?.[1] ?? line)
    .filter((line) => !/^\s*Context:/.test(line))
    .join('\n');
  const driverWarning = /vboxdrv kernel module is not loaded/i.test(stdout);

  const details = errorLines.map((line) => DETAILS.exec(line.trim())).find(Boolean);
  const code = details?.[1];
  const kind = driverWarning
    ? 'driver-not-installed'
    : (RULES.find((rule) => rule.test(text, code))?.kind ?? 'unknown');
  const messageLines = errorLines.filter((line) => !/^\s*(?:Context|Details):/.test(line));
  const firstLine =
    messageLines[0]?.trim() ?? stderrLines.find((line) => line.trim() !== '')?.trim() ?? '';
  const vmName = /(?:machine|VM)(?: named)? '([^']*)'/i.exec(text)?.[1];
  const exitCode = /with exit code (\d+)/.exec(text)?.[1];

  return {
    kind,
    ...(code ? { code } : {}),
    ...(details?.[2] ? { hresult: details[2].toLowerCase() } : {}),
    ...(details?.[3] ? { component: details[3] } : {}),
    firstLine,
    lines: errorLines.filter((line) => !/^\s*Context:/.test(line)).map((line) => line.trim()),
    ...(vmName !== undefined ? { vmName } : {}),
    ...(kind === 'startup-terminated' && exitCode ? { exitCode: Number(exitCode) } : {}),
    transient: kind === 'session-locked',
  };
}

function splitLines(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/\r$/, ''));
}

/** A failed VBoxManage call, worded for the user; the report keeps the raw details. */
export class VBoxManageError extends UserError {
  readonly report: VBoxErrorReport;
  readonly exitCode: number;
  readonly argv: readonly string[];

  constructor(report: VBoxErrorReport, exitCode: number, argv: readonly string[]) {
    const { message, fix } = describeVBoxError(report);
    super(`vbox-${report.kind}`, message, fix);
    this.name = 'VBoxManageError';
    this.report = report;
    this.exitCode = exitCode;
    this.argv = argv;
  }
}

export function describeVBoxError(report: VBoxErrorReport): { message: string; fix: string } {
  const vm = report.vmName ? ` "${report.vmName}"` : '';
  switch (report.kind) {
    case 'session-locked':
      return {
        message: `The VM${vm} is locked by another VirtualBox session.`,
        fix:
          'Wait a few seconds and try again. If it stays locked, close the VirtualBox window ' +
          'or other tool (Vagrant, Packer) that has the VM open.',
      };
    case 'vtx-unavailable':
      return {
        message: 'Hardware virtualization (VT-x/AMD-V) is not available to VirtualBox.',
        fix:
          'Enable Intel VT-x or AMD-V (SVM) in the BIOS/UEFI settings. On Windows, turn off ' +
          'Hyper-V, WSL 2 and Memory Integrity, or they keep VT-x for themselves.',
      };
    case 'inaccessible':
      return {
        message:
          `The VM${vm} is inaccessible: VirtualBox cannot read its settings ` + '(access denied).',
        fix:
          'Check that the VM folder and its .vbox file exist and belong to the user running ' +
          'VirtualBox, then restart VirtualBox; or remove the VM from the list and import it ' +
          'again.',
      };
    case 'name-exists':
      return {
        message: `A VM or VM folder with that name already exists: ${report.firstLine}`,
        fix:
          'Choose another VM name, or remove the old VM (and its folder under "VirtualBox VMs") ' +
          'first.',
      };
    case 'driver-not-installed':
      return {
        message: 'The VirtualBox kernel driver (vboxdrv) is not installed or not loaded.',
        fix:
          'On Linux run `sudo /sbin/vboxconfig` (install the kernel headers first if it ' +
          'fails); on macOS allow the Oracle system extension in Privacy & Security and reboot; ' +
          'on Windows reinstall VirtualBox.',
      };
    case 'vm-not-found':
      return {
        message: `VirtualBox has no VM${vm || ' by that name or UUID'}.`,
        fix: 'Refresh the VM list; the VM may have been removed or renamed outside this app.',
      };
    case 'file-not-found':
      return {
        message: `A file VirtualBox needs does not exist: ${report.firstLine}`,
        fix: 'Check the path (on the VirtualBox host, for a remote host) and try again.',
      };
    case 'bad-ovf':
      return {
        message: `The appliance (OVA/OVF) cannot be imported: ${report.firstLine}`,
        fix:
          'Rebuild or download the OVA again; its OVF description does not match its disks ' +
          'or is damaged.',
      };
    case 'startup-terminated':
      return {
        message:
          `The VM${vm} process stopped during startup` +
          (report.exitCode !== undefined ? ` (exit code ${report.exitCode}).` : '.'),
        fix:
          'Start it headless (a server without a display cannot show the VM window) and read ' +
          "VBox.log in the VM's Logs folder for the cause.",
      };
    case 'unknown':
      return {
        message: `VBoxManage failed: ${report.firstLine || 'no error message'}`,
        fix: 'See the log for the full VBoxManage output.',
      };
  }
}
