/** The workspace area (issue 6): GHCi terminals, artefacts, GHC versions. */
import { workspaceContract } from '../api/contract-workspace.ts';
import { UserError } from '../errors.ts';
import type { CoreContext, Feature } from '../feature.ts';
import { fetchArtifacts } from './artifacts.ts';
import { aptInstall, installGhc, listGhc, setDefaultGhc } from './ghc-tools.ts';
import { TerminalManager } from './terminal-manager.ts';

export type WorkspaceFeatureOperations = typeof workspaceContract.operations;

export interface WorkspaceFeature extends Feature<WorkspaceFeatureOperations> {
  terminals: TerminalManager;
}

export async function createWorkspaceFeature(context: CoreContext): Promise<WorkspaceFeature> {
  const terminals = new TerminalManager(context);
  const fetches = new Map<string, AbortController>();
  const logTo = (jobId: string) => (text: string) =>
    context.events.emit('workspace.log', { jobId, text });

  return {
    terminals,
    handlers: {
      'terminal.open': (input) => terminals.open(input),
      'terminal.input': async ({ id, data }) => (terminals.input(id, data), {}),
      'terminal.resize': async ({ id, cols, rows }) => (terminals.resize(id, { cols, rows }), {}),
      'terminal.ack': async ({ id, offset }) => (terminals.ack(id, offset), {}),
      'terminal.reconnect': ({ id }) => terminals.reconnect(id),
      'terminal.close': async ({ id }) => (await terminals.close(id), {}),
      'terminal.list': async () => terminals.list(),

      'artifacts.fetch': async ({ vm, project, dest, jobId }) => {
        if (fetches.has(jobId)) {
          throw new UserError('job-busy', `fetch ${jobId} is running already`, 'Wait for it.');
        }
        const abort = new AbortController();
        fetches.set(jobId, abort);
        try {
          return await fetchArtifacts(
            context.machines,
            { vm, project, dest },
            {
              signal: abort.signal,
              onProgress: (progress) =>
                context.events.emit('artifacts.progress', { jobId, ...progress }),
            },
          );
        } finally {
          fetches.delete(jobId);
        }
      },
      'artifacts.cancel': async ({ jobId }) => (fetches.get(jobId)?.abort(), {}),
      'artifacts.pickFolder': async (_input, host) => {
        if (!host.pickFolder) {
          throw new UserError(
            'no-native-dialog',
            'this window has no native folder dialog',
            'Type the destination folder in the field.',
          );
        }
        return host.pickFolder();
      },

      'ghc.list': async ({ vm }) => listGhc(await context.machines.session(vm)),
      'ghc.install': async ({ vm, version, jobId }) =>
        installGhc(await context.machines.session(vm), vm, version, logTo(jobId)),
      'ghc.setDefault': async ({ vm, version, jobId }) =>
        setDefaultGhc(await context.machines.session(vm), vm, version, logTo(jobId)),
      'apt.install': async ({ vm, packages, jobId }) =>
        aptInstall(await context.machines.session(vm), vm, packages, logTo(jobId)),
    },
    close: async () => {
      for (const abort of fetches.values()) abort.abort();
      await terminals.closeAll();
    },
  };
}
