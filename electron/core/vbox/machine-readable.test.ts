import { describe, expect, it } from 'vitest';

import { parseMachineReadable } from './machine-readable.ts';
import { readCase } from './test-support.ts';

describe('parseMachineReadable', () => {
  it('reads the VirtualBox 7.0 poweroff transcript without throwing on non key=value lines', () => {
    const { map, entries } = parseMachineReadable(readCase('02'));

    expect(map.name).toBe('xtec-1');
    expect(map['BIOS NVRAM File']).toBe('/home/user/.xtec/xtec-1/xtec-1.nvram');
    expect(map['IDE Controller-ImageUUID-0-0']).toBe('74a4d9fd-e083-4891-ab51-9c955308a933');
    expect(map.vrdeport).toBe('-1');
    expect(map.rec_screen_opts).toBe('vc_enabled=true,ac_enabled=true,ac_profile=med');
    expect(map['Forwarding(0)']).toBe('ssh,tcp,127.0.0.1,2201,,22');
    expect(Object.keys(map)).not.toContain('Encryption:     disabled');
    expect(entries.some(([key]) => key.includes('rec_screen0'))).toBe(false);
    expect(entries).toHaveLength(135);
  });

  it('unescapes quotes and backslashes in keys and values', () => {
    const text = [
      'description="say \\"hi\\" to C:\\\\temp"',
      '"weird \\"key\\"=x"="v=1,2"',
      'CfgFile="C:\\\\Users\\\\me\\\\VirtualBox VMs\\\\a b\\\\a b.vbox"',
    ].join('\r\n');
    const { map } = parseMachineReadable(text);

    expect(map.description).toBe('say "hi" to C:\\temp');
    expect(map['weird "key"=x']).toBe('v=1,2');
    expect(map.CfgFile).toBe('C:\\Users\\me\\VirtualBox VMs\\a b\\a b.vbox');
  });

  it('keeps a quoted value that spans lines', () => {
    const text = 'name="vm"\ndescription="first line\nLogin: root\nlast=line"\nmemory=2048\n';
    const { map } = parseMachineReadable(text);

    expect(map.description).toBe('first line\nLogin: root\nlast=line');
    expect(map.memory).toBe('2048');
    expect(map.Login).toBeUndefined();
  });

  it('does not swallow following keys when a quote is never closed', () => {
    const { map } = parseMachineReadable('name="cut\nmemory=1024\nostype="Ubuntu"\n');

    expect(map.name).toBe('cut');
    expect(map.memory).toBe('1024');
    expect(map.ostype).toBe('Ubuntu');
  });

  it('keeps text after the closing quote and unescaped inner quotes', () => {
    const text = 'BandwidthGroup0="slow",Network,1000\nbridgeadapter1="en0 "lan" port"\n';
    const { map } = parseMachineReadable(text);

    expect(map.BandwidthGroup0).toBe('slow,Network,1000');
    expect(map.bridgeadapter1).toBe('en0 "lan" port');
  });

  it('keeps every pair in order when keys repeat', () => {
    const { entries, map } = parseMachineReadable(
      'Forwarding(0)="a,tcp,,1,,2"\nForwarding(0)="b,udp,,3,,4"\n',
    );

    expect(entries.map(([, value]) => value)).toEqual(['a,tcp,,1,,2', 'b,udp,,3,,4']);
    expect(map['Forwarding(0)']).toBe('b,udp,,3,,4');
  });

  it('skips garbage, empty text and half lines', () => {
    expect(parseMachineReadable('').entries).toEqual([]);
    expect(
      parseMachineReadable('\u0000\u0001 binary ### \n=novalue\n"unclosed=\n').entries,
    ).toEqual([]);
    expect(parseMachineReadable('Password ID:    x=y\nCipher:  AES\n').entries).toEqual([]);
  });
});
