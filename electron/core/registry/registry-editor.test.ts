import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import {
  addMachine,
  checkPortBeforeStart,
  loopbackProbe,
  lowestFreePort,
  removeMachine,
  type PortProbe,
} from './registry-editor.ts';

const SEED = `# Port registry: which reverse-tunnel port each build machine uses.
# Ports come from 12221-12230.
machines:
  # the first VM, imported by hand
  - name: haskell-build
    port: 12222
    user: builder # the image's account
`;

const allFree: PortProbe = { isFree: async () => true };

async function registryWith(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bm-registry-'));
  const file = join(dir, 'port-registry.yml');
  await writeFile(file, text);
  return file;
}

async function failure(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a failure');
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

function listenOn(port: number): Promise<void> {
  const server = createServer();
  servers.push(server);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
}

describe('addMachine', () => {
  it('takes the lowest unlisted port and keeps comments and order', async () => {
    const file = await registryWith(SEED);
    const entry = await addMachine(file, { name: 'second-vm' }, allFree);

    expect(entry).toMatchObject({ name: 'second-vm', port: 12221, user: 'builder' });
    const text = await readFile(file, 'utf8');
    expect(text.startsWith(SEED.trimEnd())).toBe(true);
    expect(text).toContain('# the first VM, imported by hand');
    expect(text).toContain("user: builder # the image's account");
    expect(text.indexOf('haskell-build')).toBeLessThan(text.indexOf('second-vm'));
  });

  it('gives two machines distinct ports, even when added at the same time', async () => {
    const file = await registryWith(SEED);
    const [a, b] = await Promise.all([
      addMachine(file, { name: 'vm-a' }, allFree),
      addMachine(file, { name: 'vm-b' }, allFree),
    ]);
    expect(new Set([a.port, b.port, 12222]).size).toBe(3);
  });

  it('skips a port something listens on (a real TCP listener)', async () => {
    const file = await registryWith('machines:\n');
    await listenOn(12221);
    const entry = await addMachine(file, { name: 'probed' });
    expect(entry.port).toBe(12222);
    expect(await loopbackProbe.isFree(12221)).toBe(false);
  });

  it('creates the list in an empty or comment-only file', async () => {
    const file = await registryWith('# nothing yet\n');
    await addMachine(file, { name: 'first' }, allFree);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('# nothing yet');
    expect(text).toMatch(/machines:\n\s+- name: first\n\s+port: 12221\n\s+user: builder/);
  });

  it('refuses a name that is already listed, naming its line', async () => {
    const file = await registryWith(SEED);
    const error = await failure(addMachine(file, { name: 'haskell-build' }, allFree));
    expect(error.code).toBe('registry-name-taken');
    expect(error.message).toContain('port-registry.yml:5');
  });

  it('reports a full range with what is listed and what is busy', async () => {
    const names = Array.from({ length: 9 }, (_, index) => index);
    const text =
      'machines:\n' +
      names.map((i) => `  - name: vm${i}\n    port: ${12221 + i}\n    user: builder\n`).join('');
    const file = await registryWith(text);
    const error = await failure(
      addMachine(file, { name: 'one-more' }, { isFree: async () => false }),
    );
    expect(error.code).toBe('registry-full');
    expect(error.message).toContain('12230 is in use');
  });

  it('leaves no temporary file behind', async () => {
    const file = await registryWith(SEED);
    await addMachine(file, { name: 'tidy' }, allFree);
    const files = await readdir(join(file, '..'));
    expect(files).toEqual(['port-registry.yml']);
  });
});

describe('removeMachine', () => {
  it('removes only that entry and keeps the comments', async () => {
    const file = await registryWith(SEED);
    await addMachine(file, { name: 'temporary' }, allFree);
    expect(await removeMachine(file, 'temporary')).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(SEED);
    expect(await removeMachine(file, 'temporary')).toBe(false);
  });
});

describe('checkPortBeforeStart', () => {
  it('fails with the port and a fix when something listens there', async () => {
    await listenOn(12229);
    const error = await failure(
      checkPortBeforeStart({
        name: 'vm',
        port: 12229,
        user: 'builder',
        host: 'localhost',
        line: 2,
      }),
    );
    expect(error.code).toBe('port-in-use');
    expect(error.message).toContain('12229');
    expect(error.fix).toContain('ss -ltnp');
  });
});

describe('registry files broken in ten ways: edits refuse them, naming the line', () => {
  const broken: Array<[string, string, RegExp]> = [
    ['unclosed quote', 'machines:\n  - name: "vm\n    port: 12221\n', /:\d+: not valid YAML/],
    ['tab indentation', 'machines:\n\t- name: vm\n', /:2: not valid YAML/],
    ['a scalar root', 'just text\n', /:1: expected a mapping/],
    ['misspelt key', 'machine:\n  - name: vm\n', /:1: unknown top-level key `machine`/],
    ['machines not a list', 'machines: vm\n', /:1: `machines` must be a list/],
    ['item not a mapping', 'machines:\n  - vm1\n', /:2: a machine must be a mapping/],
    [
      'port out of range',
      'machines:\n  - name: vm\n    port: 2222\n',
      /:3: machine vm: port 2222 is outside 12221-12230/,
    ],
    [
      'port not a number',
      'machines:\n  - name: vm\n    port: twelve\n',
      /:3: machine vm: port "twelve" is not a whole number/,
    ],
    [
      'duplicate port',
      'machines:\n  - name: a\n    port: 12221\n  - name: b\n    port: 12221\n',
      /:4: port 12221 of b is already used by a \(line 2\)/,
    ],
    [
      'duplicate key',
      'machines:\n  - name: a\n    name: b\n    port: 12221\n',
      /:3: not valid YAML: Map keys must be unique/,
    ],
    [
      'upper-case name',
      'machines:\n  - name: Haskell_Build\n    port: 12221\n',
      /:2: machine name "Haskell_Build" is missing or invalid/,
    ],
  ];

  it.each(broken)('%s', async (_label, text, expected) => {
    const file = await registryWith(text);
    const error = await failure(addMachine(file, { name: 'new-vm' }, allFree));
    expect(error.code).toBe('registry-invalid');
    expect(error.message).toMatch(expected);
    expect(error.message.startsWith(file)).toBe(true);
    // A refused edit leaves the user's file as it was.
    expect(await readFile(file, 'utf8')).toBe(text);
    await failure(removeMachine(file, 'a'));
  });
});

describe('lowestFreePort', () => {
  it('returns the first port that is neither listed nor busy', async () => {
    const busy = new Set([12221, 12223]);
    const entries = [{ name: 'a', port: 12222, user: 'builder', host: 'localhost', line: 2 }];
    const port = await lowestFreePort(entries, { isFree: async (p) => !busy.has(p) });
    expect(port).toBe(12224);
  });
});
