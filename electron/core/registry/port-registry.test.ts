import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { loadPortRegistry, parsePortRegistry, PORT_RANGE } from './port-registry.ts';

const FILE = '/home/dev/port-registry.yml';

/** Parses text that must be refused and returns the UserError. */
function refusal(text: string): UserError {
  try {
    parsePortRegistry(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('the registry was accepted');
}

function expectRefusedOnLine(text: string, line: number, problem: RegExp): UserError {
  const error = refusal(text);
  expect(error.code).toBe('registry-invalid');
  expect(error.message.startsWith(`${FILE}:${line}: `)).toBe(true);
  expect(error.message).toMatch(problem);
  expect(error.fix).toMatch(/\w+/);
  return error;
}

describe('parsePortRegistry', () => {
  it('reads every machine with defaults for user and host, ignoring comments', () => {
    const text = [
      '# Port registry',
      'machines:',
      '  # the main build VM',
      '  - name: haskell-build',
      '    port: 12222 # tunnel',
      '    user: builder',
      '  - name: ghc-9-10',
      '    port: 12230',
      '    host: 127.0.0.1',
      '  - port: 12221',
      '    name: small',
      '    user: ci_user',
      '',
    ].join('\n');

    expect(parsePortRegistry(text, FILE)).toEqual([
      { name: 'haskell-build', port: 12222, user: 'builder', host: 'localhost', line: 4 },
      { name: 'ghc-9-10', port: 12230, user: 'builder', host: '127.0.0.1', line: 7 },
      { name: 'small', port: 12221, user: 'ci_user', host: 'localhost', line: 10 },
    ]);
  });

  it('accepts both ends of the port range', () => {
    expect(PORT_RANGE).toEqual({ first: 12221, last: 12230 });
    const text = 'machines:\n  - name: a\n    port: 12221\n  - name: b\n    port: 12230\n';
    expect(parsePortRegistry(text).map((entry) => entry.port)).toEqual([12221, 12230]);
  });

  it.each([
    ['an empty file', ''],
    ['a file of comments', '# nothing yet\n\n# still nothing\n'],
    ['an empty machines key', 'machines:\n'],
    ['an empty machines key followed by comments', '# VMs\nmachines:\n# none\n'],
    ['an empty flow list', 'machines: []\n'],
  ])('reads %s as no machines', (_label, text) => {
    expect(parsePortRegistry(text, FILE)).toEqual([]);
  });

  describe('refuses a broken file with its line and a fix', () => {
    it('bad indentation', () => {
      const text = 'machines:\n  - name: a\n    port: 12222\n   user: b\n';
      expectRefusedOnLine(text, 4, /not valid YAML/);
    });

    it('a tab used as indentation', () => {
      const text = 'machines:\n  - name: a\n\tport: 12222\n';
      expectRefusedOnLine(text, 3, /not valid YAML: Tabs are not allowed/);
    });

    it('an unclosed quote on the last line', () => {
      const text = 'machines:\n  - name: a\n    port: 12222\n    user: "abc\n';
      expectRefusedOnLine(text, 4, /not valid YAML: Missing closing "quote/);
    });

    it('a duplicate YAML key', () => {
      const text = 'machines:\n  - name: a\n    port: 12222\n    name: b\n';
      expectRefusedOnLine(text, 4, /not valid YAML: Map keys must be unique/);
    });

    it('a syntax error after leading comments', () => {
      const text = '# one\n# two\nmachines:\n  - name: "a\n    port: 12222\n  - name: b\n';
      // The open quote swallows the rest of the file; YAML notices at its end.
      expectRefusedOnLine(text, 6, /not valid YAML/);
    });

    it('a top level that is a list', () => {
      const text = '# comment\n- name: a\n  port: 12222\n';
      expectRefusedOnLine(text, 2, /expected a mapping with a `machines:` list/);
    });

    it('a top level that is a scalar', () => {
      expectRefusedOnLine('just some words\n', 1, /expected a mapping/);
    });

    it('a misspelt machines key', () => {
      const text = '# VMs\nmachine:\n  - name: a\n    port: 12222\n';
      expectRefusedOnLine(text, 2, /unknown top-level key `machine`/);
    });

    it('machines given as a scalar', () => {
      expectRefusedOnLine('# VMs\n\nmachines: 3\n', 3, /`machines` must be a list/);
    });

    it('machines given as a mapping', () => {
      const text = 'machines:\n  name: a\n  port: 12222\n';
      expectRefusedOnLine(text, 2, /`machines` must be a list/);
    });

    it('an item that is a scalar', () => {
      const text = 'machines:\n  - name: a\n    port: 12222\n  - haskell-build\n';
      expectRefusedOnLine(text, 4, /a machine must be a mapping/);
    });

    it('an empty item', () => {
      const text = 'machines:\n  - name: a\n    port: 12222\n  -\n';
      expectRefusedOnLine(text, 4, /a machine must be a mapping/);
    });

    it('an unknown key', () => {
      const text = 'machines:\n  - name: a\n    port: 12222\n    memory: 8192\n';
      expectRefusedOnLine(text, 4, /unknown key `memory`/);
    });

    it('a missing name, reported on the line of the item', () => {
      const text = 'machines:\n  - name: a\n    port: 12222\n  - port: 12223\n    user: b\n';
      expectRefusedOnLine(text, 4, /machine name null is missing or invalid/);
    });

    it.each([
      ['upper case', 'Haskell-Build'],
      ['an underscore', 'haskell_build'],
      ['a leading dash', '-build'],
      ['a shell metacharacter', "'a;rm'"],
      ['a number', '123'],
    ])('a name with %s', (_label, name) => {
      const text = `machines:\n  - port: 12222\n    name: ${name}\n`;
      expectRefusedOnLine(text, 3, /machine name .* is missing or invalid/);
    });

    it('a port given as a string', () => {
      const text = 'machines:\n  - name: a\n    port: "12222"\n';
      const error = expectRefusedOnLine(text, 3, /port "12222" is not a whole number/);
      expect(error.fix).toContain('12221 to 12230');
    });

    it('a missing port, reported on the line of the item', () => {
      const text = '\nmachines:\n  - name: a\n    user: b\n';
      expectRefusedOnLine(text, 3, /machine a: port null is not a whole number/);
    });

    it.each([12220, 12231, 22, 0])('port %i, outside the range', (port) => {
      const text = `machines:\n  - name: a\n    user: b\n    port: ${port}\n`;
      expectRefusedOnLine(text, 4, new RegExp(`port ${port} is outside 12221-12230`));
    });

    it.each(['Root', '1builder', 'a b', 'x'.repeat(33)])('user %j', (user) => {
      const text = `machines:\n  - name: a\n    port: 12222\n    user: "${user}"\n`;
      expectRefusedOnLine(text, 4, /user .* is not a valid user name/);
    });

    it('an invalid host', () => {
      const text = 'machines:\n  - name: a\n    port: 12222\n    host: "evil host;"\n';
      expectRefusedOnLine(text, 4, /host "evil host;" is not a host name/);
    });

    it('a duplicate name, on the second entry, naming the first line', () => {
      const text = [
        'machines:',
        '  - name: a',
        '    port: 12222',
        '  - name: b',
        '    port: 12223',
        '  - name: a',
        '    port: 12224',
      ].join('\n');
      const error = expectRefusedOnLine(text, 6, /machine a is listed twice/);
      expect(error.message).toContain('first on line 2');
    });

    it('a duplicate port, naming both entries and the first line', () => {
      const text = [
        'machines:',
        '  - name: first-vm',
        '    port: 12225',
        '  - name: second-vm',
        '    port: 12225',
      ].join('\n');
      const error = expectRefusedOnLine(text, 4, /port 12225/);
      expect(error.message).toBe(
        `${FILE}:4: port 12225 of second-vm is already used by first-vm (line 2)`,
      );
    });
  });
});

describe('loadPortRegistry', () => {
  let folder: string | undefined;

  afterEach(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
    folder = undefined;
  });

  it('reads the file and names it in errors', async () => {
    folder = await mkdtemp(join(tmpdir(), 'registry-test-'));
    const file = join(folder, 'port-registry.yml');
    await writeFile(file, 'machines:\n  - name: vm\n    port: 12229\n');
    expect(await loadPortRegistry(file)).toEqual([
      { name: 'vm', port: 12229, user: 'builder', host: 'localhost', line: 2 },
    ]);

    await writeFile(file, 'machines:\n  - name: vm\n    port: 1\n');
    await expect(loadPortRegistry(file)).rejects.toMatchObject({
      code: 'registry-invalid',
      message: expect.stringContaining(`${file}:3: `),
    });
  });

  it('reports a missing file as registry-missing with a fix', async () => {
    folder = await mkdtemp(join(tmpdir(), 'registry-test-'));
    const file = join(folder, 'nope', 'port-registry.yml');
    const error: unknown = await loadPortRegistry(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({
      code: 'registry-missing',
      message: `port registry ${file} does not exist`,
      fix: expect.stringContaining('machines:'),
    });
  });
});
