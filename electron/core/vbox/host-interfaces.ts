/**
 * `VBoxManage list bridgedifs` and `list hostonlyifs`: records of `Key: value` lines separated
 * by blank lines. Values may be empty (`IPV6Address:`) or contain colons (macOS bridge names
 * such as `en0: Wi-Fi`), so only the first colon separates.
 */
export interface HostInterface {
  name: string;
  guid?: string;
  dhcp?: boolean;
  ipAddress?: string;
  networkMask?: string;
  ipv6Address?: string;
  ipv6PrefixLength?: number;
  hardwareAddress?: string;
  mediumType?: string;
  wireless?: boolean;
  status: 'up' | 'down' | 'unknown';
  vboxNetworkName?: string;
  /** Every field as printed, for keys this code does not know. */
  fields: Record<string, string>;
}

export function parseHostInterfaces(text: string): HostInterface[] {
  const records: Array<Record<string, string>> = [];
  let current: Record<string, string> | undefined;

  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line.trim() === '') {
      current = undefined;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    // Some versions omit the blank line; a second Name starts the next record anyway.
    if (!current || (key === 'Name' && 'Name' in current)) {
      current = {};
      records.push(current);
    }
    current[key] = value;
  }

  return records.filter((fields) => fields.Name).map(toInterface);
}

function toInterface(fields: Record<string, string>): HostInterface {
  const prefix = Number(fields.IPV6NetworkMaskPrefixLength);
  const status = (fields.Status ?? '').toLowerCase();
  return {
    name: fields.Name ?? '',
    ...nonEmpty('guid', fields.GUID),
    ...(fields.DHCP ? { dhcp: fields.DHCP.toLowerCase() === 'enabled' } : {}),
    ...nonEmpty('ipAddress', fields.IPAddress),
    ...nonEmpty('networkMask', fields.NetworkMask),
    ...nonEmpty('ipv6Address', fields.IPV6Address),
    ...(fields.IPV6NetworkMaskPrefixLength && Number.isFinite(prefix)
      ? { ipv6PrefixLength: prefix }
      : {}),
    ...nonEmpty('hardwareAddress', fields.HardwareAddress),
    ...nonEmpty('mediumType', fields.MediumType),
    ...(fields.Wireless ? { wireless: fields.Wireless.toLowerCase() === 'yes' } : {}),
    status: status === 'up' || status === 'down' ? status : 'unknown',
    ...nonEmpty('vboxNetworkName', fields.VBoxNetworkName),
    fields,
  };
}

function nonEmpty<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value ? { [key]: value } : {}) as { [P in K]?: string };
}
