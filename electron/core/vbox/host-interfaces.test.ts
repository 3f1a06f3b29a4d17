import { describe, expect, it } from 'vitest';

import { chooseBridgeAdapter } from './bridge-adapter.ts';
import { parseHostInterfaces } from './host-interfaces.ts';
import { readCase } from './test-support.ts';

const BRIDGED = `Name:            enp3s0
GUID:            00000000-0000-0000-0000-000000000001
DHCP:            Disabled
IPAddress:       192.0.2.10
NetworkMask:     255.255.255.0
IPV6Address:     fe80::1
IPV6NetworkMaskPrefixLength: 64
HardwareAddress: 00:00:5e:00:53:01
MediumType:      Ethernet
Wireless:        No
Status:          Up
VBoxNetworkName: HostInterfaceNetworking-enp3s0

Name:            docker0
GUID:            00000000-0000-0000-0000-000000000002
DHCP:            Disabled
IPAddress:       172.17.0.1
NetworkMask:     255.255.0.0
IPV6Address:
IPV6NetworkMaskPrefixLength: 0
HardwareAddress: 02:42:00:00:00:01
MediumType:      Ethernet
Wireless:        No
Status:          Down
VBoxNetworkName: HostInterfaceNetworking-docker0

Name:            wlp2s0
IPAddress:       192.0.2.20
Wireless:        Yes
Status:          Up
`;

describe('parseHostInterfaces', () => {
  it('reads the hostonlyifs transcript with an empty IPv6 address (case 07)', () => {
    const [vboxnet0, ...rest] = parseHostInterfaces(readCase('07'));

    expect(rest).toEqual([]);
    expect(vboxnet0).toMatchObject({
      name: 'vboxnet0',
      guid: '786f6276-656e-4074-8000-0a0027000000',
      dhcp: false,
      ipAddress: '192.168.56.1',
      networkMask: '255.255.255.0',
      ipv6PrefixLength: 0,
      hardwareAddress: '0a:00:27:00:00:00',
      mediumType: 'Ethernet',
      wireless: false,
      status: 'down',
      vboxNetworkName: 'HostInterfaceNetworking-vboxnet0',
    });
    expect(vboxnet0?.ipv6Address).toBeUndefined();
    expect(vboxnet0?.fields.IPV6Address).toBe('');
  });

  it('splits bridgedifs records on blank lines and keeps colons in names', () => {
    const mac = 'Name:            en0: Wi-Fi (AirPort)\r\nStatus:          Up\r\n';
    const interfaces = parseHostInterfaces(`${BRIDGED}\n${mac}`);

    expect(interfaces.map((item) => [item.name, item.status])).toEqual([
      ['enp3s0', 'up'],
      ['docker0', 'down'],
      ['wlp2s0', 'up'],
      ['en0: Wi-Fi (AirPort)', 'up'],
    ]);
    expect(interfaces[0]?.ipv6Address).toBe('fe80::1');
    expect(interfaces[2]?.wireless).toBe(true);
  });

  it('starts a new record at a second Name even without a blank line', () => {
    const text = 'Name: a\nStatus: Up\nName: b\nStatus: Sideways\n';
    expect(parseHostInterfaces(text).map((item) => [item.name, item.status])).toEqual([
      ['a', 'up'],
      ['b', 'unknown'],
    ]);
  });

  it('returns nothing for garbage or a record without a name', () => {
    expect(parseHostInterfaces('')).toEqual([]);
    expect(parseHostInterfaces('GUID: x\nStatus: Up\n')).toEqual([]);
    expect(parseHostInterfaces('%%%\n\n;;;')).toEqual([]);
  });
});

describe('chooseBridgeAdapter', () => {
  const interfaces = parseHostInterfaces(
    `${BRIDGED}\nName:            en0: Wi-Fi (AirPort)\nStatus:          Up\n`,
  );

  it('offers only interfaces that are up', () => {
    const choice = chooseBridgeAdapter(interfaces);
    expect(choice.candidates.map((item) => item.name)).toEqual([
      'enp3s0',
      'wlp2s0',
      'en0: Wi-Fi (AirPort)',
    ]);
    expect(choice.preselected).toBeUndefined();
  });

  it('preselects the default-route interface by name, or by the part before a colon', () => {
    expect(chooseBridgeAdapter(interfaces, 'wlp2s0').preselected?.name).toBe('wlp2s0');
    expect(chooseBridgeAdapter(interfaces, 'en0').preselected?.name).toBe('en0: Wi-Fi (AirPort)');
    expect(chooseBridgeAdapter(interfaces, 'ENP3S0').preselected?.name).toBe('enp3s0');
  });

  it('never preselects an interface that is down or absent', () => {
    expect(chooseBridgeAdapter(interfaces, 'docker0').preselected).toBeUndefined();
    expect(chooseBridgeAdapter(interfaces, 'eth9').preselected).toBeUndefined();
  });
});
