/** CLI commands for GHCi, artefacts, GHC versions (issue 6). */
import { randomUUID } from 'node:crypto';

import type { Core } from '../core/core.ts';
import { UserError } from '../core/errors.ts';
import {
  callOperation,
  chooseVm,
  COMMON,
  withCore,
  type Command,
  type Values,
} from './cli-support.ts';

function requireProject(values: Values): string {
  if (typeof values.project !== 'string' || values.project === '') {
    throw new UserError(
      'project-required',
      'no project folder given',
      'Pass PROJECT=<folder> (make) or --project <folder>.',
    );
  }
  return values.project;
}

/** Opens the core for the VM named by --vm, or the only one registered. */
function withVm(values: Values, run: (core: Core, vm: string) => Promise<number>) {
  return withCore(values, async (core) =>
    run(core, await chooseVm(core, values.vm as string | undefined)),
  );
}

/** Streams a job's live log to stdout (unless --json) and exits with the job's exit code. */
async function loggedJob(
  values: Values,
  run: (core: Core, vm: string, jobId: string) => Promise<{ exitCode: number | null }>,
): Promise<number> {
  return withVm(values, async (core, vm) => {
    const jobId = `cli-${randomUUID()}`;
    const unsubscribe = core.events.subscribe((name, payload) => {
      const log = payload as { jobId: string; text: string };
      if (name === 'workspace.log' && log.jobId === jobId && !values.json) {
        process.stdout.write(log.text.replace(/\r\n/g, '\n'));
      }
    });
    try {
      const result = await run(core, vm, jobId);
      if (values.json) process.stdout.write(JSON.stringify({ ok: true, ...result }) + '\n');
      return result.exitCode ?? 1;
    } finally {
      unsubscribe();
    }
  });
}

const VM_OPTION = { vm: { type: 'string' as const } };

export const workspaceCommands: Record<string, Command> = {
  'remote-ghci': {
    summary: 'cabal repl (or plain GHCi) on a build machine, in this terminal',
    help:
      'bm remote-ghci [--project <folder>] [--vm <name>] [--ghc <version>]\n' +
      '  Syncs the project to the VM and runs cabal repl there in a PTY attached to this\n' +
      '  terminal; without --project, plain GHCi. Ctrl-C interrupts GHCi; :quit ends it.\n' +
      '  Exits with the REPL exit code, or 3 when the connection drops.',
    options: {
      ...COMMON,
      ...VM_OPTION,
      project: { type: 'string' },
      ghc: { type: 'string' },
    },
    run: (values) =>
      withVm(values, async (core, vm) => {
        const stdin = process.stdin;
        const stdout = process.stdout;
        const terminals = core.features.workspace.terminals;
        let id: string | undefined;
        const early: { id: string; offset: number; data: string }[] = [];
        let settle: ((code: number) => void) | undefined;
        let endedEarly: number | undefined;

        const show = (output: { id: string; offset: number; data: string }) =>
          // Acknowledged once the local terminal has taken it: the flow control xterm uses.
          stdout.write(output.data, () =>
            terminals.ack(output.id, output.offset + output.data.length),
          );
        const end = (code: number) => (settle ? settle(code) : (endedEarly = code));

        // Subscribed before opening: GHCi may greet before the open call returns.
        const unsubscribe = core.events.subscribe((name, payload) => {
          if (name === 'terminal.output') {
            const output = payload as { id: string; offset: number; data: string };
            if (id === undefined) early.push(output);
            else if (output.id === id) show(output);
          } else if (name === 'terminal.state') {
            const state = payload as { id: string; state: string; message?: string };
            if (state.id !== id) return;
            if (state.state === 'dropped') {
              process.stderr.write(`\nbm: ${state.message ?? 'the connection dropped'}\n`);
              end(3);
            } else if (state.state === 'closed') {
              end(terminals.terminal(state.id).exitCode ?? 0);
            }
          }
        });

        try {
          const info = await callOperation(core, 'terminal.open', {
            vm,
            cols: stdout.columns || 80,
            rows: stdout.rows || 24,
            persistent: false,
            ...(typeof values.project === 'string' ? { project: values.project } : {}),
            ...(typeof values.ghc === 'string' ? { ghc: values.ghc } : {}),
          });
          id = info.id;
          early.filter((output) => output.id === info.id).forEach(show);

          const onData = (data: Buffer) => {
            try {
              terminals.input(info.id, data.toString('utf8'));
            } catch {
              // The REPL ended between keystrokes; its state event ends the session.
            }
          };
          const onResize = () =>
            terminals.resize(info.id, { cols: stdout.columns || 80, rows: stdout.rows || 24 });

          // Raw mode: Ctrl-C reaches GHCi as \x03 instead of ending this process.
          if (stdin.isTTY) stdin.setRawMode(true);
          stdin.on('data', onData);
          stdin.resume();
          stdout.on('resize', onResize);
          try {
            return await new Promise<number>((resolve) => {
              settle = resolve;
              if (endedEarly !== undefined) resolve(endedEarly);
            });
          } finally {
            stdin.off('data', onData);
            stdout.off('resize', onResize);
            if (stdin.isTTY) stdin.setRawMode(false);
            stdin.pause();
          }
        } finally {
          unsubscribe();
        }
      }),
  },

  'fetch-artifacts': {
    summary: 'copy the built executables of a project from a build machine',
    help:
      'bm fetch-artifacts --project <folder> [--dest <folder>] [--vm <name>] [--json]\n' +
      '  Finds each executable with `cabal list-bin` on the VM and copies it into --dest\n' +
      '  (default: <project>/bin), checking its SHA-256 on both sides. A failed copy keeps the\n' +
      '  previous file. Exit codes: 0 copied, 2 not built or bad input, 1 other failure.',
    options: { ...COMMON, ...VM_OPTION, project: { type: 'string' }, dest: { type: 'string' } },
    run: (values) =>
      withVm(values, async (core, vm) => {
        const project = requireProject(values);
        const dest = typeof values.dest === 'string' ? values.dest : `${project}/bin`;
        const jobId = `cli-${randomUUID()}`;
        let lastShown = -1;
        const unsubscribe = core.events.subscribe((name, payload) => {
          const progress = payload as { jobId: string; file: string; bytes: number; total: number };
          if (name !== 'artifacts.progress' || progress.jobId !== jobId || values.json) return;
          const percent = Math.floor((100 * progress.bytes) / Math.max(progress.total, 1));
          if (percent === lastShown || !process.stderr.isTTY) return;
          lastShown = percent;
          process.stderr.write(`\r${progress.file} ${percent}%`);
        });
        const result = await callOperation(core, 'artifacts.fetch', {
          vm,
          project,
          dest,
          jobId,
        }).finally(unsubscribe);
        if (lastShown >= 0) process.stderr.write('\n');
        if (values.json) {
          process.stdout.write(JSON.stringify({ ok: true, ...result }) + '\n');
        } else {
          for (const file of result.files) {
            process.stdout.write(`${file.localPath}\t${file.bytes} bytes\tsha256 ${file.sha256}\n`);
          }
        }
        return result.files.every((file) => file.verified) ? 0 : 1;
      }),
  },

  'ghc-list': {
    summary: 'list the GHC versions installed on a build machine',
    help:
      'bm ghc-list [--vm <name>] [--json]\n' +
      '  GHCup versions and ghc-X.Y.Z on PATH; the default (what `ghc` runs) is marked *.',
    options: { ...COMMON, ...VM_OPTION },
    run: (values) =>
      withVm(values, async (core, vm) => {
        const list = await callOperation(core, 'ghc.list', { vm });
        if (values.json) {
          process.stdout.write(JSON.stringify({ ok: true, vm, ...list }) + '\n');
        } else {
          for (const { version, isDefault } of list.versions) {
            process.stdout.write(`${isDefault ? '*' : ' '} ${version}\n`);
          }
          if (!list.ghcup) process.stdout.write(`(GHCup is not installed on ${vm})\n`);
        }
        return 0;
      }),
  },

  'ghc-install': {
    summary: 'install a GHC version on a build machine with GHCup (live log)',
    help: 'bm ghc-install <version> [--vm <name>]\n  Runs `ghcup install ghc <version>` on the VM.',
    options: { ...COMMON, ...VM_OPTION },
    run: (values, [version]) =>
      loggedJob(values, (core, vm, jobId) =>
        callOperation(core, 'ghc.install', { vm, version: version ?? '', jobId }),
      ),
  },

  'ghc-default': {
    summary: 'make a GHC version the default on a build machine (ghcup set)',
    help: 'bm ghc-default <version> [--vm <name>]\n  Runs `ghcup set ghc <version>` on the VM.',
    options: { ...COMMON, ...VM_OPTION },
    run: (values, [version]) =>
      loggedJob(values, (core, vm, jobId) =>
        callOperation(core, 'ghc.setDefault', { vm, version: version ?? '', jobId }),
      ),
  },

  'apt-install': {
    summary: 'install Debian packages (system libraries) on a build machine (live log)',
    help:
      'bm apt-install <package>... [--vm <name>]\n' +
      '  Runs `sudo apt-get install -y` on the VM; names are checked before anything runs.',
    options: { ...COMMON, ...VM_OPTION },
    run: (values, packages) =>
      loggedJob(values, (core, vm, jobId) =>
        callOperation(core, 'apt.install', { vm, packages, jobId }),
      ),
  },
};
