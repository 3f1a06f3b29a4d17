import { mkdtemp, readFile, rm, stat, chmod, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { fillAgentEnv, readTemplate, type AgentEnvValues } from './agent-env.ts';
import { ensureBuildKey, readBuildKey } from './build-key.ts';
import { lanAddresses } from './lan-addresses.ts';

const run = promisify(execFile);
const VALUES: AgentEnvValues = {
  SSH_RELAY_HOST: '192.168.1.20',
  SSH_RELAY_USER: 'alice',
  SSH_RELAY_PORT: 22,
  TUNNEL_PORT: 12223,
  STATE_HUB_PORT: 8000,
  VM_NAME: 'haskell-build',
  RELAY_HOST_KEY: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx root@ws',
};

describe('build-agent.env from the template', () => {
  it('replaces the values and keeps every comment of the real template', async () => {
    const template = await readTemplate();
    const filled = fillAgentEnv(template, VALUES);
    expect(filled).toContain('\nSSH_RELAY_HOST=192.168.1.20\n');
    expect(filled).toContain('\nTUNNEL_PORT=12223\n');
    expect(filled).toContain(
      '\nRELAY_HOST_KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx root@ws"\n',
    );
    expect(filled).toContain('\nBUILD_KEY=/home/builder/.ssh/id_build\n');
    const comments = (text: string) => text.split('\n').filter((line) => line.startsWith('#'));
    expect(comments(filled)).toEqual(comments(template));
  });

  it('is read by the agent parser as written (a real bash reads it back)', async () => {
    const filled = fillAgentEnv(await readTemplate(), VALUES);
    const dir = await mkdtemp(join(tmpdir(), 'bm-env-'));
    try {
      const file = join(dir, 'build-agent.env');
      await import('node:fs/promises').then((fs) => fs.writeFile(file, filled));
      const { stdout } = await run('bash', [
        '-c',
        'while IFS= read -r l; do case $l in RELAY_HOST_KEY=*) v=${l#*=}; v=${v#\\"}; ' +
          'echo "${v%\\"}";; esac; done < "$1"',
        'sh',
        file,
      ]);
      expect(stdout.trim()).toBe(VALUES.RELAY_HOST_KEY);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a value that would break the file, naming the key', () => {
    expect(() => fillAgentEnv('X=1\n', { ...VALUES, SSH_RELAY_HOST: 'a b' })).toThrow(
      /SSH_RELAY_HOST "a b" is not valid/,
    );
    expect(() =>
      fillAgentEnv('X=1\n', { ...VALUES, RELAY_HOST_KEY: 'ssh-ed25519 AAAA"; rm -rf /' }),
    ).toThrow(/RELAY_HOST_KEY/);
  });

  it('appends keys an older template lacks', () => {
    expect(fillAgentEnv('# old\nSSH_RELAY_HOST=x', VALUES)).toMatch(
      new RegExp(
        '^# old\\nSSH_RELAY_HOST=192\\.168\\.1\\.20\\nSSH_RELAY_USER=alice\\n' +
          '[\\s\\S]*VM_NAME=haskell-build\\n',
      ),
    );
  });
});

describe('relay host candidates', () => {
  it('offers LAN IPv4 addresses, private ranges first, never loopback or link-local', () => {
    const entry = (address: string, internal = false) => ({
      address,
      internal,
      family: 'IPv4' as const,
      netmask: '255.255.255.0',
      mac: '00:00:00:00:00:00',
      cidr: `${address}/24`,
    });
    expect(
      lanAddresses({
        lo: [entry('127.0.0.1', true)],
        docker0: [entry('198.18.5.1')],
        wlan0: [entry('192.168.1.20'), entry('169.254.3.4')],
      }),
    ).toEqual([
      { address: '192.168.1.20', interface: 'wlan0' },
      { address: '198.18.5.1', interface: 'docker0' },
    ]);
  });
});

describe('the build key', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bm-key-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is made once by ssh-keygen, 0600, with the fingerprint ssh-keygen -l shows', async () => {
    const path = join(dir, 'ssh', 'id_build');
    expect(await readBuildKey(path)).toEqual({ path, exists: false });
    const made = await ensureBuildKey(path);
    expect(made.created).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const { stdout } = await run('ssh-keygen', ['-lf', `${path}.pub`]);
    expect(stdout).toBe(`256 ${made.fingerprint} build-agent (ED25519)\n`);

    const again = await ensureBuildKey(path);
    expect(again).toMatchObject({ created: false, fingerprint: made.fingerprint });
  });

  it('narrows a too open key and restores a lost .pub from the private key', async () => {
    const path = join(dir, 'id_build');
    const made = await ensureBuildKey(path);
    await chmod(path, 0o644);
    const publicText = await readFile(`${path}.pub`, 'utf8');
    await unlink(`${path}.pub`);

    const fixed = await ensureBuildKey(path);
    expect(fixed).toMatchObject({ modeFixed: true, fingerprint: made.fingerprint });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(`${path}.pub`, 'utf8')).split(' ').slice(0, 2)).toEqual(
      publicText.split(' ').slice(0, 2),
    );
  });
});
