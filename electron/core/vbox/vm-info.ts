import { UserError } from '../errors.ts';
import { parseMachineReadable } from './machine-readable.ts';
import { parseVmState, type VmState } from './vm-state.ts';

export type NicType =
  | 'nat'
  | 'bridged'
  | 'hostonly'
  | 'hostonlynetwork'
  | 'intnet'
  | 'natnetwork'
  | 'generic'
  | 'cloudnetwork'
  | 'null'
  | 'unknown';

export interface NatRule {
  /** The NIC the rule belongs to (1-based, as in `--natpf1`). */
  nic: number;
  name: string;
  protocol: 'tcp' | 'udp' | 'unknown';
  hostIp: string;
  hostPort: number;
  guestIp: string;
  guestPort: number;
}

export interface Nic {
  /** 1-based, as in `--nic1`. */
  index: number;
  type: NicType;
  /** The attachment as printed, for types this code does not know. */
  rawType: string;
  /** `08:00:27:1A:45:65`; VBoxManage prints the 12 hex digits without separators. */
  mac?: string;
  adapterType?: string;
  cableConnected?: boolean;
  bridgeAdapter?: string;
  hostOnlyAdapter?: string;
  hostOnlyNetwork?: string;
  internalNetwork?: string;
  natNetwork?: string;
  genericDriver?: string;
  natRules: NatRule[];
}

export interface StorageAttachment {
  controller: string;
  port: number;
  device: number;
  /** Path of the medium; undefined for an empty drive. */
  medium?: string;
  imageUuid?: string;
}

export interface Vrde {
  enabled: boolean;
  /** -1 when a port range is configured and none is in use yet. */
  port?: number;
  ports?: string;
  address?: string;
}

export interface VmInfo {
  uuid: string;
  name: string;
  /** False when VirtualBox cannot read the settings file (`name="<inaccessible>"`). */
  accessible: boolean;
  state: VmState;
  /** UTC; VBoxManage prints it without a zone (`2022-12-17T09:55:20.000000000`). */
  stateChangedAt?: Date;
  osType?: string;
  configFile?: string;
  memoryMb?: number;
  cpus?: number;
  nics: Nic[];
  natRules: NatRule[];
  storage: StorageAttachment[];
  vrde?: Vrde;
  raw: Record<string, string>;
}

const NIC_TYPES = new Set<string>([
  'nat',
  'bridged',
  'hostonly',
  'hostonlynetwork',
  'intnet',
  'natnetwork',
  'generic',
  'cloudnetwork',
  'null',
]);

/** Parses `showvminfo <vm> --machinereadable`. Throws when the text has no VM in it at all. */
export function parseVmInfo(text: string): VmInfo {
  const { entries, map } = parseMachineReadable(text);
  const uuid = map.UUID;
  const name = map.name;
  if (!uuid || name === undefined) {
    throw new UserError(
      'vbox-unexpected-output',
      'VBoxManage showvminfo printed no VM name or UUID; the output was cut short or is not ' +
        'machine-readable.',
      'Run `VBoxManage showvminfo <vm> --machinereadable` on the VirtualBox host to see what ' +
        'it prints, and check that VirtualBox 7.0 or newer is installed.',
    );
  }

  const stateChangedAt = parseStateTime(map.VMStateChangeTime);
  const natRules = readNatRules(entries);
  return {
    uuid,
    name,
    accessible: name !== '<inaccessible>',
    state: parseVmState(map.VMState ?? ''),
    ...(stateChangedAt ? { stateChangedAt } : {}),
    ...optional('osType', map.ostype),
    ...optional('configFile', map.CfgFile),
    ...optional('memoryMb', toInteger(map.memory)),
    ...optional('cpus', toInteger(map.cpus)),
    nics: readNics(map, natRules),
    natRules,
    storage: readStorage(map),
    ...optional('vrde', readVrde(map)),
    raw: map,
  };
}

function readNics(map: Record<string, string>, natRules: NatRule[]): Nic[] {
  const nics: Nic[] = [];
  const indexes = Object.keys(map)
    .map((key) => /^nic(\d+)$/.exec(key)?.[1])
    .filter((index): index is string => index !== undefined)
    .map(Number)
    .sort((a, b) => a - b);

  for (const index of indexes) {
    const rawType = map[`nic${index}`] ?? '';
    if (rawType === 'none') continue;
    const lower = rawType.toLowerCase();
    const cable = map[`cableconnected${index}`];
    nics.push({
      index,
      type: NIC_TYPES.has(lower) ? (lower as NicType) : 'unknown',
      rawType,
      ...optional('mac', formatMac(map[`macaddress${index}`])),
      ...optional('adapterType', map[`nictype${index}`]),
      ...(cable === undefined ? {} : { cableConnected: cable === 'on' }),
      ...optional('bridgeAdapter', map[`bridgeadapter${index}`]),
      ...optional('hostOnlyAdapter', map[`hostonlyadapter${index}`]),
      ...optional('hostOnlyNetwork', map[`hostonly-network${index}`]),
      ...optional('internalNetwork', map[`intnet${index}`]),
      ...optional('natNetwork', map[`nat-network${index}`]),
      ...optional('genericDriver', map[`generic${index}`]),
      natRules: natRules.filter((rule) => rule.nic === index),
    });
  }
  return nics;
}

// Rules follow the `nicN=` line of their adapter and restart at Forwarding(0) for each NAT NIC.
function readNatRules(entries: ReadonlyArray<[string, string]>): NatRule[] {
  const rules: NatRule[] = [];
  let currentNic = 1;
  for (const [key, value] of entries) {
    const nic = /^(?:nic|natnet)(\d+)$/.exec(key);
    if (nic) {
      currentNic = Number(nic[1]);
      continue;
    }
    if (!/^Forwarding\(\d+\)$/.test(key)) continue;
    const rule = parseNatRule(currentNic, value);
    if (rule) rules.push(rule);
  }
  return rules;
}

function parseNatRule(nic: number, value: string): NatRule | undefined {
  const fields = value.split(',');
  if (fields.length < 6) return undefined;
  // The last five fields never contain commas; a rule name could.
  const [protocol, hostIp, hostPort, guestIp, guestPort] = fields.slice(-5) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const hostPortNumber = toInteger(hostPort);
  const guestPortNumber = toInteger(guestPort);
  if (hostPortNumber === undefined || guestPortNumber === undefined) return undefined;
  return {
    nic,
    name: fields.slice(0, -5).join(','),
    protocol: protocol === 'tcp' || protocol === 'udp' ? protocol : 'unknown',
    hostIp,
    hostPort: hostPortNumber,
    guestIp,
    guestPort: guestPortNumber,
  };
}

function readStorage(map: Record<string, string>): StorageAttachment[] {
  const controllers = Object.entries(map)
    .filter(([key]) => /^storagecontrollername\d+$/.test(key))
    .map(([, name]) => name)
    // Longest first, so "SATA-2" is not mistaken for a port of "SATA".
    .sort((a, b) => b.length - a.length);

  const attachments: StorageAttachment[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (value === 'none') continue;
    const found = controllers
      .filter((name) => key.startsWith(`${name}-`))
      .map((name) => ({ name, slot: /^(\d+)-(\d+)$/.exec(key.slice(name.length + 1)) }))
      .find((candidate) => candidate.slot);
    if (!found?.slot) continue;
    const controller = found.name;
    const [port, device] = [Number(found.slot[1]), Number(found.slot[2])];
    const imageUuid = map[`${controller}-ImageUUID-${port}-${device}`];
    attachments.push({
      controller,
      port,
      device,
      ...(value === 'emptydrive' ? {} : { medium: value }),
      ...optional('imageUuid', imageUuid),
    });
  }
  return attachments;
}

function readVrde(map: Record<string, string>): Vrde | undefined {
  if (map.vrde === undefined) return undefined;
  return {
    enabled: map.vrde === 'on',
    ...optional('port', toInteger(map.vrdeport)),
    ...optional('ports', map.vrdeports),
    ...optional('address', map.vrdeaddress),
  };
}

function parseStateTime(text: string | undefined): Date | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?/.exec(text ?? '');
  if (!match?.[1]) return undefined;
  const millis = (match[2] ?? '.0').slice(1, 4).padEnd(3, '0');
  const date = new Date(`${match[1]}.${millis}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function formatMac(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const hex = text.replace(/[^0-9a-f]/gi, '');
  if (hex.length !== 12) return text;
  return hex.toUpperCase().match(/../g)?.join(':');
}

function toInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*-?\d+\s*$/.test(text)) return undefined;
  return Number(text);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
