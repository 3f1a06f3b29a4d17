/** CLI commands for State Hub, credentials, SSH config, tunnel health (issue 5). */
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { z } from 'zod';

import type { CheckReport, HealthSnapshot, VmHealth } from '../core/api/contract-hub.ts';
import type { Core } from '../core/core.ts';
import type { VmLayout } from '../core/credentials/inject-keys.ts';
import { UserError } from '../core/errors.ts';
import { chooseVm, COMMON, withCore, type Command } from './cli-support.ts';

const out = (text: string) => process.stdout.write(`${text}\n`);
const hub = (core: Core) => core.features.hub.handlers;
const NO_HOST = { transport: 'websocket' as const };

const MARK = { pass: 'ok  ', fail: 'FAIL', warn: 'warn', skip: 'skip' } as const;

function printChecks(report: CheckReport): void {
  for (const item of report.checks) {
    out(`${MARK[item.verdict]}  ${item.title}: ${item.detail}`);
    if (item.fix) out(`      fix: ${item.fix}`);
  }
  out(report.ok ? `${report.vm}: all checks passed` : `${report.vm}: some checks failed`);
}

function healthLine(vm: VmHealth): string {
  const rtt = vm.rttMs !== undefined ? ` ${vm.rttMs} ms` : '';
  const registration = vm.registration
    ? `, hub ${vm.registration.freshness} (${Math.round(vm.registration.ageMs / 1000)} s)`
    : ', not registered';
  const reason = vm.message ? `: ${vm.message}` : '';
  return `${vm.state.padEnd(8)} ${vm.name} port ${vm.port}${rtt}${registration}${reason}`;
}

function printSnapshot(snapshot: HealthSnapshot): void {
  const hubText = snapshot.hub.message ? ` (${snapshot.hub.message})` : '';
  out(`State Hub: ${snapshot.hub.kind} at ${snapshot.hub.url}${hubText}`);
  for (const vm of snapshot.vms) out(healthLine(vm));
  out(`overall: ${snapshot.overall.toUpperCase()} - ${snapshot.summary}`);
}

// Reads a secret from the terminal without echo, or the first line of stdin when piped.
async function readSecret(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const lines = createInterface({ input, terminal: false });
    for await (const line of lines) {
      lines.close();
      return line;
    }
    return '';
  }
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolveSecret, reject) => {
    let secret = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new Error('cancelled'));
        if (char === '\u007f') secret = secret.slice(0, -1);
        else secret += char;
      }
    };
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolveSecret(secret);
    };
    input.on('data', onData);
  });
}

async function ask(question: string): Promise<string> {
  const lines = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise((answer) => lines.question(question, answer));
  } finally {
    lines.close();
  }
}

const LayoutSchema = z
  .object({
    envFile: z.string().startsWith('/'),
    restartAgent: z.array(z.string()).min(1),
    lockPasswordLogin: z.array(z.string()).min(1),
  })
  .strict();

async function readLayout(file: string): Promise<VmLayout> {
  const parsed = LayoutSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new UserError(
      'layout-invalid',
      `${file}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
      'Give envFile (absolute path), restartAgent and lockPasswordLogin (argument arrays).',
    );
  }
  return parsed.data;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

export const hubCommands: Record<string, Command> = {
  keygen: {
    summary: 'generate the build key ~/.ssh/id_build (ed25519) if missing; show its fingerprint',
    help:
      'bm keygen [--key <path>] [--json]\n' +
      '  Runs ssh-keygen -t ed25519 -N "" -C build-agent when the key does not exist yet; an\n' +
      '  existing key is kept (its mode narrowed to 0600 if wider).',
    options: { ...COMMON },
    run: (values) =>
      withCore(values, async (core) => {
        const key = await hub(core)['credentials.keygen']({}, NO_HOST);
        if (values.json) out(JSON.stringify(key));
        else {
          out(`${key.created ? 'generated' : 'exists   '} ${key.path}`);
          out(`fingerprint ${key.fingerprint}`);
          if (key.modeFixed) out('its mode was wider than 0600 and was narrowed');
        }
        return 0;
      }),
  },

  'inject-keys': {
    summary: 'inject the build key and build-agent.env into a fresh VM, then lock its password',
    help:
      'bm inject-keys <vm-ip> <vm-name | key-folder> [--relay-host <addr>] [--relay-user <u>]\n' +
      '    [--relay-port <n>] [--fingerprint SHA256:...] [--vm <name>] [--json]\n' +
      "  Shows the VM's host key fingerprint (compare it with the VM console), asks for the\n" +
      '  temporary password (read from stdin when it is not a terminal; never stored), then\n' +
      '  uploads id_build, id_build.pub and build-agent.env, restarts the agent, switches\n' +
      '  password login off and checks that a password login is refused.\n' +
      '  A key folder (seed step 4: ~/vm-keys/<vm>/) provides the files; its name is the VM.\n' +
      '  --layout <file.json> for a VM not made from the image: {"envFile": "...",\n' +
      '  "restartAgent": [argv], "lockPasswordLogin": [argv]} (both run with sudo -n).',
    options: {
      ...COMMON,
      vm: { type: 'string' },
      'relay-host': { type: 'string' },
      'relay-user': { type: 'string' },
      'relay-port': { type: 'string' },
      fingerprint: { type: 'string' },
      'ssh-port': { type: 'string' },
      layout: { type: 'string' },
    },
    run: (values, positionals) =>
      withCore(values, async (core) => {
        const [vmIp, target] = positionals;
        if (!vmIp || !target) {
          throw new UserError(
            'usage',
            'inject-keys needs the VM address and the VM name (or key folder)',
            'Run: make inject-keys VM_IP=<vm-ip> VM=<name>',
          );
        }
        const keyDir = (await isDirectory(target)) ? resolve(target) : undefined;
        const vm = (values.vm as string | undefined) ?? (keyDir ? basename(keyDir) : target);
        if (typeof values.layout === 'string') {
          core.features.hub.setVmLayout(await readLayout(values.layout));
        }
        const handlers = hub(core);
        const sshPort = values['ssh-port'] ? Number(values['ssh-port']) : 22;
        const defaults = await handlers['credentials.injectDefaults']({ vm }, NO_HOST);
        const scanned = await handlers['credentials.scanHostKey']({ vmIp, sshPort }, NO_HOST);
        process.stderr.write(`${vmIp} presents ${scanned.type} ${scanned.fingerprint}\n`);

        let fingerprint = values.fingerprint as string | undefined;
        if (fingerprint && fingerprint !== scanned.fingerprint) {
          throw new UserError(
            'host-key-changed',
            `${vmIp} presents ${scanned.fingerprint}, not the expected ${fingerprint}`,
            'Compare both with the VM console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub',
          );
        }
        if (!fingerprint) {
          if (!process.stdin.isTTY) {
            throw new UserError(
              'fingerprint-required',
              'the host key fingerprint was not confirmed',
              `Compare it with the VM console, then pass --fingerprint ${scanned.fingerprint}`,
            );
          }
          const answer = await ask('Does it match the VM console (ssh-keygen -lf ...)? [y/N] ');
          if (!/^y(es)?$/i.test(answer.trim())) {
            throw new UserError('cancelled', 'host key not confirmed', 'Nothing was changed.');
          }
          fingerprint = scanned.fingerprint;
        }

        const relayHost =
          (values['relay-host'] as string | undefined) ?? defaults.relayHosts[0]?.address;
        if (!relayHost) {
          throw new UserError(
            'relay-host-required',
            'this workstation has no LAN address to offer as SSH_RELAY_HOST',
            'Pass --relay-host <address the VM can reach>.',
          );
        }
        process.stderr.write(
          `relay ${relayHost} (offered: ` +
            `${defaults.relayHosts.map((a) => a.address).join(', ') || 'none'})` +
            `, tunnel port ${defaults.tunnelPort}, State Hub port ${defaults.hubPort}\n`,
        );
        const password = await readSecret(`temporary password for ${defaults.user}@${vmIp}: `);
        const report = await handlers['credentials.inject'](
          {
            vm,
            vmIp,
            sshPort,
            password,
            fingerprint,
            relayHost,
            relayUser: (values['relay-user'] as string | undefined) ?? defaults.relayUser,
            relayPort: values['relay-port'] ? Number(values['relay-port']) : 22,
            ...(keyDir ? { keyDir } : {}),
          },
          NO_HOST,
        );
        if (values.json) out(JSON.stringify(report));
        else for (const step of report.steps) out(`ok    ${step.step}: ${step.detail}`);
        return report.passwordLoginOff ? 0 : 1;
      }),
  },

  'install-ssh-config': {
    summary: 'write ~/.ssh/build-machines/<vm>.conf per VM and one Include in ~/.ssh/config',
    help:
      'bm install-ssh-config [--registry <file>] [--json]\n' +
      '  Your own lines in ~/.ssh/config are kept byte for byte; running it again changes\n' +
      '  nothing; VMs no longer in the registry lose their file. Then: ssh <vm>.',
    options: { ...COMMON },
    run: (values) =>
      withCore(values, async (core) => {
        const report = await hub(core)['sshConfig.install']({}, NO_HOST);
        if (values.json) out(JSON.stringify(report));
        else {
          out(
            (report.includeAdded ? 'added Include to ' : 'Include present in ') + report.configFile,
          );
          for (const file of report.written) out(`wrote     ${file}`);
          for (const file of report.unchanged) out(`unchanged ${file}`);
          for (const file of report.removed) out(`removed   ${file}`);
        }
        return 0;
      }),
  },

  'bridge-status': {
    summary: 'tunnel health of every VM: port, pinned handshake, RTT, State Hub registration',
    help:
      'bm bridge-status [--watch] [--json]\n' +
      '  Exits 0 when every VM is healthy, 1 otherwise. --watch prints on every change.',
    options: { ...COMMON, watch: { type: 'boolean' } },
    run: (values) =>
      withCore(values, async (core) => {
        const handlers = hub(core);
        if (!values.watch) {
          const snapshot = await handlers['health.snapshot']({}, NO_HOST);
          if (values.json) out(JSON.stringify(snapshot));
          else printSnapshot(snapshot);
          return snapshot.overall === 'green' ? 0 : 1;
        }
        await core.features.hub.start({ embedded: false });
        const unsubscribe = core.events.subscribe((name, payload) => {
          if (name !== 'health.changed') return;
          if (values.json) out(JSON.stringify(payload));
          else {
            out(`-- ${new Date().toISOString()}`);
            printSnapshot(payload as HealthSnapshot);
          }
        });
        await new Promise<void>((stop) => {
          process.once('SIGINT', () => stop());
          process.once('SIGTERM', () => stop());
        });
        unsubscribe();
        return 0;
      }),
  },

  doctor: {
    summary: "the seed's troubleshooting list as checks, each with a verdict and a fix",
    help: 'bm doctor [--vm <name>] [--json]\n  Exits 1 when a check fails.',
    options: { ...COMMON, vm: { type: 'string' } },
    run: (values) =>
      withCore(values, async (core) => {
        const vm = await chooseVm(core, values.vm as string | undefined);
        const report = await hub(core)['doctor.run']({ vm }, NO_HOST);
        if (values.json) out(JSON.stringify(report));
        else printChecks(report);
        return report.ok ? 0 : 1;
      }),
  },

  'smoke-test': {
    summary: 'walk the whole stack for one VM and report each layer',
    help:
      'bm smoke-test [--vm <name>] [--json]\n' +
      '  VM running, agent active, both tunnels, registration, ssh <vm> with the installed\n' +
      '  config, ghc --version. Exits 1 when a layer fails.',
    options: { ...COMMON, vm: { type: 'string' } },
    run: (values) =>
      withCore(values, async (core) => {
        const vm = await chooseVm(core, values.vm as string | undefined);
        const report = await hub(core)['smoke.run']({ vm }, NO_HOST);
        if (values.json) out(JSON.stringify(report));
        else printChecks(report);
        return report.ok ? 0 : 1;
      }),
  },

  clock: {
    summary: "compare a VM's clock with the workstation's; --resync sets it",
    help: 'bm clock [--vm <name>] [--resync] [--json]',
    options: { ...COMMON, vm: { type: 'string' }, resync: { type: 'boolean' } },
    run: (values) =>
      withCore(values, async (core) => {
        const vm = await chooseVm(core, values.vm as string | undefined);
        const op = values.resync ? 'health.resyncClock' : 'health.clock';
        const reading = await hub(core)[op]({ vm }, NO_HOST);
        if (values.json) out(JSON.stringify(reading));
        else {
          out(
            `${vm}: clock ${reading.driftMs >= 0 ? 'ahead by' : 'behind by'} ` +
              `${Math.abs(reading.driftMs)} ms${reading.drifted ? ' (drifted)' : ''}`,
          );
          if (reading.drifted && !reading.canResync) out(`resync with: ${reading.command}`);
        }
        return reading.drifted ? 1 : 0;
      }),
  },
};
