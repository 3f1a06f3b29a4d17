import { describe, expect, it } from 'vitest';

import { readCase } from '../testing/shared-cases.ts';
import { diagnosePackerOutput } from './packer-diagnostics.ts';
import { parsePackerOutput } from './packer-output.ts';
import { summarizePackerEvents } from './packer-summary.ts';

describe('Packer diagnostics', () => {
  it('reads case 27: five missing plugins, remedy packer init .', () => {
    const text = readCase('27-packer-missing-plugins-packer-init-needed.txt');
    const [diagnosis] = diagnosePackerOutput(text);
    expect(diagnosis).toEqual({
      kind: 'missing-plugins',
      remedy: 'packer init .',
      plugins: ['virtualbox', 'vmware', 'vagrant', 'hyperv', 'qemu'].map((name) => ({
        source: `github.com/hashicorp/${name}`,
        name,
        constraint: '~> 1',
      })),
    });

    const summary = summarizePackerEvents(parsePackerOutput(text, 'stderr'));
    expect(summary.lines[0]).toMatchObject({ level: 'error', text: 'Error: Missing plugins' });
  });

  it('names the template directory in the remedy', () => {
    const text = readCase('27-packer-missing-plugins-packer-init-needed.txt');
    expect(diagnosePackerOutput(text, 'packer/haskell')[0]).toMatchObject({
      remedy: 'packer init packer/haskell',
    });
  });

  it('reads case 28: the five plugins packer init installed, with versions and paths', () => {
    const text = readCase('28-packer-init-installed-plugins.txt');
    const [diagnosis] = diagnosePackerOutput(text);
    expect(diagnosis?.kind).toBe('plugins-installed');
    if (diagnosis?.kind !== 'plugins-installed') return;
    expect(diagnosis.plugins.map((plugin) => [plugin.name, plugin.version])).toEqual([
      ['virtualbox', '1.1.2'],
      ['vmware', '1.1.0'],
      ['vagrant', '1.1.5'],
      ['hyperv', '1.1.4'],
      ['qemu', '1.1.3'],
    ]);
    expect(diagnosis.plugins[0]?.path).toBe(
      '/home/user/.config/packer/plugins/github.com/hashicorp/virtualbox/' +
        'packer-plugin-virtualbox_v1.1.2_x5.0_linux_amd64',
    );
  });

  it('finds nothing in an up-to-date packer init (no output at all)', () => {
    expect(diagnosePackerOutput('')).toEqual([]);
  });

  it('reads case 30: start VM failed, session locked, retries exhausted', () => {
    const text = readCase('30-packer-virtualbox-iso-startvm-session-locked.txt');
    expect(diagnosePackerOutput(text)).toEqual([
      expect.objectContaining({
        kind: 'vbox-session-locked',
        vmName: 'packer-virtualbox-iso-1663686568',
        code: 'VBOX_E_INVALID_OBJECT_STATE',
        hresult: '0x80bb0007',
        retriesExhausted: true,
      }),
    ]);

    const summary = summarizePackerEvents(parsePackerOutput(text));
    expect(summary.failed).toBe(true);
    expect(summary.failedStep).toBe('starting VM');
    expect(summary.errors[0]).toMatch(/^Error starting VM: retry count exhausted/);
    expect(summary.lines.every((line) => line.level === 'error')).toBe(true);
    expect(summary.lines.every((line) => line.build === 'virtualbox-iso')).toBe(true);
  });

  it('reads the session-locked error inside machine-readable output too', () => {
    const text = readCase('30-packer-virtualbox-iso-startvm-session-locked.txt')
      .trimEnd()
      .split('\n')
      .map((line) => `1663686600,,ui,error,${line.replace(/,/g, '%!(PACKER_COMMA)')}`)
      .join('\n');
    const events = parsePackerOutput(text);
    const joined = summarizePackerEvents(events)
      .lines.map((line) => line.text)
      .join('\n');
    expect(diagnosePackerOutput(joined)[0]).toMatchObject({
      kind: 'vbox-session-locked',
      vmName: 'packer-virtualbox-iso-1663686568',
    });
  });
});
