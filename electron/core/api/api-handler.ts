import { describeError, UserError } from '../errors.ts';
import type { Core } from '../core.ts';
import type { HostCapabilities } from '../feature.ts';
import {
  completeFolderPath,
  inspectProject,
  normalizeProjectPath,
} from '../projects/project-inspect.ts';
import { createLogger } from '../log/logger.ts';
import {
  isOperationName,
  operations,
  type CallResult,
  type OperationInput,
  type OperationName,
  type OperationOutput,
} from './contract.ts';

const log = createLogger('api');

export type { HostCapabilities } from '../feature.ts';

type Implementations = {
  [K in OperationName]: (
    input: OperationInput<K>,
    host: HostCapabilities,
  ) => Promise<OperationOutput<K>>;
};

function implementations(core: Core, host: HostCapabilities): Implementations {
  return {
    'app.info': async () => core.info(host.transport, host.pickFolder !== undefined),
    'machines.list': () => core.machines.list(),
    'machines.probe': ({ vm }) => core.machines.probe(vm),
    'machines.trustHostKey': ({ vm, fingerprint }) => core.machines.trustHostKey(vm, fingerprint),
    'machines.ghcVersions': ({ vm }) => core.machines.ghcVersions(vm),
    'projects.inspect': ({ path }) => inspectProject(path),
    'projects.complete': ({ prefix }) => completeFolderPath(prefix),
    'projects.pickFolder': async () => {
      if (!host.pickFolder) {
        throw new UserError(
          'no-native-dialog',
          'this window has no native folder dialog',
          'Type the project path in the field; it completes folder names.',
        );
      }
      return host.pickFolder();
    },
    'builds.start': (input) => core.builds.start(input),
    'builds.cancel': ({ runId }) => core.builds.cancel(runId),
    'builds.get': ({ runId }) => core.builds.get(runId),
    'builds.list': ({ project, limit }) =>
      core.builds.list({ ...(project ? { project: normalizeProjectPath(project) } : {}), limit }),
    'builds.log': ({ runId }) => core.builds.log(runId),
    ...core.features.vms.handlers,
    ...core.features.image.handlers,
    ...core.features.hub.handlers,
    ...core.features.workspace.handlers,
  };
}

export type ApiHandler = (operation: unknown, input: unknown) => Promise<CallResult<unknown>>;

/**
 * The single entry point both transports call with untrusted data: checks the operation name,
 * validates the input against its schema, runs it, and turns any failure into an ApiError.
 */
export function createApiHandler(core: Core, host: HostCapabilities): ApiHandler {
  const table = implementations(core, host);

  return async (operation, input) => {
    if (!isOperationName(operation)) {
      return {
        ok: false,
        error: { code: 'unknown-operation', message: `unknown operation ${String(operation)}` },
      };
    }

    const parsed = operations[operation].input.safeParse(input ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'input';
      return {
        ok: false,
        error: {
          code: 'invalid-input',
          message: `${operation}: ${field}: ${issue?.message ?? 'invalid'}`,
          fix: 'Check the value of that field.',
        },
      };
    }

    try {
      const run = table[operation] as (value: unknown, host: HostCapabilities) => Promise<unknown>;
      return { ok: true, value: await run(parsed.data, host) };
    } catch (error) {
      const described = describeError(error);
      if (described.code === 'internal')
        log.error(`${operation} failed`, { error: described.message });
      else log.debug(`${operation} refused`, { code: described.code });
      return { ok: false, error: described };
    }
  };
}
