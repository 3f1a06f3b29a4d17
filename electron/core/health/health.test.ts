import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import type { HubStatus, VmHealth } from '../api/contract-hub.ts';
import { summarize } from './health-monitor.ts';
import { forwardDetail, SCRIPTS } from './vm-checks.ts';

const run = promisify(execFile);
const HUB_UP: HubStatus = {
  kind: 'embedded',
  url: 'http://127.0.0.1:8000',
  canStartEmbedded: false,
  checkedAt: '2026-04-20T10:00:00Z',
};
const vm = (name: string, state: VmHealth['state']): VmHealth => ({
  name,
  port: 12221,
  state,
  listening: state !== 'down',
  handshake: state === 'down' ? 'timeout' : 'ok',
  since: '2026-04-20T10:00:00Z',
});

describe('overall state', () => {
  it('is green only when every VM is healthy and the hub answers', () => {
    expect(summarize([vm('a', 'healthy'), vm('b', 'healthy')], HUB_UP).overall).toBe('green');
    expect(summarize([vm('a', 'healthy'), vm('b', 'down')], HUB_UP)).toMatchObject({
      overall: 'amber',
      summary: '1/2 healthy: a healthy, b down',
    });
    expect(summarize([vm('a', 'degraded')], HUB_UP).overall).toBe('red');
    expect(summarize([], HUB_UP)).toMatchObject({
      overall: 'red',
      summary: 'no build machine in the port registry',
    });
    const down = { ...HUB_UP, kind: 'down' as const, message: 'refused' };
    expect(summarize([vm('a', 'healthy')], down)).toMatchObject({
      overall: 'red',
      summary: '1/1 healthy: a healthy; State Hub down',
    });
  });
});

describe('VM check scripts', () => {
  it('read build-agent.env as data, quoted or not, without running it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-env-'));
    try {
      const env = join(dir, 'env');
      await writeFile(
        env,
        '# comment\nSSH_RELAY_HOST="127.0.0.1"\nSSH_RELAY_PORT=\'1\'\nVM_NAME=$(touch pwned)\n',
      );
      const result = await run('bash', ['-c', SCRIPTS.relayReachable], {
        env: { ...process.env, BUILD_AGENT_ENV_FILE: env },
        cwd: dir,
      }).catch((error: { code: number; stdout: string }) => error);
      expect(result.stdout.split('\n')[0]).toBe('127.0.0.1:1');
      expect((result as { code?: number }).code).not.toBe(0);
      await expect(run('ls', [join(dir, 'pwned')])).rejects.toBeTruthy();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('say which file is missing', async () => {
    const result = await run('bash', ['-c', SCRIPTS.relayReachable], {
      env: { ...process.env, BUILD_AGENT_ENV_FILE: '/nonexistent/env' },
    }).catch((error: { code: number; stdout: string }) => error);
    expect(result).toMatchObject({
      code: 4,
      stdout: '/nonexistent/env is missing or unreadable\n',
    });
  });
});

describe('forward tunnel verdicts from curl', () => {
  it('tell the forward being down from the hub behind it being down', () => {
    expect(forwardDetail(0, '{"status":"ok"}')).toBe(
      'the State Hub answers on the VM at 127.0.0.1:18000',
    );
    expect(
      forwardDetail(7, 'curl: (7) Failed to connect to 127.0.0.1 port 18000 after 0 ms'),
    ).toMatch(/the forward tunnel is not up/);
    expect(forwardDetail(56, 'curl: (56) Recv failure: Connection reset by peer')).toMatch(
      /forward tunnel is up, but nothing answers behind it/,
    );
  });
});
