import { describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { readCase } from './test-support.ts';
import { parseVmInfo } from './vm-info.ts';
import { isTransitional, KNOWN_VM_STATES, parseVmState } from './vm-state.ts';

describe('parseVmInfo', () => {
  it('extracts the README values from transcript 02 (VirtualBox 7.0, poweroff)', () => {
    const info = parseVmInfo(readCase('02'));

    expect(info.name).toBe('xtec-1');
    expect(info.uuid).toBe('02fd76af-2bae-4c98-add1-4d802a2f77fa');
    expect(info.accessible).toBe(true);
    expect(info.state).toEqual({ kind: 'poweroff', raw: 'poweroff' });
    expect(info.stateChangedAt?.toISOString()).toBe('2022-12-17T09:55:20.000Z');
    expect(info.memoryMb).toBe(6144);
    expect(info.cpus).toBe(4);
    expect(info.osType).toBe('Ubuntu (64-bit)');

    expect(info.storage).toEqual([
      {
        controller: 'IDE Controller',
        port: 0,
        device: 0,
        medium: '/home/user/.xtec/xtec-1/xtec-disk001.vmdk',
        imageUuid: '74a4d9fd-e083-4891-ab51-9c955308a933',
      },
    ]);

    const rule = {
      nic: 1,
      name: 'ssh',
      protocol: 'tcp',
      hostIp: '127.0.0.1',
      hostPort: 2201,
      guestIp: '',
      guestPort: 22,
    };
    expect(info.natRules).toEqual([rule]);
    expect(info.nics).toEqual([
      {
        index: 1,
        type: 'nat',
        rawType: 'nat',
        mac: '08:00:27:1A:45:65',
        adapterType: '82540EM',
        cableConnected: true,
        natRules: [rule],
      },
      {
        index: 2,
        type: 'hostonly',
        rawType: 'hostonly',
        mac: '08:00:27:AE:1F:98',
        adapterType: '82540EM',
        cableConnected: true,
        hostOnlyAdapter: 'VirtualBox Host-Only Ethernet Adapter',
        natRules: [],
      },
    ]);
    expect(info.vrde).toEqual({ enabled: true, port: -1, ports: '5983', address: '0.0.0.0' });
    expect(info.raw['BIOS NVRAM File']).toBe('/home/user/.xtec/xtec-1/xtec-1.nvram');
  });

  it('reads a running VM with a bridged NIC and rules on two NAT NICs', () => {
    const text = [
      'name="build \\"main\\" $(rm -rf ~); echo"',
      'UUID="7e261a39-d356-4eb1-a8ed-75675b149241"',
      'VMState="running"',
      'VMStateChangeTime="2024-03-01T08:00:01.123456789"',
      'memory=8192',
      'cpus=6',
      'storagecontrollername0="SATA"',
      'storagecontrollername1="SATA-1"',
      '"SATA-0-0"="/vms/a.vdi"',
      '"SATA-1-0"="emptydrive"',
      '"SATA-1-0-0"="/vms/b.vdi"',
      '"SATA-1-ImageUUID-0-0"="11111111-2222-3333-4444-555555555555"',
      'bridgeadapter1="enp3s0"',
      'macaddress1="080027000001"',
      'nic1="bridged"',
      'natnet2="nat"',
      'macaddress2="080027000002"',
      'nic2="nat"',
      'Forwarding(0)="ssh,tcp,,2222,,22"',
      'natnet3="nat"',
      'nic3="nat"',
      'Forwarding(0)="my,odd,name,udp,0.0.0.0,5353,10.0.2.15,53"',
      'nic4="Generic"',
      'generic4="UDPTunnel"',
      'nic5="brandnewkind"',
      'nic6="none"',
    ].join('\n');
    const info = parseVmInfo(text);

    expect(info.name).toBe('build "main" $(rm -rf ~); echo');
    expect(info.state.kind).toBe('running');
    expect(info.stateChangedAt?.toISOString()).toBe('2024-03-01T08:00:01.123Z');
    expect(info.nics.map((nic) => [nic.index, nic.type])).toEqual([
      [1, 'bridged'],
      [2, 'nat'],
      [3, 'nat'],
      [4, 'generic'],
      [5, 'unknown'],
    ]);
    expect(info.nics[0]?.bridgeAdapter).toBe('enp3s0');
    expect(info.nics[3]?.genericDriver).toBe('UDPTunnel');
    expect(info.nics[4]?.rawType).toBe('brandnewkind');
    expect(info.nics[1]?.natRules.map((rule) => rule.hostPort)).toEqual([2222]);
    expect(info.nics[2]?.natRules).toEqual([
      {
        nic: 3,
        name: 'my,odd,name',
        protocol: 'udp',
        hostIp: '0.0.0.0',
        hostPort: 5353,
        guestIp: '10.0.2.15',
        guestPort: 53,
      },
    ]);
    expect(info.storage).toEqual([
      { controller: 'SATA', port: 0, device: 0, medium: '/vms/a.vdi' },
      { controller: 'SATA', port: 1, device: 0 },
      {
        controller: 'SATA-1',
        port: 0,
        device: 0,
        medium: '/vms/b.vdi',
        imageUuid: '11111111-2222-3333-4444-555555555555',
      },
    ]);
  });

  it('keeps an unknown VMState with its raw text', () => {
    const info = parseVmInfo(
      'name="a"\nUUID="143fc8d2-8e84-4778-a58e-ae4ad83c41cc"\nVMState="warping"\n',
    );

    expect(info.state).toEqual({ kind: 'unknown', raw: 'warping' });
    expect(info.stateChangedAt).toBeUndefined();
  });

  it('marks an inaccessible VM', () => {
    const info = parseVmInfo(
      'name="<inaccessible>"\nUUID="143fc8d2-8e84-4778-a58e-ae4ad83c41cc"\n',
    );

    expect(info.accessible).toBe(false);
    expect(info.state.kind).toBe('unknown');
  });

  it('parses what a truncated output still holds', () => {
    const full = readCase('02');
    const cut = full.slice(0, full.indexOf('hostonlyadapter2') + 33);
    const info = parseVmInfo(cut);

    expect(info.state.kind).toBe('poweroff');
    expect(info.nics.map((nic) => nic.index)).toEqual([1]);
    expect(info.natRules).toHaveLength(1);
    expect(info.raw.hostonlyadapter2).toBe('VirtualBox Host');
  });

  it('throws a UserError on garbage and on the empty stdout of a failed call', () => {
    for (const text of ['', 'Segmentation fault\n', '<html>502 Bad Gateway</html>']) {
      expect(() => parseVmInfo(text)).toThrow(UserError);
    }
    try {
      parseVmInfo('garbage');
    } catch (error) {
      expect((error as UserError).code).toBe('vbox-unexpected-output');
      expect((error as UserError).fix).toMatch(/showvminfo/);
    }
  });
});

describe('parseVmState', () => {
  it('knows every state VBoxManage prints and maps gurumeditation to stuck', () => {
    for (const state of KNOWN_VM_STATES) {
      if (state === 'stuck') continue;
      expect(parseVmState(state)).toEqual({ kind: state, raw: state });
    }
    expect(parseVmState('gurumeditation')).toEqual({ kind: 'stuck', raw: 'gurumeditation' });
    expect(parseVmState('')).toEqual({ kind: 'unknown', raw: '' });
  });

  it('calls only changing states transitional', () => {
    expect(isTransitional(parseVmState('starting'))).toBe(true);
    expect(isTransitional(parseVmState('deletingsnapshotlivepaused'))).toBe(true);
    expect(isTransitional(parseVmState('running'))).toBe(false);
    expect(isTransitional(parseVmState('poweroff'))).toBe(false);
    expect(isTransitional(parseVmState('nonsense'))).toBe(false);
  });
});
