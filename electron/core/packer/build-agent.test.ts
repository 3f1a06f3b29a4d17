import { spawn } from 'node:child_process';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The agent runs outside systemd here: paths come from BUILD_AGENT_* variables, autossh is a
// fake on PATH, curl is the real one, and the State Hub is a small HTTP server on loopback.
const AGENT = fileURLToPath(new URL('../../../packer/haskell/files/build-agent', import.meta.url));
const FAKE_AUTOSSH = fileURLToPath(new URL('./fixtures/fake-autossh', import.meta.url));
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake';

interface HubRequest {
  method: string;
  url: string;
  body: unknown;
}

let dir = '';
let hub: Server;
let hubPort = 0;
let requests: HubRequest[] = [];

async function readBody(request: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text ? JSON.parse(text) : undefined;
}

/** Runs the agent until its output matches untilLine, then lingerMs more, then SIGTERM. */
function runAgent(env: Record<string, string>, untilLine: RegExp, lingerMs = 0) {
  const timeoutMs = 15_000;
  return new Promise<{ output: string; code: number | null }>((resolve, reject) => {
    const child = spawn(AGENT, [], {
      env: {
        PATH: `${join(dir, 'bin')}:/usr/bin:/bin`,
        HOME: join(dir, 'home'),
        BUILD_AGENT_ENV_FILE: join(dir, 'build-agent.env'),
        BUILD_AGENT_STATE_DIR: join(dir, 'state'),
        BUILD_AGENT_HUB_LOCAL_PORT: String(hubPort),
        BUILD_AGENT_RETRY_DELAY: '1',
        BUILD_AGENT_HEARTBEAT_INTERVAL: '1',
        FAKE_AUTOSSH_RECORD: join(dir, 'autossh-args'),
        ...env,
      },
    });
    let output = '';
    let stopping = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`agent timed out; output so far:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!stopping && untilLine.test(output)) {
        stopping = true;
        setTimeout(() => child.kill('SIGTERM'), lingerMs);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ output, code });
    });
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bm-agent-'));
  await mkdir(join(dir, 'bin'));
  await mkdir(join(dir, 'home', '.ssh'), { recursive: true });
  await copyFile(FAKE_AUTOSSH, join(dir, 'bin', 'autossh'));
  for (const version of ['9.8.4', '9.6.6']) {
    await writeFile(join(dir, 'bin', `ghc-${version}`), '#!/bin/sh\n');
    await chmod(join(dir, 'bin', `ghc-${version}`), 0o755);
  }
  await symlink('/usr/bin/ssh', join(dir, 'bin', 'ssh'));
  await writeFile(join(dir, 'home', '.ssh', 'id_build'), 'not a real key\n', { mode: 0o600 });
  await writeFile(
    join(dir, 'build-agent.env'),
    [
      '# test settings',
      'SSH_RELAY_HOST=192.0.2.10',
      'SSH_RELAY_USER=builder',
      'TUNNEL_PORT=12222',
      'STATE_HUB_PORT=8000',
      'VM_NAME="haskell-build"',
      `RELAY_HOST_KEY="workstation ${HOST_KEY}"`,
      `BUILD_KEY=${join(dir, 'home', '.ssh', 'id_build')}`,
      '',
    ].join('\n'),
  );

  requests = [];
  let registered = false;
  hub = createServer((request, response) => {
    void readBody(request).then((body) => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', body });
      const entry = { id: '1', capability_type: 'haskell-build-agent', name: 'haskell-build' };
      response.setHeader('Content-Type', 'application/json');
      if (request.url === '/capability-catalog/' && request.method === 'POST') {
        // The first attempt finds the hub not ready yet, as while the tunnel comes up.
        if (requests.length === 1) return response.writeHead(503).end('{"error":"starting"}');
        response.writeHead(registered ? 200 : 201).end(JSON.stringify(entry));
        registered = true;
        return;
      }
      response.writeHead(200).end(JSON.stringify(entry));
    });
  });
  await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
  hubPort = (hub.address() as AddressInfo).port;
});

afterEach(async () => {
  await new Promise((resolve) => hub.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('build-agent (outside systemd)', () => {
  it('opens the tunnel, registers through it, then sends heartbeats', async () => {
    const { output, code } = await runAgent({}, /sending a heartbeat every 1s/, 2_500);

    const args = (await readFile(join(dir, 'autossh-args'), 'utf8')).trim().split('\n');
    expect(args).toEqual(
      expect.arrayContaining([
        '-R',
        '12222:localhost:22',
        '-L',
        `${hubPort}:localhost:8000`,
        'ExitOnForwardFailure=yes',
        'StrictHostKeyChecking=yes',
        'ServerAliveInterval=5',
        'ServerAliveCountMax=2',
        `UserKnownHostsFile=${join(dir, 'state', 'known_hosts')}`,
      ]),
    );
    expect(args.at(-1)).toBe('192.0.2.10');
    expect(await readFile(join(dir, 'autossh-args.env'), 'utf8')).toContain(
      `AUTOSSH_PATH=${join(dir, 'bin', 'ssh')}`,
    );
    expect(await readFile(join(dir, 'state', 'known_hosts'), 'utf8')).toBe(
      `build-relay ${HOST_KEY}\n`,
    );

    const registrations = requests.filter((r) => r.url === '/capability-catalog/');
    expect(registrations).toHaveLength(2);
    expect(registrations[1]?.body).toMatchObject({
      capability_type: 'haskell-build-agent',
      name: 'haskell-build',
      attributes: {
        tunnel_port: 12222,
        ghc_versions: expect.arrayContaining(['9.6.6', '9.8.4']),
        agent_version: '1.0.0',
        boot_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        hostname: expect.any(String),
      },
    });
    expect(output).toMatch(/tunnel: connecting to builder@192\.0\.2\.10:22 \(attempt 1\)/);
    expect(output).toMatch(/hub: registration got HTTP 503 \(attempt 1\/20: starting\)/);
    expect(output).toMatch(/hub: registered haskell-build \(new entry, attempt 2\)/);

    const heartbeats = requests.filter((r) => r.method === 'POST' && r.url.endsWith('/heartbeat'));
    expect(heartbeats.length).toBeGreaterThanOrEqual(1);
    expect(heartbeats[0]?.url).toBe(
      '/capability-catalog/haskell-build-agent/haskell-build/heartbeat',
    );
    expect(output).toMatch(/agent: stopping on SIGTERM/);
    expect(code).toBe(0);
  }, 20_000);

  it('logs a remote forward failure with its port', async () => {
    const { output, code } = await runAgent({ FAKE_AUTOSSH_MODE: 'forward-fails' }, /$^/);
    expect(output).toMatch(/ERROR tunnel: remote port forwarding failed for listen port 12222 /);
    expect(output).toMatch(/tunnel: autossh exited \(status 255\)/);
    expect(code).toBe(1);
  }, 20_000);

  it('says credentials are missing when there is no env file', async () => {
    await rm(join(dir, 'build-agent.env'));
    const { output, code } = await runAgent({}, /$^/);
    expect(output).toMatch(/config: .*build-agent\.env is missing .* credentials not injected/);
    expect(code).toBe(78);
  });

  it('rejects a tunnel port outside 12221-12230', async () => {
    const env = join(dir, 'build-agent.env');
    await writeFile(env, (await readFile(env, 'utf8')).replace('12222', '2222'));
    const { output, code } = await runAgent({}, /$^/);
    expect(output).toMatch(/TUNNEL_PORT '2222' is outside the port registry range 12221-12230/);
    expect(code).toBe(78);
  });
});
