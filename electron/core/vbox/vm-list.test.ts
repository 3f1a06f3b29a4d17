import { describe, expect, it } from 'vitest';

import { readCase } from './test-support.ts';
import { parseVmList } from './vm-list.ts';

describe('parseVmList', () => {
  it('reads the Windows runningvms transcript with a space and a dot in a name (case 05)', () => {
    expect(parseVmList(readCase('05'))).toEqual([
      { uuid: '143fc8d2-8e84-4778-a58e-ae4ad83c41cc', name: 'Alpine39', accessible: true },
      { uuid: '7e261a39-d356-4eb1-a8ed-75675b149241', name: 'Xubuntu 22.04', accessible: true },
    ]);
  });

  it('tolerates CRLF line ends', () => {
    const crlf = readCase('05').replace(/\n/g, '\r\n');
    expect(parseVmList(crlf).map((vm) => vm.name)).toEqual(['Alpine39', 'Xubuntu 22.04']);
  });

  it('takes the uuid from the last brace when names hold quotes, braces and shell syntax', () => {
    const text = [
      '"say "hi" {x}" {143fc8d2-8e84-4778-a58e-ae4ad83c41cc}',
      '"a;b && $(reboot) `id` | > *" {7E261A39-D356-4EB1-A8ED-75675B149241}',
      '"" {00000000-0000-0000-0000-000000000001}',
      '"<inaccessible>" {00000000-0000-0000-0000-000000000002}',
    ].join('\n');

    expect(parseVmList(text)).toEqual([
      { uuid: '143fc8d2-8e84-4778-a58e-ae4ad83c41cc', name: 'say "hi" {x}', accessible: true },
      {
        uuid: '7e261a39-d356-4eb1-a8ed-75675b149241',
        name: 'a;b && $(reboot) `id` | > *',
        accessible: true,
      },
      { uuid: '00000000-0000-0000-0000-000000000001', name: '', accessible: true },
      { uuid: '00000000-0000-0000-0000-000000000002', name: '<inaccessible>', accessible: false },
    ]);
  });

  it('skips garbage and truncated lines', () => {
    const text = [
      'VBoxManage: error: something',
      '"cut" {143fc8d2-8e84-4778',
      'no quotes {143fc8d2-8e84-4778-a58e-ae4ad83c41cc}',
      '"ok" {143fc8d2-8e84-4778-a58e-ae4ad83c41cc}',
      '',
    ].join('\n');

    expect(parseVmList(text).map((vm) => vm.name)).toEqual(['ok']);
    expect(parseVmList('')).toEqual([]);
  });
});
