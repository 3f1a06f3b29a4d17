/**
 * The seed's Quick Start from a started VM, through the panel's core and the real OpenSSH
 * client: generate the key, inject it with the password, password login refused, install the
 * SSH config, `ssh <vm> true` through the tunnel, bridge-status green, the registration in the
 * panel. Then the faults: the VM's link cut, the hub down, a changed host key.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { HealthSnapshot } from '../../electron/core/api/contract-hub.ts';
import { createApiHandler } from '../../electron/core/api/api-handler.ts';
import { createCore, type Core } from '../../electron/core/core.ts';
import { passwordLoginAccepted } from '../../electron/core/credentials/direct-ssh.ts';
import { HostKeyStore } from '../../electron/core/ssh/host-keys.ts';
import { startHubServer, type HubServer } from '../../electron/core/statehub/hub-server.ts';
import { freePort } from '../../electron/core/statehub/test-support.ts';
import { openPanel, type PanelInBrowser } from '../support/panel-browser.ts';
import { labEnv } from '../support/lab-env.ts';

const run = promisify(execFile);
const lab = labEnv();
const VM = 'lab-vm8';
const INDEX = '8';
const PORT = 12228;
// Lab-only: set in the VM's own /etc/shadow by password-vm.sh, gone with the VM.
const PASSWORD = `lab-${Math.random().toString(36).slice(2)}`;
const SCRIPT = new URL('./password-vm.sh', import.meta.url).pathname;
const LAYOUT = {
  envFile: '/etc/build-agent.env',
  restartAgent: ['/usr/local/sbin/lab-restart-build-agent'],
  lockPasswordLogin: ['/usr/local/sbin/lab-lock-password-login'],
};
// Odd but valid user content: CRLF, tabs, no final newline, UTF-8, a Match block.
const USER_CONFIG =
  '# my config ☕\r\nHost *\r\n\tServerAliveInterval 30\r\nMatch exec "true"\r\n  Compression no';

const relayKeys = join(lab.dir, 'ws', 'authorized_keys', 'bm-relay');
let home: string;
let savedHome: string | undefined;
let savedRelayKeys: string;
let vmIp: string;
let hubPort: number;
let hub: HubServer;
let core: Core;
let panel: PanelInBrowser | undefined;
const call = (op: string, input: unknown) => {
  const handler = createApiHandler(core, { transport: 'websocket' });
  return handler(op, input).then((result) => {
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value as never;
  });
};

function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  return (async () => {
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
}

/** The time from now until a health.changed event satisfies the test. */
function timeUntilHealth(test: (snapshot: HealthSnapshot) => boolean, timeoutMs: number) {
  const started = performance.now();
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching health.changed within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = core.events.subscribe((name, payload) => {
      if (name !== 'health.changed' || !test(payload as HealthSnapshot)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(Math.round(performance.now() - started));
    });
  });
}
const vmState = (snapshot: HealthSnapshot) => snapshot.vms.find((vm) => vm.name === VM)?.state;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bm-home-'));
  savedHome = process.env.HOME;
  process.env.HOME = home;
  savedRelayKeys = await readFile(relayKeys, 'utf8');

  const registry = join(home, 'port-registry.yml');
  await writeFile(registry, `machines:\n  - name: ${VM}\n    port: ${PORT}\n    user: builder\n`);
  const starting = run('bash', [SCRIPT, 'up', INDEX], { env: process.env });
  starting.child.stdin?.end(`${PASSWORD}\n`);
  const up = await starting.catch((error: Error & { stderr?: string }) => {
    throw new Error(`password-vm.sh up failed: ${error.stderr ?? error.message}`);
  });
  vmIp = up.stdout.trim().split('\n').at(-1)!;

  hubPort = await freePort();
  // An external hub: the panel must use it rather than start its own.
  hub = await startHubServer({ storePath: join(home, 'hub-a.json'), port: hubPort });
  core = await createCore({
    version: 'test',
    defaultRegistryPath: registry,
    paths: { configDir: join(home, 'panel-config'), stateDir: join(home, 'panel-state') },
    overrides: {
      registryPath: registry,
      buildKeyPath: join(home, '.ssh', 'id_build'),
      stateHubUrl: `http://127.0.0.1:${hubPort}`,
    },
  });
  core.features.hub.setVmLayout(LAYOUT);
}, 30_000);

afterAll(async () => {
  await panel?.close();
  await core?.close();
  await hub?.close();
  await writeFile(relayKeys, savedRelayKeys);
  await run('bash', [SCRIPT, 'down', INDEX], { env: process.env }).catch(() => undefined);
  if (savedHome === undefined) delete process.env.HOME;
  else process.env.HOME = savedHome;
  await rm(home, { recursive: true, force: true });
}, 30_000);

describe('Quick Start from a started VM', () => {
  it('uses the external State Hub that answers', async () => {
    const status = await core.features.hub.start();
    expect(status.kind).toBe('external');
  });

  it('generates the build key with ssh-keygen, 0600, and shows its fingerprint', async () => {
    const key = (await call('credentials.keygen', {})) as { path: string; fingerprint: string };
    expect(key).toMatchObject({ exists: true, created: true });
    expect((await stat(key.path)).mode & 0o777).toBe(0o600);
    const listed = await run('ssh-keygen', ['-lf', `${key.path}.pub`]);
    expect(listed.stdout).toContain(key.fingerprint);
    expect(listed.stdout).toContain('build-agent (ED25519)');
    // The workstation's sshd (the relay) accepts the build key, as the user sets it up.
    await writeFile(relayKeys, `${savedRelayKeys}${await readFile(`${key.path}.pub`, 'utf8')}`);
  });

  it('refuses a host key other than the one the user confirmed, naming both', async () => {
    const scanned = (await call('credentials.scanHostKey', { vmIp })) as { fingerprint: string };
    const real = await run('ssh-keygen', [
      '-lf',
      join(lab.dir, 'pw-vm8', 'ssh_host_ed25519_key.pub'),
    ]);
    expect(real.stdout).toContain(scanned.fingerprint);

    const wrong = `SHA256:${'A'.repeat(43)}`;
    const attempt = call('credentials.inject', {
      vm: VM,
      vmIp,
      password: PASSWORD,
      fingerprint: wrong,
      relayHost: process.env.BM_LAB_WS_ADDRESS!,
      relayUser: 'bm-relay',
    });
    const refusal = (await attempt.catch((error: Error) => error)) as Error & { code: string };
    expect(refusal.code).toBe('host-key-changed');
    expect(refusal.message).toContain(`presented host key ${scanned.fingerprint}`);
    expect(refusal.message).toContain(`not the confirmed ${wrong}`);
  });

  it('injects the credentials with the password, then the password is refused', async () => {
    const scanned = (await call('credentials.scanHostKey', { vmIp })) as { fingerprint: string };
    const defaults = (await call('credentials.injectDefaults', { vm: VM })) as {
      relayHosts: { address: string }[];
      tunnelPort: number;
    };
    expect(defaults.relayHosts.map((host) => host.address)).toContain(
      process.env.BM_LAB_WS_ADDRESS,
    );
    expect(defaults.tunnelPort).toBe(PORT);

    const report = (await call('credentials.inject', {
      vm: VM,
      vmIp,
      password: PASSWORD,
      fingerprint: scanned.fingerprint,
      relayHost: defaults.relayHosts[0]!.address,
      relayUser: 'bm-relay',
    })) as { steps: { step: string; ok: boolean }[]; passwordLoginOff: boolean };
    expect(report.steps.map((step) => step.step)).toEqual([
      'connect',
      'pin-host-key',
      'upload-keys',
      'key-login',
      'write-env',
      'restart-agent',
      'lock-password',
    ]);
    expect(report.passwordLoginOff).toBe(true);
    const login = {
      host: vmIp,
      port: 22,
      user: 'builder',
      password: PASSWORD,
      fingerprint: scanned.fingerprint,
    };
    expect(await passwordLoginAccepted(login)).toBe(false);

    const pinned = await new HostKeyStore(join(home, 'panel-config', 'known_hosts')).get(VM);
    expect(pinned).toHaveLength(1);
    const env = await run('ip', [
      'netns',
      'exec',
      `bm-${lab.id}-vm8`,
      'nsenter',
      '-t',
      (await readFile(join(lab.dir, 'pw-vm8', 'sshd.pid'), 'utf8')).trim(),
      '-m',
      'stat',
      '-c',
      '%a %U:%G',
      '/etc/build-agent.env',
    ]);
    expect(env.stdout.trim()).toBe('640 root:builder');
  }, 30_000);

  it('installs the SSH config, keeps odd user content, and the real ssh works', async () => {
    const config = join(home, '.ssh', 'config');
    await writeFile(config, USER_CONFIG, { mode: 0o600 });
    await call('sshConfig.install', {});
    const second = (await call('sshConfig.install', {})) as {
      includeAdded: boolean;
      written: string[];
    };
    expect(second).toMatchObject({ includeAdded: false, written: [] });
    const text = await readFile(config, 'utf8');
    expect(text.endsWith(USER_CONFIG)).toBe(true);
    expect(text.split('\r\n')[1]).toBe(`Include ${join(home, '.ssh', 'build-machines')}/*.conf`);

    const ssh = await run('ssh', ['-F', config, '-o', 'BatchMode=yes', VM, 'true; echo via-$USER']);
    expect(ssh.stdout.trim()).toBe('via-builder');
  });

  it('shows the registration in the catalog and bridge-status turns green', async () => {
    const entry = await until('the agent registers', 25_000, async () => {
      const catalog = (await call('hub.catalog', {})) as { entries: { name: string }[] };
      return catalog.entries.find((candidate) => candidate.name === VM);
    });
    expect(entry).toMatchObject({ tunnelPort: PORT, ghcVersions: ['9.0.2'], freshness: 'online' });
    const green = await until('overall green', 10_000, async () => {
      const snapshot = (await call('health.snapshot', {})) as HealthSnapshot;
      return snapshot.overall === 'green' ? snapshot : undefined;
    });
    expect(green.vms[0]).toMatchObject({ name: VM, state: 'healthy', handshake: 'ok' });
  }, 40_000);

  it('shows the registration and the state in the browser panel', async () => {
    panel = await openPanel(core);
    await panel.page.getByRole('tab', { name: 'State Hub' }).click();
    const row = panel.page.getByTestId(`catalog-entry-${VM}`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain(String(PORT));
    await panel.page.waitForFunction(() => document.title.startsWith('[OK]'), null, {
      timeout: 10_000,
    });
  }, 30_000);
});

describe('faults', () => {
  it('detects the VM link cut within 3 s and its return within 5 s', async () => {
    const link = (state: 'up' | 'down') =>
      run('ip', ['netns', 'exec', `bm-${lab.id}-vm8`, 'ip', 'link', 'set', 'eth0', state]);
    const down = timeUntilHealth((snapshot) => vmState(snapshot) === 'down', 6_000);
    await link('down');
    let detectMs: number;
    try {
      detectMs = await down;
    } finally {
      const back = timeUntilHealth((snapshot) => vmState(snapshot) === 'healthy', 15_000);
      await link('up');
      const recoverMs = await back;
      console.log(
        `health figures: cut detected in ${detectMs!} ms, recovery shown ${recoverMs} ms ` +
          'after the link returned',
      );
      expect(recoverMs).toBeLessThan(5_000);
    }
    expect(detectMs).toBeLessThan(3_000);
    if (panel) {
      await panel.page.waitForFunction(() => document.title.startsWith('[OK]'), null, {
        timeout: 5_000,
      });
    }
  }, 30_000);

  it('says when the hub is down; the agent retries and registers again', async () => {
    await hub.close();
    const status = await until('hub down', 5_000, async () => {
      const found = (await call('hub.status', {})) as { kind: string };
      return found.kind === 'down' ? found : undefined;
    });
    expect(status).toMatchObject({
      kind: 'down',
      message: expect.stringContaining('No State Hub'),
    });
    const snapshot = (await call('health.reprobe', {})) as HealthSnapshot;
    expect(snapshot.overall).toBe('red');
    if (panel) {
      await panel.page
        .locator('[data-testid="hub-status"][data-kind="down"]')
        .waitFor({ timeout: 5_000 });
    }

    // A new hub with an empty catalog: the agent's heartbeat gets 404 and it registers again.
    hub = await startHubServer({ storePath: join(home, 'hub-b.json'), port: hubPort });
    const entry = await until('the agent registers again', 15_000, async () => {
      const catalog = (await call('hub.catalog', {})) as { entries: { name: string }[] };
      return catalog.entries.find((candidate) => candidate.name === VM);
    });
    expect(entry).toMatchObject({ freshness: 'online' });
    if (panel) {
      await panel.page.getByTestId(`catalog-entry-${VM}`).waitFor({ timeout: 5_000 });
    }
  }, 30_000);

  it('refuses a changed VM host key and shows both fingerprints', async () => {
    const store = new HostKeyStore(join(home, 'panel-config', 'known_hosts'));
    const [real] = await store.get(VM);
    const other = (await readFile(join(lab.dir, 'vm1', 'ssh_host_ed25519_key.pub'), 'utf8')).split(
      ' ',
    );
    await store.pin(VM, { type: other[0]!, base64: other[1]! });
    try {
      const snapshot = (await call('health.reprobe', {})) as HealthSnapshot;
      const vm = snapshot.vms.find((candidate) => candidate.name === VM)!;
      expect(vm).toMatchObject({ state: 'down', handshake: 'host-key-changed' });
      expect(vm.pinnedFingerprint).not.toBe(vm.presentedFingerprint);
      expect(vm.message).toContain(vm.pinnedFingerprint);
      expect(vm.message).toContain(vm.presentedFingerprint);
      const ssh = run('ssh', [
        '-F',
        join(home, '.ssh', 'config'),
        '-o',
        'BatchMode=yes',
        VM,
        'true',
      ]);
      await expect(ssh).rejects.toMatchObject({
        stderr: expect.stringMatching(
          /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/,
        ),
      });
    } finally {
      await store.pin(VM, real!);
    }
  }, 20_000);

  it('runs the doctor and the smoke test with every layer passing', async () => {
    const smoke = (await call('smoke.run', { vm: VM })) as {
      ok: boolean;
      checks: { id: string; verdict: string; detail: string }[];
    };
    expect(smoke.checks.filter((check) => check.verdict === 'fail')).toEqual([]);
    expect(smoke.checks.find((check) => check.id === 'ghc')?.detail).toMatch(/version 9\.0\.2/);
    const doctor = (await call('doctor.run', { vm: VM })) as {
      ok: boolean;
      checks: { id: string; verdict: string }[];
    };
    expect(doctor.checks.filter((check) => check.verdict === 'fail')).toEqual([]);
    expect(doctor.checks.map((check) => check.id)).toEqual(
      expect.arrayContaining([
        'tunnel-port',
        'relay-reachable',
        'relay-accepts-key',
        'forward-tunnel',
        'capability',
        'agent-journal',
      ]),
    );
  }, 30_000);
  it('recovers after a long cut, once the agent has reconnected (figure)', async () => {
    const link = (state: 'up' | 'down') =>
      run('ip', ['netns', 'exec', `bm-${lab.id}-vm8`, 'ip', 'link', 'set', 'eth0', state]);
    const agentLog = join(lab.dir, 'pw-vm8', 'agent.log');
    const exits = async () => (await readFile(agentLog, 'utf8')).split('ssh exited').length;
    const before = await exits();
    const down = timeUntilHealth((snapshot) => vmState(snapshot) === 'down', 6_000);
    await link('down');
    let restored = false;
    try {
      await down;
      // Long enough for the agent's ssh to give up on the dead link (ServerAliveInterval 5 s x
      // 2): the tunnel has to be built again, not just resumed.
      await until('the agent notices the dead link', 30_000, async () =>
        (await exits()) > before ? true : undefined,
      );
      const back = timeUntilHealth((snapshot) => vmState(snapshot) === 'healthy', 40_000);
      await link('up');
      restored = true;
      const recoverMs = await back;
      console.log(
        `health figures: after a long cut, healthy again ${recoverMs} ms after the link returned`,
      );
      expect(recoverMs).toBeLessThan(20_000);
    } finally {
      if (!restored) await link('up');
    }
  }, 80_000);
});
