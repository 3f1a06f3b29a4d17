import { describe, expect, it } from 'vitest';

import { readCase } from './test-support.ts';
import { isAtLeast, parseVersionOutput } from './version.ts';

describe('parseVersionOutput', () => {
  it('reads the version and reports the vboxdrv warning before it (case 21)', () => {
    const report = parseVersionOutput(readCase('21'));

    expect(report.version).toEqual({
      version: '6.0.8',
      major: 6,
      minor: 0,
      patch: 8,
      revision: 130520,
    });
    expect(report.healthy).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'vboxdrv-not-loaded', fix: 'sudo /sbin/vboxconfig' }),
    ]);
  });

  it('reads a plain 7.0 version as healthy', () => {
    const report = parseVersionOutput('7.0.14r161095\n');
    expect(report).toEqual({
      version: { version: '7.0.14', major: 7, minor: 0, patch: 14, revision: 161095 },
      problems: [],
      healthy: true,
    });
  });

  it('reads distribution tags and CRLF', () => {
    expect(parseVersionOutput('6.1.38_Ubuntur153438\r\n').version).toMatchObject({
      version: '6.1.38',
      revision: 153438,
      tag: 'Ubuntu',
    });
    expect(parseVersionOutput('7.1.0_BETA1r164000').version?.tag).toBe('BETA1');
  });

  it('reports the missing /dev/vboxdrv warning too', () => {
    const text = 'WARNING: The character device /dev/vboxdrv does not exist.\n7.0.8r156879\n';
    expect(parseVersionOutput(text).healthy).toBe(false);
  });

  it('finds no version in garbage or truncated output', () => {
    expect(parseVersionOutput('').version).toBeUndefined();
    expect(parseVersionOutput('7.0.').version).toBeUndefined();
    expect(parseVersionOutput('bash: VBoxManage: command not found').version).toBeUndefined();
  });

  it('compares versions against a minimum', () => {
    const v7 = parseVersionOutput('7.0.14r161095').version;
    const v6 = parseVersionOutput(readCase('21')).version;
    expect(v7 && isAtLeast(v7, 7)).toBe(true);
    expect(v6 && isAtLeast(v6, 7)).toBe(false);
    expect(v7 && isAtLeast(v7, 7, 1)).toBe(false);
  });
});
