/** What every CLI command shares: options, opening the core, calling it, choosing the VM. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { createApiHandler } from '../core/api/api-handler.ts';
import type { OperationInput, OperationName, OperationOutput } from '../core/api/contract.ts';
import { createCore, type Core } from '../core/core.ts';
import { UserError } from '../core/errors.ts';

export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  summary: string;
  help: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  run(values: Values, positionals: string[]): Promise<number>;
}

export const COMMON = {
  help: { type: 'boolean' as const, short: 'h' },
  json: { type: 'boolean' as const },
  quiet: { type: 'boolean' as const, short: 'q' },
  registry: { type: 'string' as const },
  key: { type: 'string' as const },
};

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function openCore(values: Values): Promise<Core> {
  return createCore({
    version: packageVersion(),
    defaultRegistryPath: process.env.BM_REGISTRY ?? resolve('port-registry.yml'),
    overrides: {
      ...(typeof values.registry === 'string' ? { registryPath: resolve(values.registry) } : {}),
      ...(typeof values.key === 'string'
        ? { buildKeyPath: resolve(values.key) }
        : process.env.BM_BUILD_KEY
          ? { buildKeyPath: resolve(process.env.BM_BUILD_KEY) }
          : {}),
    },
  });
}

/** Opens the core for one command and closes it however the command ends. */
export async function withCore<T>(values: Values, body: (core: Core) => Promise<T>): Promise<T> {
  const core = await openCore(values);
  try {
    return await body(core);
  } finally {
    await core.close();
  }
}

/** Calls an operation through the same handler (and input validation) as the panel. */
export async function callOperation<K extends OperationName>(
  core: Core,
  operation: K,
  input: OperationInput<K>,
): Promise<OperationOutput<K>> {
  const result = await createApiHandler(core, { transport: 'websocket' })(operation, input);
  if (!result.ok) throw new UserError(result.error.code, result.error.message, result.error.fix);
  return result.value as OperationOutput<K>;
}

/**
 * Waits for a long job while Ctrl-C and SIGTERM cancel it. `on`, not `once`: a second Ctrl-C
 * while the job cleans up must not kill the CLI (and the tsx loader exits the process on a
 * signal nobody listens to any more); the listeners go when the job has ended.
 */
export async function waitCancellable<T>(done: Promise<T>, cancel: () => void): Promise<T> {
  process.on('SIGINT', cancel);
  process.on('SIGTERM', cancel);
  try {
    return await done;
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}

/** The VM to use: the one named, or the only one in the registry. */
export async function chooseVm(core: Core, named: string | undefined): Promise<string> {
  if (named) return named;
  const machines = await core.machines.list();
  if (machines.length === 1) return machines[0]!.name;
  throw new UserError(
    'vm-required',
    machines.length === 0
      ? 'the port registry lists no build machine'
      : `several build machines are registered (${machines.map((m) => m.name).join(', ')})`,
    machines.length === 0 ? 'Add one to port-registry.yml.' : 'Name one with VM=<name> (--vm).',
  );
}
