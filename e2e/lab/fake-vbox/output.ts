/**
 * What the lab VirtualBox prints, in VBoxManage 7's formats: the import listing, showvminfo's
 * machine-readable lines, `list` records and the three-line error blocks.
 */
import type { FakeMachine } from './fake-store.ts';
import type { OvfItem, OvfSystem } from './ova.ts';

export const VERSION = '7.0.20r163906';

export interface ComError {
  lines: string[];
  code: string;
  hresult: string;
  component: string;
  iface: string;
  callee?: boolean;
  context: string;
}

/** The error block VBoxManage prints on stderr: message lines, Details, Context. */
export function errorText(error: ComError): string {
  const callee = error.callee ? ', callee nsISupports' : '';
  return (
    [
      ...error.lines.map((line) => `VBoxManage: error: ${line}`),
      `VBoxManage: error: Details: code ${error.code} (${error.hresult}), component ` +
        `${error.component}, interface ${error.iface}${callee}`,
      `VBoxManage: error: Context: ${error.context}`,
    ].join('\n') + '\n'
  );
}

export function notFound(name: string, file: string, line: number): ComError {
  return {
    lines: [`Could not find a registered machine named '${name}'`],
    code: 'VBOX_E_OBJECT_NOT_FOUND',
    hresult: '0x80bb0001',
    component: 'VirtualBoxWrap',
    iface: 'IVirtualBox',
    callee: true,
    context:
      '"FindMachine(Bstr(VMNameOrUuid).raw(), machine.asOutParam())" ' +
      `at line ${line} of file ${file}`,
  };
}

export function lockedError(name: string, context: string): ComError {
  return {
    lines: [`The machine '${name}' is already locked for a session (or being unlocked)`],
    code: 'VBOX_E_INVALID_OBJECT_STATE',
    hresult: '0x80bb0007',
    component: 'MachineWrap',
    iface: 'IMachine',
    callee: true,
    context,
  };
}

export function progressRun(): string[] {
  return ['0%', '10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '100%'];
}

/** `  vmdisk1\t20\t...`: the Disks lines, tab-separated as VBoxManage prints them. */
export function disksText(system: OvfSystem): string {
  const lines = system.disks.map(
    (disk) =>
      '  ' +
      [
        disk.diskId,
        disk.capacity,
        disk.populatedSize,
        disk.format,
        disk.href,
        disk.size,
        '-1',
      ].join('\t'),
  );
  return `Disks:\n${lines.join('\n')}\n`;
}

export interface PlanChoices {
  vmName?: string;
  baseFolder: string;
}

const NIC_CONFIG: Record<string, number> = { pcnet32: 1, pcnetfast: 2, e1000: 3, virtio: 6 };

function networkExtra(connection: string | undefined): string {
  const text = (connection ?? '').toLowerCase();
  if (text.includes('bridged') || text === 'vm network') return 'Bridged';
  if (text.includes('hostonly') || text.includes('host-only')) return 'HostOnly';
  if (text.includes('internal')) return 'Internal';
  return 'NAT';
}

/** The kind of NIC 1 an imported VM gets, from the first ethernet item. */
export function firstNicKind(system: OvfSystem): 'nat' | 'bridged' {
  const nic = system.items.find((item) => item.resourceType === 10);
  return networkExtra(nic?.connection) === 'Bridged' ? 'bridged' : 'nat';
}

/** The "Virtual system 0:" listing, numbered as VirtualBox numbers its description entries. */
export function planText(system: OvfSystem, choices: PlanChoices): string {
  const entries: string[] = [];
  const unitOf = new Map<string, number>();
  const add = (text: string, hint?: string) => {
    const unit = entries.length;
    const hintText = hint ? `\n    (${hint.replaceAll('{unit}', String(unit))})` : '';
    entries.push(`${String(unit).padStart(2)}: ${text}${hintText}`);
    return unit;
  };
  const name = choices.vmName ?? system.name;
  const byType = (type: number) => system.items.filter((item) => item.resourceType === type);

  add(
    `Suggested OS type: "${system.osType}"`,
    'change with "--vsys 0 --ostype <type>"; use "list ostypes" to list all possible values',
  );
  if (choices.vmName !== undefined) add(`VM name specified with --vmname: "${name}"`);
  else add(`Suggested VM name "${name}"`, 'change with "--vsys 0 --vmname <name>"');
  add('Suggested VM group "/"', 'change with "--vsys 0 --group <group>"');
  add(
    `Suggested VM settings file name "${choices.baseFolder}/${name}/${name}.vbox"`,
    'change with "--vsys 0 --settingsfile <filename>"',
  );
  add(
    `Suggested VM base folder "${choices.baseFolder}"`,
    'change with "--vsys 0 --basefolder <path>"',
  );
  if (system.description !== undefined) {
    add(`Description "${system.description}"`, 'change with "--vsys 0 --description <desc>"');
  }
  add(`Number of CPUs: ${quantity(byType(3), 1)}`, 'change with "--vsys 0 --cpus <n>"');
  add(`Guest memory: ${quantity(byType(4), 512)} MB`, 'change with "--vsys 0 --memory <MB>"');
  for (const nic of byType(10)) {
    const config = NIC_CONFIG[(nic.subType ?? 'e1000').toLowerCase()] ?? 3;
    add(
      `Network adapter: orig ${nic.connection ?? 'NAT'}, config ${config}, ` +
        `extra type=${networkExtra(nic.connection)}`,
    );
  }
  const disable = 'disable with "--vsys 0 --unit {unit} --ignore"';
  byType(14).forEach(() => add('Floppy', disable));
  byType(15).forEach(() => add('CD-ROM', disable));
  for (const controller of system.items.filter((item) => [5, 6, 20].includes(item.resourceType))) {
    unitOf.set(controller.instanceId, add(...controllerEntry(controller)));
  }
  for (const item of byType(17)) {
    const diskId = /\/disk\/(.*)$/.exec(item.hostResource ?? '')?.[1];
    const disk = system.disks.find((candidate) => candidate.diskId === diskId);
    if (!disk) continue;
    const controller = unitOf.get(item.parent ?? '') ?? 0;
    add(
      `Hard disk image: source image=${disk.href}, target path=${disk.href}, ` +
        `controller=${controller};port=${item.address ?? '0'}`,
      'change target path with "--vsys 0 --unit {unit} --disk path";\n' +
        '    change controller with "--vsys 0 --unit {unit} --controller <index>";\n' +
        '    change controller port with "--vsys 0 --unit {unit} --port <n>";\n' +
        '    disable with "--vsys 0 --unit {unit} --ignore"',
    );
  }
  return `Virtual system 0:\n${entries.join('\n')}\n`;
}

function controllerEntry(item: OvfItem): [string, string] {
  const disable = 'disable with "--vsys 0 --unit {unit} --ignore"';
  if (item.resourceType === 5) return [`IDE controller, type ${item.subType ?? 'PIIX4'}`, disable];
  if (item.resourceType === 20) return [`SATA controller, type ${item.subType ?? 'AHCI'}`, disable];
  const type = item.subType?.toLowerCase() === 'buslogic' ? 'BusLogic' : 'LsiLogic';
  return [
    `SCSI controller, type ${type}`,
    'change with "--vsys 0 --unit {unit} --scsitype {BusLogic|LsiLogic}";\n' + `    ${disable}`,
  ];
}

function quantity(items: OvfItem[], fallback: number): number {
  return items[0]?.quantity ?? fallback;
}

// Machine-readable values escape backslashes and quotes, as VBoxManage 7 does.
function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `showvminfo --machinereadable`: the keys the panel reads, in VBoxManage's order. */
export function machineReadable(machine: FakeMachine): string {
  const lines: string[] = [
    `name=${quoted(machine.name)}`,
    'Encryption:     disabled',
    'groups="/"',
    `ostype=${quoted(machine.ostype)}`,
    `UUID="${machine.uuid}"`,
    `CfgFile=${quoted(machine.cfgFile)}`,
    `SnapFldr=${quoted(`${machine.folder}/Snapshots`)}`,
    `LogFldr=${quoted(`${machine.folder}/Logs`)}`,
    `hardwareuuid="${machine.uuid}"`,
    `memory=${machine.memory}`,
    'pagefusion="off"',
    'vram=16',
    `cpus=${machine.cpus}`,
    'firmware="BIOS"',
    'acpi="on"',
    'ioapic="on"',
    `VMState="${machine.state}"`,
    `VMStateChangeTime="${machine.stateChangedAt.replace(/\.(\d{3})Z$/, '.$1000000')}"`,
    'storagecontrollername0="SATA"',
    'storagecontrollertype0="IntelAhci"',
    'storagecontrollerinstance0="0"',
    'storagecontrollermaxportcount0="30"',
    'storagecontrollerportcount0="1"',
    'storagecontrollerbootable0="on"',
  ];
  machine.disks.forEach((disk, port) => lines.push(`"SATA-${port}-0"=${quoted(disk)}`));
  if (machine.nic1 === 'nat') lines.push('natnet1="nat"');
  lines.push(`macaddress1="${machine.mac1}"`, 'cableconnected1="on"', `nic1="${machine.nic1}"`);
  if (machine.nic1 === 'bridged') {
    // Bridge adapter names are printed without escaping.
    lines.push(`bridgeadapter1="${machine.bridgeadapter1 ?? ''}"`);
  }
  lines.push('nictype1="82540EM"', 'nicspeed1="0"');
  for (let index = 2; index <= 8; index++) lines.push(`nic${index}="none"`);
  lines.push('vrde="off"', 'usb="off"', 'GuestMemoryBalloon=0');
  return lines.join('\n') + '\n';
}

export interface HostNic {
  name: string;
  mac: string;
  up: boolean;
  ipv4?: string;
  mask?: string;
}

/** `list bridgedifs`: one record per host interface, a blank line after each. */
export function bridgedIfsText(nics: HostNic[]): string {
  return nics
    .map((nic) => {
      const prefix = Buffer.from(nic.name.padEnd(4, '0').slice(0, 4)).toString('hex');
      const guid = `${prefix}-0000-4000-8000-${nic.mac.replace(/:/g, '')}`;
      return [
        `Name:            ${nic.name}`,
        `GUID:            ${guid}`,
        'DHCP:            Disabled',
        `IPAddress:       ${nic.ipv4 ?? '0.0.0.0'}`,
        `NetworkMask:     ${nic.mask ?? '0.0.0.0'}`,
        'IPV6Address:     ',
        'IPV6NetworkMaskPrefixLength: 0',
        `HardwareAddress: ${nic.mac}`,
        'MediumType:      Ethernet',
        'Wireless:        No',
        `Status:          ${nic.up ? 'Up' : 'Down'}`,
        `VBoxNetworkName: HostInterfaceNetworking-${nic.name}`,
        '',
      ].join('\n');
    })
    .map((record) => `${record}\n`)
    .join('');
}

export function prefixToMask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join('.');
}
