/**
 * The lab's VBoxManage: the subcommands the panel uses, with VirtualBox 7's output formats and
 * error blocks. VMs are records in $FAKE_VBOX_HOME; a started VM is a lab host made by
 * e2e/lab/vbox-vm.sh (a network namespace on the lab's switch with sshd, the builder user and
 * the reverse tunnel on the VM's registry port). Only tests and `make lab` run this.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parsePortRegistry } from '../../../electron/core/registry/port-registry.ts';
import { FakeStore, type FakeMachine } from './fake-store.ts';
import { extractMember, listOva, OvaError, parseOvf, readMember } from './ova.ts';
import {
  bridgedIfsText,
  disksText,
  errorText,
  firstNicKind,
  lockedError,
  machineReadable,
  notFound,
  planText,
  prefixToMask,
  progressRun,
  VERSION,
  type ComError,
  type HostNic,
} from './output.ts';

// The wrapper runs a bundle made elsewhere; it names the folder the sources (and scripts) are in.
const HERE = process.env.FAKE_VBOX_SOURCE_DIR ?? dirname(fileURLToPath(import.meta.url));
const VM_SCRIPT = resolve(HERE, '..', 'vbox-vm.sh');
const IP_PROPERTY = '/VirtualBox/GuestInfo/Net/0/V4/IP';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function fail(error: ComError, code = 1): never {
  process.stderr.write(errorText(error));
  throw new Exit(code);
}

function syntaxError(message: string): never {
  process.stderr.write(`VBoxManage: error: ${message}\n`);
  throw new Exit(2);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** KEY=value lines the lab writes beside the VMs: lab id, lab folder, registry, pacing. */
function labConfig(store: FakeStore): Record<string, string> {
  const file = join(store.home, 'lab.env');
  if (!existsSync(file)) return {};
  const config: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) config[match[1]!] = match[2]!;
  }
  return config;
}

function machineOrFail(store: FakeStore, name: string | undefined, file: string): FakeMachine {
  if (!name) syntaxError('Missing the VM name or UUID');
  const machine = store.find(name);
  if (!machine) fail(notFound(name, file, file === 'VBoxManageInfo.cpp' ? 2621 : 1152));
  return machine;
}

async function printProgress(stepMs: number): Promise<void> {
  for (const step of progressRun()) {
    process.stderr.write(step === '100%' ? '100%\n' : `${step}...`);
    if (step !== '100%') await sleep(stepMs);
  }
}

function list(store: FakeStore, what: string | undefined): void {
  const line = (machine: FakeMachine) => `"${machine.name}" {${machine.uuid}}\n`;
  if (what === 'vms') {
    process.stdout.write(store.all().map(line).join(''));
  } else if (what === 'runningvms') {
    const running = store.all().filter((machine) => machine.state === 'running');
    process.stdout.write(running.map(line).join(''));
  } else if (what === 'bridgedifs') {
    process.stdout.write(bridgedIfsText(hostNics()));
  } else if (what === 'hostonlyifs') {
    process.stdout.write('');
  } else {
    syntaxError(`Invalid parameter '${what ?? ''}'`);
  }
}

/** The interfaces of the namespace VirtualBox runs in, as a host's NICs. */
function hostNics(): HostNic[] {
  const shown = spawnSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8' });
  const links = JSON.parse(shown.stdout || '[]') as Array<{
    ifname: string;
    address?: string;
    operstate?: string;
    flags?: string[];
    addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
  }>;
  return links
    .filter((link) => link.ifname !== 'lo')
    .map((link) => {
      const v4 = link.addr_info?.find((info) => info.family === 'inet');
      const up = link.operstate === 'UP' || (link.flags ?? []).includes('LOWER_UP');
      return {
        name: link.ifname,
        mac: link.address ?? '00:00:00:00:00:00',
        up,
        ...(v4 ? { ipv4: v4.local, mask: prefixToMask(v4.prefixlen) } : {}),
      };
    });
}

async function importOva(store: FakeStore, args: string[]): Promise<void> {
  const file = args[0];
  if (!file) syntaxError('import: no appliance file given');
  let vmName: string | undefined;
  for (let index = 1; index < args.length; index++) {
    if (args[index] === '--vmname') vmName = args[++index];
    else if (args[index] === '--vsys') index++;
    else syntaxError(`Invalid parameter '${args[index]}'`);
  }
  const config = labConfig(store);
  const stepMs = Number(config.IMPORT_STEP_MS ?? '100');
  const path = resolve(file);

  process.stdout.write(`Interpreting ${path}...\n`);
  let system;
  let ovf: string | undefined;
  try {
    if (!existsSync(path)) throw new OvaError(`Could not find the file '${path}'`);
    const members = listOva(path);
    ovf = members.find((member) => member.toLowerCase().endsWith('.ovf'));
    if (!ovf) throw new OvaError(`The OVA '${path}' contains no OVF descriptor`);
    system = parseOvf(readMember(path, ovf).toString('utf8'));
    const missing = system.disks.find((disk) => !members.includes(disk.href));
    if (missing) throw new OvaError(`The OVA has no disk image '${missing.href}'`);
  } catch (error) {
    process.stderr.write('0%...\nProgress state: VBOX_E_FILE_ERROR\n');
    const message = error instanceof Error ? error.message : String(error);
    fail({
      lines: ['Appliance read failed', `${message} (VERR_FILE_NOT_FOUND)`],
      code: 'VBOX_E_FILE_ERROR',
      hresult: '0x80bb0004',
      component: 'ApplianceWrap',
      iface: 'IAppliance',
      context:
        '"RTEXITCODE handleImportAppliance(HandlerArg *)" at line 1007 of file ' +
        'VBoxManageAppliance.cpp',
    });
  }
  await printProgress(Math.max(5, Math.round(stepMs / 4)));
  process.stdout.write(`OK.\n${disksText(system)}\n`);
  process.stdout.write(
    planText(system, { ...(vmName !== undefined ? { vmName } : {}), baseFolder: store.vmsFolder }),
  );

  const name = vmName ?? system.name;
  const folder = join(store.vmsFolder, name);
  const cfgFile = join(folder, `${name}.vbox`);
  if (store.all().some((machine) => machine.name === name) || existsSync(cfgFile)) {
    process.stderr.write('0%...\nProgress state: VBOX_E_FILE_ERROR\n');
    fail({
      lines: ['Appliance import failed', `Machine settings file '${cfgFile}' already exists`],
      code: 'VBOX_E_FILE_ERROR',
      hresult: '0x80bb0004',
      component: 'MachineWrap',
      iface: 'IMachine',
      context:
        '"RTEXITCODE handleImportAppliance(HandlerArg *)" at line 1118 of file ' +
        'VBoxManageAppliance.cpp',
    });
  }

  // Ctrl-C or a kill cancels the import and leaves nothing behind, as VirtualBox does.
  const cancel = () => {
    rmSync(folder, { recursive: true, force: true });
    process.stderr.write('\nProgress state: E_ABORT\n');
    process.stderr.write('VBoxManage: error: Appliance import failed\n');
    process.exit(1);
  };
  process.on('SIGTERM', cancel);
  process.on('SIGINT', cancel);

  mkdirSync(folder, { recursive: true });
  await printProgress(stepMs);
  const disks = system.disks.map((disk) => {
    extractMember(path, disk.href, folder);
    return join(folder, disk.href);
  });
  const cpus = system.items.find((item) => item.resourceType === 3)?.quantity ?? 1;
  const memory = system.items.find((item) => item.resourceType === 4)?.quantity ?? 512;
  const machine: FakeMachine = {
    uuid: store.newUuid(),
    name,
    ostype: system.osType,
    ...(system.description !== undefined ? { description: system.description } : {}),
    memory,
    cpus,
    folder,
    cfgFile,
    disks,
    nic1: firstNicKind(system),
    mac1: store.newMac(),
    state: 'poweroff',
    stateChangedAt: new Date().toISOString(),
  };
  writeFileSync(cfgFile, `<?xml version="1.0"?>\n<!-- lab VirtualBox: ${machine.uuid} -->\n`);
  store.save(machine);
  process.off('SIGTERM', cancel);
  process.off('SIGINT', cancel);
  process.stdout.write('Successfully imported the appliance.\n');
}

function modifyvm(store: FakeStore, args: string[]): void {
  const machine = machineOrFail(store, args[0], 'VBoxManageModifyVM.cpp');
  if (machine.state === 'running') {
    fail(
      lockedError(
        machine.name,
        '"LockMachine(a->session, LockType_Write)" at line 5337 of file VBoxManageModifyVM.cpp',
      ),
    );
  }
  for (let index = 1; index < args.length; index++) {
    const option = args[index];
    const value = args[++index];
    if (value === undefined) syntaxError(`Missing argument to '${option}'`);
    if (option === '--nic1') {
      if (value !== 'nat' && value !== 'bridged') {
        syntaxError(`Invalid type '${value}' specfied for NIC 1`);
      }
      machine.nic1 = value;
    } else if (option === '--bridgeadapter1') {
      machine.bridgeadapter1 = value;
    } else if (option === '--macaddress1') {
      machine.mac1 = value.toUpperCase();
    } else {
      syntaxError(`Invalid parameter '${option}'`);
    }
  }
  store.save(machine);
}

function labIndex(store: FakeStore, labId: string): number {
  const taken = new Set(store.all().map((machine) => machine.labIndex));
  for (let index = 1; index <= 40; index++) {
    if (!taken.has(index) && !existsSync(`/run/netns/bm-${labId}-fv${index}`)) return index;
  }
  process.stderr.write('VBoxManage (lab): no free lab host slot (40 VMs running)\n');
  throw new Exit(1);
}

/** The image's SSH host key: from the disk when the disk is a tar holding one, else made once. */
function hostKeyFor(machine: FakeMachine): string {
  const keyFolder = join(machine.folder, 'host-keys');
  const key = join(keyFolder, 'ssh_host_ed25519_key');
  if (existsSync(key)) return key;
  mkdirSync(keyFolder, { recursive: true });
  const member = 'etc/ssh/ssh_host_ed25519_key';
  const disk = machine.disks[0];
  const listed = disk ? spawnSync('tar', ['-tf', disk], { encoding: 'utf8' }) : undefined;
  if (disk && listed?.status === 0 && listed.stdout.split('\n').includes(member)) {
    extractMember(disk, member, keyFolder);
    extractMember(disk, `${member}.pub`, keyFolder);
    copyFileSync(join(keyFolder, member), key);
    copyFileSync(join(keyFolder, `${member}.pub`), `${key}.pub`);
    rmSync(join(keyFolder, 'etc'), { recursive: true, force: true });
  } else {
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', machine.name, '-f', key]);
  }
  return key;
}

function tunnelPort(config: Record<string, string>, name: string): number | undefined {
  if (!config.REGISTRY || !existsSync(config.REGISTRY)) return undefined;
  try {
    const entries = parsePortRegistry(readFileSync(config.REGISTRY, 'utf8'), config.REGISTRY);
    return entries.find((entry) => entry.name === name)?.port;
  } catch {
    return undefined;
  }
}

function startvm(store: FakeStore, args: string[]): void {
  const machine = machineOrFail(store, args[0], 'VBoxManageMisc.cpp');
  const typeIndex = args.indexOf('--type');
  const type = typeIndex >= 0 ? args[typeIndex + 1] : 'gui';
  if (machine.state === 'running' || machine.state === 'stopping') {
    fail({
      ...lockedError(
        machine.name,
        '"LaunchVMProcess(a->session, sessionType.raw(), ComSafeArrayAsInParam(aBstrEnv), ' +
          'progress.asOutParam())" at line 726 of file VBoxManageMisc.cpp',
      ),
      lines: [
        `The machine '${machine.name}' is already locked by a session ` +
          '(or being locked or unlocked)',
      ],
    });
  }
  process.stdout.write(`Waiting for VM "${machine.name}" to power on...\n`);
  const config = labConfig(store);
  const startupFailure: (detail?: string) => never = (detail) =>
    fail({
      lines: [
        `The virtual machine '${machine.name}' has terminated unexpectedly during startup ` +
          'with exit code 1 (0x1)',
        ...(detail ? [detail] : []),
      ],
      code: 'NS_ERROR_FAILURE',
      hresult: '0x80004005',
      component: 'MachineWrap',
      iface: 'IMachine',
      context: '"LaunchVMProcess" at line 881 of file VBoxManageMisc.cpp',
    });
  // The lab has no display: a GUI start fails as it does on a headless server.
  if (type !== 'headless') startupFailure();
  if (!config.LAB_ID || !config.LAB_DIR) startupFailure('The lab VirtualBox has no lab.env');
  if (machine.nic1 === 'bridged') {
    const adapter = machine.bridgeadapter1 ?? '';
    if (!hostNics().some((nic) => nic.name === adapter)) {
      fail({
        lines: [`Nonexistent host networking interface, name '${adapter}' (VERR_INTERNAL_ERROR)`],
        code: 'E_FAIL',
        hresult: '0x80004005',
        component: 'ConsoleWrap',
        iface: 'IConsole',
        context: '"PowerUp(progress.asOutParam())" at line 881 of file VBoxManageMisc.cpp',
      });
    }
  }

  const index = labIndex(store, config.LAB_ID);
  const run = store.runFolder(machine.uuid);
  mkdirSync(run, { recursive: true });
  const port = tunnelPort(config, machine.name);
  const up = spawnSync(
    'bash',
    [
      VM_SCRIPT,
      'up',
      config.LAB_ID,
      run,
      String(index),
      machine.mac1,
      hostKeyFor(machine),
      port === undefined ? '-' : String(port),
    ],
    { encoding: 'utf8', env: { ...process.env, BM_LAB_DIR: config.LAB_DIR } },
  );
  if (up.status !== 0) startupFailure(up.stderr.trim().split('\n').at(-1));
  machine.labIndex = index;
  // A NAT guest sees VirtualBox's private network; a bridged one is on the lab's LAN.
  machine.guestIp = machine.nic1 === 'bridged' ? up.stdout.trim() : '10.0.2.15';
  machine.startedAt = new Date().toISOString();
  store.setState(machine, 'running');
  process.stdout.write(`VM "${machine.name}" has been successfully started.\n`);
}

function teardown(machine: FakeMachine, config: Record<string, string>): void {
  if (machine.labIndex === undefined || !config.LAB_ID) return;
  spawnSync('bash', [VM_SCRIPT, 'down', config.LAB_ID, String(machine.labIndex)], {
    stdio: 'ignore',
    env: { ...process.env, BM_LAB_DIR: config.LAB_DIR ?? '' },
  });
}

async function controlvm(store: FakeStore, args: string[]): Promise<void> {
  const machine = machineOrFail(store, args[0], 'VBoxManageControlVM.cpp');
  const action = args[1];
  if (!['acpipowerbutton', 'poweroff', 'savestate'].includes(action ?? '')) {
    syntaxError(`Invalid parameter '${action ?? ''}'`);
  }
  if (machine.state !== 'running') {
    process.stderr.write(`VBoxManage: error: Machine '${machine.name}' is not currently running\n`);
    throw new Exit(1);
  }
  const config = labConfig(store);
  if (action === 'acpipowerbutton') {
    // The guest shuts down on its own time: a detached helper tears the lab host down.
    const child = spawn(
      process.execPath,
      [...process.execArgv, process.argv[1]!, '__lab-acpi', machine.uuid],
      {
        detached: true,
        stdio: 'ignore',
        env: process.env,
      },
    );
    child.unref();
    return;
  }
  await printProgress(30);
  teardown(machine, config);
  store.setState(machine, action === 'poweroff' ? 'poweroff' : 'saved');
}

async function acpiShutdown(store: FakeStore, uuid: string | undefined): Promise<void> {
  const config = labConfig(store);
  await sleep(Number(config.ACPI_DELAY_MS ?? '800'));
  const machine = store.find(uuid ?? '');
  if (!machine || machine.state !== 'running') return;
  teardown(machine, config);
  store.setState(machine, 'poweroff');
}

async function unregistervm(store: FakeStore, args: string[]): Promise<void> {
  const machine = machineOrFail(store, args[0], 'VBoxManageMisc.cpp');
  if (machine.state === 'running' || machine.state === 'stopping') {
    fail({
      lines: [`Cannot unregister the machine '${machine.name}' while it is locked`],
      code: 'VBOX_E_INVALID_OBJECT_STATE',
      hresult: '0x80bb0007',
      component: 'MachineWrap',
      iface: 'IMachine',
      callee: true,
      context:
        '"Unregister(CleanupMode_DetachAllReturnHardDisksOnly, ...)" at line 186 of file ' +
        'VBoxManageMisc.cpp',
    });
  }
  if (args.includes('--delete')) {
    await printProgress(20);
    rmSync(machine.folder, { recursive: true, force: true });
  }
  store.remove(machine);
}

function guestproperty(store: FakeStore, args: string[]): void {
  if (args[0] !== 'get') syntaxError(`Invalid parameter '${args[0] ?? ''}'`);
  const machine = machineOrFail(store, args[1], 'VBoxManageGuestProp.cpp');
  const property = args[2];
  if (property !== IP_PROPERTY || machine.state !== 'running' || !machine.guestIp) {
    process.stdout.write('No value set!\n');
    return;
  }
  // The Guest Additions report the address once the guest has booted: here, once sshd runs.
  const booted = existsSync(join(store.runFolder(machine.uuid), 'sshd.pid'));
  process.stdout.write(booted ? `Value: ${machine.guestIp}\n` : 'No value set!\n');
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === '--version' || command === '-v' || command === '-version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const store = new FakeStore();
  // The remote-host test checks that every argument arrived as the one word it was sent as.
  if (labConfig(store).ARGV_LOG === '1') {
    appendFileSync(join(store.home, 'argv.log'), JSON.stringify(argv) + '\n');
  }
  switch (command) {
    case 'list':
      return list(
        store,
        args.find((arg) => !arg.startsWith('-')),
      );
    case 'showvminfo': {
      const machine = machineOrFail(store, args[0], 'VBoxManageInfo.cpp');
      if (!args.includes('--machinereadable')) syntaxError('Only --machinereadable is supported');
      process.stdout.write(machineReadable(machine));
      return;
    }
    case 'import':
      return importOva(store, args);
    case 'modifyvm':
      return modifyvm(store, args);
    case 'startvm':
      return startvm(store, args);
    case 'controlvm':
      return controlvm(store, args);
    case 'unregistervm':
      return unregistervm(store, args);
    case 'guestproperty':
      return guestproperty(store, args);
    case '__lab-acpi':
      return acpiShutdown(store, args[0]);
    default:
      syntaxError(`Unknown command '${basename(command ?? '')}'`);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof Exit) process.exit(error.code);
    process.stderr.write(`VBoxManage (lab): ${String(error)}\n`);
    process.exit(1);
  },
);
