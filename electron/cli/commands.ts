import { join, resolve } from 'node:path';

import type { BuildKind } from '../core/api/contract.ts';
import { createApiHandler } from '../core/api/api-handler.ts';
import { UserError } from '../core/errors.ts';
import { startBrowserServer } from '../server/browser-server.ts';
import {
  callOperation,
  chooseVm,
  COMMON,
  openCore,
  REPO_ROOT,
  waitCancellable,
  withCore,
  type Command,
} from './cli-support.ts';
import { hubCommands } from './commands-hub.ts';
import { imageCommands } from './commands-image.ts';
import { vmCommands } from './commands-vms.ts';
import { workspaceCommands } from './commands-workspace.ts';

function buildCommand(kind: BuildKind): Command {
  const verb = kind === 'build' ? 'build' : 'test';
  return {
    summary: `cabal ${verb} a local project on a build machine, streaming its output`,
    help:
      `bm remote-${verb} --project <folder> [--vm <name>] [--ghc <version>] [--json]\n` +
      `  Syncs the folder to the VM (without dist-newstyle, .git and .gitignore'd files), runs\n` +
      `  cabal ${verb} there and exits with cabal's exit code.`,
    options: {
      ...COMMON,
      project: { type: 'string' },
      vm: { type: 'string' },
      ghc: { type: 'string' },
    },
    async run(values) {
      if (typeof values.project !== 'string' || values.project === '') {
        throw new UserError(
          'project-required',
          'no project folder given',
          'Pass PROJECT=<folder> (make) or --project <folder>.',
        );
      }
      const project = values.project;
      return withCore(values, async (core) => {
        const vm = await chooseVm(core, values.vm as string | undefined);
        let runId = '';
        const unsubscribe = core.events.subscribe((name, payload) => {
          if (name !== 'build.output' || values.json) return;
          const output = payload as { runId: string; text: string };
          if (output.runId === runId) process.stdout.write(output.text.replace(/\r\n/g, '\n'));
        });

        const started = await callOperation(core, 'builds.start', {
          vm,
          project,
          kind,
          ...(typeof values.ghc === 'string' && values.ghc !== '' ? { ghc: values.ghc } : {}),
        });
        runId = started.id;

        const run = await waitCancellable(
          core.builds.wait(runId),
          () => void core.builds.cancel(runId),
        );
        unsubscribe();

        if (values.json) process.stdout.write(JSON.stringify({ ok: true, run }) + '\n');
        if (run.error && !values.json) {
          throw new UserError(run.error.code, run.error.message, run.error.fix);
        }
        return run.exitCode ?? (run.status === 'succeeded' ? 0 : 1);
      });
    },
  };
}

export const commands: Record<string, Command> = {
  ...vmCommands,
  ...imageCommands,
  ...hubCommands,
  ...workspaceCommands,
  'remote-build': buildCommand('build'),
  'remote-test': buildCommand('test'),

  status: {
    summary: 'probe each registered build machine over its tunnel',
    help:
      'bm status [--json]\n' +
      "  Checks that SSH answers on each VM's tunnel port with its pinned host key.",
    options: COMMON,
    run: (values) =>
      withCore(values, async (core) => {
        const machines = await core.machines.list();
        const statuses = await Promise.all(machines.map((m) => core.machines.probe(m.name)));
        if (values.json) {
          process.stdout.write(JSON.stringify({ ok: true, machines: statuses }) + '\n');
        } else {
          for (const status of statuses) {
            const rtt = status.rttMs !== undefined ? ` (${status.rttMs} ms)` : '';
            process.stdout.write(
              `${status.name}\tport ${status.port}\t${status.ssh}${rtt}` +
                `${status.message ? `\t${status.message}` : ''}\n`,
            );
          }
        }
        return statuses.every((status) => status.ssh === 'answering') ? 0 : 3;
      }),
  },

  'trust-host-key': {
    summary: 'pin the host key a VM presents, after checking its fingerprint',
    help:
      'bm trust-host-key <vm> <SHA256:fingerprint>\n' +
      '  Run `bm status` first: it shows the fingerprint the VM presents.',
    options: COMMON,
    async run(values, positionals) {
      const [vm, fingerprint] = positionals;
      if (!vm || !fingerprint) {
        throw new UserError(
          'usage',
          'trust-host-key needs a VM name and a fingerprint',
          'bm trust-host-key <vm> SHA256:...',
        );
      }
      return withCore(values, async (core) => {
        await core.machines.probe(vm);
        const status = await core.machines.trustHostKey(vm, fingerprint);
        process.stdout.write(`${vm}: pinned ${fingerprint}; ssh ${status.ssh}\n`);
        return status.ssh === 'answering' ? 0 : 3;
      });
    },
  },

  serve: {
    summary: 'serve the panel to a browser on 127.0.0.1 (browser mode)',
    help:
      'bm serve [--port <n>] [--static <folder>]\n' +
      '  Prints the URL with its access token; keep it private.',
    options: { ...COMMON, port: { type: 'string' }, static: { type: 'string' } },
    async run(values) {
      const core = await openCore(values);
      // The State Hub (its own, when none answers) and the tunnel health probes (issue 5).
      await core.features.hub.start();
      const handler = createApiHandler(core, { transport: 'websocket' });
      const server = await startBrowserServer({
        handler,
        events: core.events,
        staticDir: resolve(
          typeof values.static === 'string' ? values.static : join(REPO_ROOT, 'out', 'renderer'),
        ),
        port: values.port ? Number(values.port) : 0,
        ...(process.env.BM_TOKEN ? { token: process.env.BM_TOKEN } : {}),
      });
      process.stdout.write(`Build Machines panel: ${server.url}\n`);

      await new Promise<void>((resolveStop) => {
        process.once('SIGINT', () => resolveStop());
        process.once('SIGTERM', () => resolveStop());
      });
      await server.close();
      await core.close();
      return 0;
    },
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return (
    `usage: bm <command> [options]   (bm <command> --help for details)\n\n` +
    `${lines.join('\n')}\n`
  );
}
