import { UserError } from '../errors.ts';
import type { CommandResult, CommandRunner } from '../exec/command-runner.ts';
import { shellCommand } from '../exec/shell-quote.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { abortableDelay } from './abortable-delay.ts';
import { chooseBridgeAdapter, type BridgeChoice } from './bridge-adapter.ts';
import type { HostCallLimiter } from './call-limiter.ts';
import { GUEST_IP_PROPERTY, parseGuestProperty } from './guest-property.ts';
import { parseHostInterfaces, type HostInterface } from './host-interfaces.ts';
import { parseImportPlan, type VirtualSystemPlan } from './import-plan.ts';
import { ImportProgressParser, type ImportPhase } from './import-progress.ts';
import { locateVBoxManage, REMOTE_VBOXMANAGE, type LocateOptions } from './locate.ts';
import { classifyVBoxError, VBoxManageError } from './vbox-errors.ts';
import { isAtLeast, parseVersionOutput, type VBoxVersion } from './version.ts';
import { parseVmInfo, type VmInfo } from './vm-info.ts';
import { parseVmList, type VmListEntry } from './vm-list.ts';
import { isStopped, type VmState } from './vm-state.ts';

export const MIN_VBOX_MAJOR = 7;
const DEFAULT_TIMEOUT_MS = 60_000;
const DOWNLOAD_URL = 'https://www.virtualbox.org/wiki/Downloads';

export interface VBoxDriverOptions {
  /** Path of VBoxManage; found on first use when not given. */
  executable?: string;
  /** Whether the runner is another machine; defaults to `runner.host !== 'local'`. */
  remote?: boolean;
  locate?: (options: LocateOptions) => Promise<string>;
  /** Polling calls (list, showvminfo, guestproperty) go through it when given. */
  limiter?: HostCallLimiter;
  logger?: Logger;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told about every finished call, for the panel's per-call log. */
  onCall?: (record: VBoxCallRecord) => void;
}

/** One VBoxManage run as the call log shows it. */
export interface VBoxCallRecord {
  host: string;
  argv: string[];
  /** Null when the program could not be run at all. */
  exitCode: number | null;
  startedAt: number;
  ms: number;
  /** The end of stderr, where VBoxManage puts its errors (progress runs included). */
  stderr: string;
}

const CALL_LOG_STDERR_CHARS = 2_000;

export interface ImportOptions {
  /** The name for the new VM; the appliance's suggestion when not given. */
  vmName?: string;
  /** Overall percent (0-100 across reading and importing) and the phase it is in. */
  onProgress?: (percent: number, phase: ImportPhase) => void;
  signal?: AbortSignal;
  /** A `listVms()` made just before, so the import does not list the VMs once more. */
  knownVms?: Map<string, VmListEntry>;
}

export interface ImportResult {
  uuid: string;
  name: string;
  plan?: VirtualSystemPlan;
}

export interface ShutdownOptions {
  /** How long the guest gets to power off after the ACPI button; then it is cut. */
  timeoutMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** The state just read by the caller, which spares one showvminfo. */
  currentState?: VmState;
}

export type ShutdownOutcome = 'already-off' | 'acpi' | 'poweroff';

interface CallOptions {
  /** A read-only status call, paced by the limiter. */
  poll?: boolean;
  /** Return a failed result instead of throwing. */
  allowFailure?: boolean;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * VBoxManage through a CommandRunner, on this machine or over SSH. Every call is an argument
 * array and gets one log line; failures become VBoxManageErrors with a message and a fix.
 * VMs are addressed by UUID: names can repeat and can be changed behind our back.
 */
export class VBoxManageDriver {
  private readonly log: Logger;
  private readonly remote: boolean;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private executablePath: Promise<string> | undefined;

  constructor(
    private readonly runner: CommandRunner,
    private readonly options: VBoxDriverOptions = {},
  ) {
    this.log = options.logger ?? createLogger(`vbox:${runner.host}`);
    this.remote = options.remote ?? runner.host !== 'local';
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableDelay;
    if (options.executable) this.executablePath = Promise.resolve(options.executable);
  }

  get host(): string {
    return this.runner.host;
  }

  /** The VBoxManage to run: a remote shell finds it on its own PATH. */
  executable(): Promise<string> {
    if (!this.executablePath) {
      const locate = this.options.locate ?? locateVBoxManage;
      this.executablePath = this.remote ? Promise.resolve(REMOTE_VBOXMANAGE) : locate({});
      // A failed search is retried next time: the user may have installed VirtualBox since.
      this.executablePath.catch(() => (this.executablePath = undefined));
    }
    return this.executablePath;
  }

  /** Checks that VirtualBox is 7.0 or newer and that its kernel driver is loaded. */
  async checkVersion(): Promise<VBoxVersion> {
    const result = await this.call(['--version'], { allowFailure: true });
    const report = parseVersionOutput(`${result.stdout}\n${result.stderr}`);
    const version = report.version;
    const tooOld = version !== undefined && !isAtLeast(version, MIN_VBOX_MAJOR);
    const upgrade = `Install VirtualBox ${MIN_VBOX_MAJOR}.0 or newer from ${DOWNLOAD_URL}.`;

    const problem = report.problems[0];
    if (problem) {
      throw new UserError(
        'vbox-driver-not-loaded',
        `${problem.message}${version ? ` (VirtualBox ${version.version})` : ''}`,
        tooOld
          ? `${upgrade} If the driver is still missing, run ${problem.fix}.`
          : `Run ${problem.fix}.`,
      );
    }
    if (!version) {
      throw new UserError(
        'vbox-not-found',
        `VBoxManage on ${this.host} did not report a version` +
          (result.exitCode === 0 ? '.' : ` (exit code ${result.exitCode}).`),
        upgrade,
      );
    }
    if (tooOld) {
      throw new UserError(
        'vbox-too-old',
        `VirtualBox ${version.version} on ${this.host} is too old; this app needs ` +
          `${MIN_VBOX_MAJOR}.0 or newer.`,
        upgrade,
      );
    }
    return version;
  }

  /** All registered VMs, keyed by UUID. */
  async listVms(): Promise<Map<string, VmListEntry>> {
    const result = await this.call(['list', 'vms'], { poll: true });
    return keyByUuid(parseVmList(result.stdout));
  }

  async listRunningVms(): Promise<Map<string, VmListEntry>> {
    const result = await this.call(['list', 'runningvms'], { poll: true });
    return keyByUuid(parseVmList(result.stdout));
  }

  async info(vm: string): Promise<VmInfo> {
    const result = await this.call(['showvminfo', vmArg(vm), '--machinereadable'], { poll: true });
    return parseVmInfo(result.stdout);
  }

  async state(vm: string): Promise<VmState> {
    return (await this.info(vm)).state;
  }

  /** The states of several VMs, for the poller; one call per VM, paced by the limiter. */
  async states(vms: readonly string[]): Promise<VmState[]> {
    const states: VmState[] = [];
    for (const vm of vms) states.push(await this.state(vm));
    return states;
  }

  async bridgedInterfaces(): Promise<HostInterface[]> {
    const result = await this.call(['list', 'bridgedifs'], { poll: true });
    return parseHostInterfaces(result.stdout);
  }

  async hostOnlyInterfaces(): Promise<HostInterface[]> {
    const result = await this.call(['list', 'hostonlyifs'], { poll: true });
    return parseHostInterfaces(result.stdout);
  }

  /** Bridge candidates (Status Up only), preselecting the default-route interface. */
  async bridgeChoice(defaultRouteInterface?: string): Promise<BridgeChoice> {
    return chooseBridgeAdapter(await this.bridgedInterfaces(), defaultRouteInterface);
  }

  /**
   * Imports an OVA and returns the new VM's UUID. Cancelling through the signal stops
   * VBoxManage, which cancels the import.
   */
  async import(ova: string, options: ImportOptions = {}): Promise<ImportResult> {
    if (ova.trim() === '' || ova.startsWith('-')) {
      throw new UserError(
        'vbox-bad-argument',
        `"${ova}" is not a usable appliance path.`,
        'Choose the .ova file again; a path must not be empty or start with "-".',
      );
    }
    const before = options.knownVms ?? (await this.listVms());
    const argv = ['import', ova, '--vsys', '0'];
    if (options.vmName !== undefined) argv.push('--vmname', nameArg(options.vmName));

    let reported = -1;
    const report = ({ percent, phase }: { percent: number; phase: ImportPhase }) => {
      if (percent <= reported) return;
      reported = percent;
      options.onProgress?.(percent, phase);
    };
    // Progress goes to stderr; older versions printed it to stdout, so both are read.
    const fromStderr = new ImportProgressParser(report);
    const fromStdout = new ImportProgressParser(report);

    const result = await this.call(argv, {
      allowFailure: true,
      onStdout: (chunk) => fromStdout.feed(chunk),
      onStderr: (chunk) => fromStderr.feed(chunk),
      ...(options.signal ? { signal: options.signal } : {}),
      // Copying a large disk has no useful upper bound; cancelling is the user's call.
      timeoutMs: 0,
    });
    fromStderr.end();
    fromStdout.end();

    if (options.signal?.aborted) {
      throw new UserError(
        'vbox-import-canceled',
        `The import of ${ova} was canceled.`,
        'Import again when ready. If a half-imported VM is listed, remove it first.',
      );
    }
    if (result.exitCode !== 0) {
      throw new VBoxManageError(classifyVBoxError(result.stderr), result.exitCode, argv);
    }
    report({ percent: 100, phase: 'import' });

    const plan = parseImportPlan(result.stdout)[0];
    const name = options.vmName ?? plan?.vmName;
    const added = [...(await this.listVms()).values()].filter((vm) => !before.has(vm.uuid));
    const created =
      added.find((vm) => vm.name === name) ?? (added.length === 1 ? added[0] : undefined);
    if (!created) {
      throw new UserError(
        'vbox-import-lost',
        `VBoxManage reported a successful import, but no new VM${name ? ` "${name}"` : ''} ` +
          'appeared in the VM list.',
        'Refresh the VM list; if the VM is not there, import the appliance again.',
      );
    }
    return { uuid: created.uuid, name: created.name, ...(plan ? { plan } : {}) };
  }

  /** Attaches NIC 1 to a host interface, for guests that must be reachable on the LAN. */
  async setBridged(vm: string, adapter: string): Promise<void> {
    if (adapter.trim() === '') {
      throw new UserError(
        'vbox-bad-argument',
        'No bridge adapter was chosen.',
        'Pick a network interface whose status is Up.',
      );
    }
    await this.call(['modifyvm', vmArg(vm), '--nic1', 'bridged', '--bridgeadapter1', adapter]);
  }

  async startHeadless(vm: string): Promise<void> {
    await this.call(['startvm', vmArg(vm), '--type', 'headless']);
  }

  /**
   * Presses the ACPI power button and waits for the guest to power off; after the timeout the
   * VM is powered off hard, as pulling the plug would.
   */
  async shutdown(vm: string, options: ShutdownOptions = {}): Promise<ShutdownOutcome> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const pollMs = options.pollMs ?? 1_000;
    if (isStopped(options.currentState ?? (await this.state(vm)))) return 'already-off';

    await this.call(['controlvm', vmArg(vm), 'acpipowerbutton']);
    const deadline = this.now() + timeoutMs;
    while (this.now() < deadline) {
      await this.sleep(Math.min(pollMs, Math.max(0, deadline - this.now())), options.signal);
      if (isStopped(await this.state(vm))) return 'acpi';
    }

    this.log.warn('guest ignored the ACPI power button; powering off', { vm, timeoutMs });
    const result = await this.call(['controlvm', vmArg(vm), 'poweroff'], { allowFailure: true });
    if (result.exitCode !== 0) {
      // It may have powered off on its own between the last poll and the poweroff.
      if (isStopped(await this.state(vm))) return 'acpi';
      throw new VBoxManageError(classifyVBoxError(result.stderr), result.exitCode, [
        'controlvm',
        vm,
        'poweroff',
      ]);
    }
    return 'poweroff';
  }

  async saveState(vm: string): Promise<void> {
    await this.call(['controlvm', vmArg(vm), 'savestate']);
  }

  /** Unregisters the VM and deletes its disks and folder. */
  async remove(vm: string): Promise<void> {
    await this.call(['unregistervm', vmArg(vm), '--delete']);
  }

  /** The guest's first IPv4 address, or undefined until the Guest Additions report one. */
  async guestIp(vm: string): Promise<string | undefined> {
    const argv = ['guestproperty', 'get', vmArg(vm), GUEST_IP_PROPERTY];
    const result = await this.call(argv, { poll: true, allowFailure: true });
    if (/^\s*(?:Value:|No value set)/m.test(result.stdout))
      return parseGuestProperty(result.stdout);
    if (result.exitCode !== 0) {
      throw new VBoxManageError(classifyVBoxError(result.stderr), result.exitCode, argv);
    }
    return parseGuestProperty(result.stdout);
  }

  private async call(argv: string[], options: CallOptions = {}): Promise<CommandResult> {
    const file = await this.executable();
    const run = (startedAt?: number) => this.runLogged(file, argv, options, startedAt);
    const limiter = this.options.limiter;
    let result: CommandResult;
    if (limiter && options.poll) {
      result = await limiter.schedule(this.host, run, options.signal);
    } else {
      // Actions are not queued behind polls, but they take their own start slot on the host.
      result = await run(limiter ? await limiter.pace(this.host, options.signal) : undefined);
    }

    if (result.exitCode !== 0 && !options.allowFailure) {
      throw new VBoxManageError(classifyVBoxError(result.stderr), result.exitCode, argv);
    }
    return result;
  }

  private async runLogged(
    file: string,
    argv: string[],
    options: CallOptions,
    /** The limiter's start time, so the call log shows the gaps it kept. */
    startedAt?: number,
  ): Promise<CommandResult> {
    const started = startedAt ?? this.now();
    const fields = { host: this.host, argv: shellCommand(argv) };
    try {
      const result = await this.runner.run(file, argv, {
        ...(options.onStdout ? { onStdout: options.onStdout } : {}),
        ...(options.onStderr ? { onStderr: options.onStderr } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs === 0 ? {} : { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS }),
      });
      const level = result.exitCode === 0 ? 'info' : 'warn';
      this.log[level]('VBoxManage', { ...fields, exit: result.exitCode, ms: this.now() - started });
      this.record(argv, result.exitCode, started, result.stderr);
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.error('VBoxManage', { ...fields, exit: 'none', ms: this.now() - started, message });
      this.record(argv, null, started, message);
      throw new UserError(
        'vbox-not-runnable',
        `Could not run VBoxManage on ${this.host}: ${message}`,
        `Check that VirtualBox ${MIN_VBOX_MAJOR}.0 or newer is installed there (${DOWNLOAD_URL}).`,
        { cause: error },
      );
    }
  }

  private record(argv: string[], exitCode: number | null, started: number, stderr: string): void {
    this.options.onCall?.({
      host: this.host,
      argv: [...argv],
      exitCode,
      startedAt: started,
      ms: this.now() - started,
      stderr: stderr.slice(-CALL_LOG_STDERR_CHARS),
    });
  }
}

// An argument starting with "-" would be read by VBoxManage as an option.
function vmArg(vm: string): string {
  if (vm.trim() === '' || vm.startsWith('-')) {
    throw new UserError(
      'vbox-bad-argument',
      `"${vm}" is not a VM name or UUID VBoxManage can take.`,
      'Refresh the VM list and pick the VM again.',
    );
  }
  return vm;
}

function nameArg(name: string): string {
  if (name.trim() === '') {
    throw new UserError('vbox-bad-argument', 'The VM name is empty.', 'Enter a name for the VM.');
  }
  return name;
}

function keyByUuid(entries: readonly VmListEntry[]): Map<string, VmListEntry> {
  return new Map(entries.map((entry) => [entry.uuid, entry]));
}
