/** The workstation's addresses a VM on the LAN could dial: the relay host candidates. */
import { networkInterfaces } from 'node:os';

export interface LanAddress {
  address: string;
  interface: string;
}

export function lanAddresses(
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): LanAddress[] {
  const found: LanAddress[] = [];
  for (const [name, entries] of Object.entries(interfaces)) {
    for (const entry of entries ?? []) {
      // Loopback cannot be reached from a VM; link-local addresses change at every boot.
      if (entry.internal || entry.family !== 'IPv4' || entry.address.startsWith('169.254.')) {
        continue;
      }
      found.push({ address: entry.address, interface: name });
    }
  }
  // Private LAN ranges first: a bridged VM sits on the LAN, not on a VPN or container bridge.
  const rank = (address: string) =>
    /^(192\.168\.|10\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address) ? 0 : 1;
  return found.sort((a, b) => rank(a.address) - rank(b.address));
}
