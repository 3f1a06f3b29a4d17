/** The image area (issue 4): building the OVA with Packer from the panel. */
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import {
  imageContract,
  type ImageBuild,
  type ImageCheck,
  type ImageLogLine,
} from '../api/contract-image.ts';
import type { CoreContext, Feature } from '../feature.ts';
import type { CommandRunner } from '../exec/command-runner.ts';
import { LocalRunner } from '../exec/local-runner.ts';
import { describeError, UserError } from '../errors.ts';
import { createLogger } from '../log/logger.ts';
import { ImageBuildStore } from './image-build-store.ts';
import { checkImageTools } from './image-tools.ts';
import { buildArguments, PackerRunner, type PackerBuildResult } from './packer-runner.ts';

export type ImageFeatureOperations = typeof imageContract.operations;

/** The repository's template; BM_PACKER_TEMPLATE_DIR points elsewhere (a packaged app). */
export const DEFAULT_TEMPLATE_DIR = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'packer',
  'haskell',
);

export interface ImageFeatureOptions {
  /** Where Packer and VirtualBox run: this machine by default, or the VirtualBox host. */
  runner?: CommandRunner;
  /** The template folder on the runner's host. */
  templateDir?: string;
  packerPath?: string;
  vboxManagePath?: string;
}

// Log lines reach the windows in batches: Packer can print hundreds of lines a second while
// it provisions, and one event per line would swamp a browser-mode socket.
const LOG_FLUSH_MS = 100;
// Packer deletes its build VM after an interrupt; the runner force-kills it after its grace.
const CANCEL_WAIT_MS = 30_000;

interface ActiveBuild {
  record: ImageBuild;
  controller: AbortController;
  done: Promise<ImageBuild>;
  pending: ImageLogLine[];
  flushTimer: ReturnType<typeof setTimeout> | undefined;
}

export async function createImageFeature(
  context: CoreContext,
  options: ImageFeatureOptions = {},
): Promise<Feature<ImageFeatureOperations>> {
  const runner = options.runner ?? new LocalRunner();
  const templateDir =
    options.templateDir ?? (process.env.BM_PACKER_TEMPLATE_DIR || DEFAULT_TEMPLATE_DIR);
  const packerPath = options.packerPath ?? 'packer';
  const packer = new PackerRunner(runner, packerPath);
  const store = new ImageBuildStore(join(context.paths.stateDir, 'image-builds'));
  const active = new Map<string, ActiveBuild>();
  const log = createLogger('image');

  const check = (signal?: AbortSignal): Promise<ImageCheck> =>
    checkImageTools(runner, templateDir, {
      packerPath,
      ...(options.vboxManagePath ? { vboxManagePath: options.vboxManagePath } : {}),
      ...(signal ? { signal } : {}),
    });

  const publish = (build: ActiveBuild) => {
    context.events.emit('image.updated', { ...build.record });
  };

  const flush = (build: ActiveBuild) => {
    clearTimeout(build.flushTimer);
    build.flushTimer = undefined;
    if (build.pending.length === 0) return;
    const lines = build.pending;
    build.pending = [];
    const index = build.record.logLines - lines.length;
    store.append(build.record.id, lines);
    context.events.emit('image.output', { buildId: build.record.id, index, lines });
  };

  const addLine = (build: ActiveBuild, line: ImageLogLine) => {
    build.pending.push(line);
    build.record.logLines += 1;
    build.flushTimer ??= setTimeout(() => flush(build), LOG_FLUSH_MS);
  };

  const finish = async (build: ActiveBuild, outcome: PackerBuildResult | Error) => {
    flush(build);
    const record = build.record;
    const finishedAt = new Date();
    record.finishedAt = finishedAt.toISOString();
    record.durationMs = finishedAt.getTime() - Date.parse(record.startedAt);

    if (outcome instanceof Error) {
      const cancelled = build.controller.signal.aborted;
      record.status = cancelled ? 'cancelled' : 'failed';
      if (!cancelled) {
        record.error = describeError(outcome);
        record.failedStep = record.step ?? 'checking Packer and running packer init';
        addLine(build, { level: 'error', text: record.error.message });
        flush(build);
      }
    } else {
      record.packerVersion = outcome.packerVersion;
      record.outputDirectory = outcome.outputDirectory;
      record.status = outcome.status;
      if (outcome.status === 'succeeded') {
        record.ovaPath = outcome.ovaPath;
        record.sizeBytes = outcome.sizeBytes;
      } else if (outcome.status === 'failed') {
        record.errors = outcome.errors;
        record.failedStep = outcome.failedStep ?? record.step ?? 'packer build';
      } else {
        record.outputRemoved = outcome.outputRemoved;
      }
    }
    await store.settle(record.id);
    await store.save(record);
    active.delete(record.id);
    log.info(`image build ${record.status}`, {
      id: record.id,
      ova: record.ovaPath,
      step: record.failedStep,
      ms: record.durationMs,
    });
    publish(build);
    return { ...record };
  };

  const start = async (ghcVersions: string[]): Promise<ImageBuild> => {
    // Packer's argv is checked now, so a bad version is an error here rather than a failed run.
    buildArguments({ templateDir, ghcVersions }, 'output');
    const running = [...active.values()][0];
    if (running) {
      throw new UserError(
        'image-build-running',
        `An image build is already running (${running.record.id}, started ` +
          `${running.record.startedAt}).`,
        'Wait for it to finish or cancel it: two Packer builds at once would fight over ' +
          'VirtualBox and the output folder.',
      );
    }
    const tools = await check();
    for (const tool of [tools.packer, tools.virtualbox]) {
      if (!tool.ok) {
        throw new UserError(
          'image-tools-missing',
          tool.message ?? 'A build tool is missing.',
          tool.fix,
        );
      }
    }

    const started = new Date();
    const id = `img-${started.getTime().toString(36)}`;
    const stamp = started.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const outputDirectory =
      runner.host === 'local'
        ? join(templateDir, `output-${stamp}`)
        : `${templateDir}/output-${stamp}`;
    const controller = new AbortController();
    const record: ImageBuild = {
      id,
      status: 'running',
      ghcVersions,
      host: runner.host,
      templateDir,
      outputDirectory,
      startedAt: started.toISOString(),
      ...(tools.packer.version ? { packerVersion: tools.packer.version } : {}),
      step: 'packer init',
      errors: [],
      logLines: 0,
    };
    const build: ActiveBuild = {
      record,
      controller,
      // Replaced by the build's promise below, before Packer starts.
      done: Promise.resolve({ ...record }),
      pending: [],
      flushTimer: undefined,
    };
    active.set(id, build);
    await store.save(build.record);
    log.info('image build started', { id, ghc: ghcVersions.join(' '), host: runner.host });

    build.done = packer
      .build({
        templateDir,
        ghcVersions,
        outputDirectory,
        buildId: id,
        signal: controller.signal,
        onLog: (line) => addLine(build, { level: line.level, text: line.text }),
        onStep: (step) => {
          build.record.step = step.step;
          flush(build);
          publish(build);
        },
      })
      .then(
        (result) => finish(build, result),
        (error: unknown) =>
          finish(build, error instanceof Error ? error : new Error(String(error))),
      );
    publish(build);
    return { ...build.record };
  };

  const get = async (buildId: string): Promise<ImageBuild> => {
    const running = active.get(buildId);
    if (running) return { ...running.record };
    const stored = await store.get(buildId);
    if (!stored) {
      throw new UserError(
        'image-build-unknown',
        `No image build ${buildId}.`,
        'Pick one from the list of image builds.',
      );
    }
    return stored;
  };

  return {
    handlers: {
      'image.check': () => check(),
      'image.build': ({ ghcVersions }) => start(ghcVersions),
      'image.cancel': async ({ buildId }) => {
        const build = active.get(buildId);
        if (!build) return get(buildId);
        log.warn('image build cancel requested', { id: buildId, step: build.record.step });
        build.controller.abort();
        const timeout = delay(CANCEL_WAIT_MS, undefined, { ref: false });
        return (await Promise.race([build.done, timeout])) ?? { ...build.record };
      },
      'image.get': ({ buildId }) => get(buildId),
      'image.list': async ({ limit }) => {
        const stored = await store.list(limit ?? 50);
        const live = [...active.values()].map((build) => ({ ...build.record }));
        const ids = new Set(live.map((build) => build.id));
        return [...live, ...stored.filter((build) => !ids.has(build.id))].slice(0, limit ?? 50);
      },
      'image.log': async ({ buildId }) => {
        const build = active.get(buildId);
        if (build) flush(build);
        await get(buildId);
        return { lines: await store.log(buildId) };
      },
    },
    close: async () => {
      for (const build of active.values()) build.controller.abort();
      await Promise.all([...active.values()].map((build) => build.done));
    },
  };
}
