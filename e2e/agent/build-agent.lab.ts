import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startHubServer, type HubServer } from '../../electron/core/statehub/hub-server.ts';
import { labEnv } from '../support/lab-env.ts';
import { LabProcess } from './agent-process.ts';

/**
 * packer/haskell/files/build-agent for real: run as `builder` in a namespace host of the lab
 * (e2e/agent/agent-vm.sh), dialling the workstation's real sshd as bm-relay with the lab's
 * build key, registering in a real State Hub on 127.0.0.1:8000 of the workstation (where these
 * tests run). Only the agent's paths and retry timings are changed, through its env overrides.
 */

const run = promisify(execFile);
const lab = labEnv();
const SCRIPT = new URL('./agent-vm.sh', import.meta.url).pathname;
const AGENT_SOURCE = new URL('../../packer/haskell/files/build-agent', import.meta.url).pathname;
const HOST = 'ag1';
const NAME = `lab-${HOST}`;
const PORT = 12229;
const HUB_PORT = 8000;
// Short timings keep the test fast; production uses 1 s doubling to 15 s and a 30 s heartbeat.
const FAST = [
  'BUILD_AGENT_RETRY_DELAY=1',
  'BUILD_AGENT_RETRY_MAX_DELAY=1',
  'BUILD_AGENT_HEARTBEAT_INTERVAL=1',
];

let hostDir = '';
let sshd: LabProcess | undefined;
let agent: LabProcess | undefined;
let hub: HubServer | undefined;
let blocker: Server | undefined;
const figures: Record<string, number> = {};

interface Entry {
  name: string;
  capability_type: string;
  registered_at: string;
  last_seen: string;
  attributes: Record<string, unknown>;
}

async function startHub(): Promise<HubServer> {
  const dir = await mkdtemp(join(tmpdir(), 'bm-agent-hub-'));
  return startHubServer({ storePath: join(dir, 'catalog.json'), port: HUB_PORT });
}

function startAgent(...settings: string[]): LabProcess {
  return new LabProcess('bash', [SCRIPT, 'agent', HOST, ...FAST, ...settings]);
}

async function entries(server: HubServer): Promise<Entry[]> {
  const response = await fetch(
    `${server.url}/capability-catalog/?capability_type=haskell-build-agent`,
  );
  expect(response.status).toBe(200);
  return (await response.json()) as Entry[];
}

/** Polls a condition every 100 ms, for at most `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function listening(port: number): Promise<boolean> {
  const result = await run('ss', ['-Htln', `sport = :${port}`]);
  return result.stdout.trim() !== '';
}

beforeAll(async () => {
  hostDir = (await run('bash', [SCRIPT, 'up', HOST, '1', String(PORT)])).stdout.trim();
  sshd = new LabProcess('bash', [SCRIPT, 'sshd', HOST]);
});

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await hub?.close();
  hub = undefined;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
});

afterAll(async () => {
  await sshd?.stop();
  await run('bash', [SCRIPT, 'down', HOST]);
  console.log(`build-agent lab figures: ${JSON.stringify(figures)}`);
});

describe('build-agent on a lab host, against the workstation sshd and a real State Hub', () => {
  it('opens both tunnels, registers with its attributes and sends heartbeats', async () => {
    hub = await startHub();
    agent = startAgent();
    await agent.waitFor(/hub: registered lab-ag1 \(new entry, attempt \d+\)/, 20_000);
    figures.startToRegisteredMs = Date.now() - agent.started;

    // Reverse tunnel: the workstation logs in to the agent host's own sshd through it.
    const hostKey = (await readFile(join(hostDir, 'ssh_host_ed25519_key.pub'), 'utf8'))
      .split(' ')
      .slice(0, 2)
      .join(' ');
    const knownHosts = join(await mkdtemp(join(tmpdir(), 'bm-agent-kh-')), 'known_hosts');
    await writeFile(knownHosts, `[127.0.0.1]:${PORT} ${hostKey}\n`);
    const login = await run('ssh', [
      ...['-F', 'none', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'],
      ...['-o', `UserKnownHostsFile=${knownHosts}`, '-i', lab.buildKey, '-p', String(PORT)],
      'builder@127.0.0.1',
      'ip -o -4 addr show dev eth0',
    ]);
    const slot = (await readFile(join(lab.dir, 'slot'), 'utf8')).trim();
    expect(login.stdout).toContain(`198.18.${slot}.41/24`);

    // Forward tunnel: from the agent host, 127.0.0.1:18000 is the workstation's hub.
    const health = await run('ip', [
      ...['netns', 'exec', `bm-${lab.id}-${HOST}`],
      ...['curl', '-sS', '--max-time', '5', 'http://127.0.0.1:18000/health'],
    ]);
    expect(JSON.parse(health.stdout)).toEqual({ status: 'ok' });

    const [entry] = (await entries(hub)).filter((candidate) => candidate.name === NAME);
    const version = /readonly AGENT_VERSION="([^"]+)"/.exec(await readFile(AGENT_SOURCE, 'utf8'));
    const btime = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))?.[1];
    expect(entry).toMatchObject({
      capability_type: 'haskell-build-agent',
      attributes: {
        tunnel_port: PORT,
        ghc_versions: expect.arrayContaining(['9.0.2']),
        agent_version: version?.[1],
        boot_time: new Date(Number(btime) * 1000).toISOString().replace(/\.000Z$/, 'Z'),
      },
    });

    const beat = await until('a heartbeat to move last_seen', 6_000, async () => {
      const [now] = (await entries(hub!)).filter((candidate) => candidate.name === NAME);
      return now && now.last_seen > entry!.registered_at ? now : undefined;
    });
    expect(Date.parse(beat.last_seen)).toBeGreaterThan(Date.parse(entry!.registered_at));
    expect(agent.output).toMatch(/tunnel: starting autossh to bm-relay@198\.18\.\d+\.1:22 with/);

    // A stop closes the tunnel: the reverse port is free again for the next agent.
    await agent.stop();
    expect(agent.output).toContain('agent: stopping on SIGTERM');
    await until('the reverse port to close', 5_000, async () =>
      (await listening(PORT)) ? undefined : true,
    );
  });

  it('keeps retrying while the hub is down and registers once it comes up', async () => {
    agent = startAgent('BUILD_AGENT_REGISTER_ATTEMPTS=20');
    const notYet = /hub: not reachable through the tunnel yet \(attempt (\d+)\/20/;
    await agent.waitFor(notYet, 20_000, 2);

    // The tunnel itself is up: the refusal is the hub's, and the agent says so.
    expect(await listening(PORT)).toBe(true);
    expect(agent.output).toMatch(/tunnel: the workstation has nothing listening on port 8000/);
    expect(agent.output).not.toMatch(/cannot reach 198\./);

    const hubStarted = Date.now();
    hub = await startHub();
    const [line] = await agent.waitFor(
      /hub: registered lab-ag1 \(new entry, attempt (\d+)\)/,
      15_000,
    );
    figures.hubUpToRegisteredMs = Date.now() - hubStarted;
    const attempt = Number(/attempt (\d+)\)/.exec(line!)?.[1]);
    expect(attempt).toBeGreaterThanOrEqual(3);
    expect(attempt).toBeLessThanOrEqual(20);
    expect((await entries(hub)).map((entry) => entry.name)).toContain(NAME);
  });

  it('logs a taken tunnel port as a forward failure with the port, and retries', async () => {
    hub = await startHub();
    blocker = await takePort(PORT);
    agent = startAgent();

    const failure = new RegExp(
      'tunnel: remote port forwarding failed for listen port 12229 ' +
        '\\(port in use on the workstation',
    );
    await agent.waitFor(failure, 20_000, 2);
    expect(
      agent.matching(/tunnel: connecting to bm-relay@.* \(attempt (\d+)\)/).length,
    ).toBeGreaterThanOrEqual(2);
    expect(agent.matching(/hub: registered/)).toEqual([]);

    // Once the port is free, the retrying tunnel takes it and the agent registers.
    const freed = Date.now();
    await new Promise<void>((resolve) => blocker!.close(() => resolve()));
    blocker = undefined;
    await agent.waitFor(/hub: registered lab-ag1/, 30_000);
    figures.portFreedToRegisteredMs = Date.now() - freed;
    expect(await listening(PORT)).toBe(true);
  });
});

/** Holds a port on every loopback address of the workstation, as a stale session would. */
function takePort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    // '::' without ipv6Only also covers IPv4, so sshd can bind neither 127.0.0.1 nor ::1.
    server.listen({ host: '::', port, exclusive: true }, () => resolve(server));
  });
}
