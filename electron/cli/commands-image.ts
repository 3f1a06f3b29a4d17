/** CLI commands for the build-machine image (issue 4). */
import type { ImageBuild, ImageTool } from '../core/api/contract-image.ts';
import type { Core } from '../core/core.ts';
import { UserError } from '../core/errors.ts';
import { DEFAULT_GHC_VERSIONS, formatSize } from '../core/packer/image-display.ts';
import {
  callOperation,
  COMMON,
  waitCancellable,
  withCore,
  type Command,
  type Values,
} from './cli-support.ts';

function parseGhc(values: Values): string[] {
  if (typeof values.ghc !== 'string') return [...DEFAULT_GHC_VERSIONS];
  const versions = values.ghc
    .split(',')
    .map((version) => version.trim())
    .filter((version) => version !== '');
  if (versions.length === 0) {
    throw new UserError(
      'usage',
      '--ghc names no GHC version',
      'Pass versions separated by commas, default first: --ghc 9.8.4,9.6.6',
    );
  }
  return versions;
}

function toolLine(name: string, tool: ImageTool): string {
  if (tool.ok) return `${name}: ${tool.version ?? 'found'}\n`;
  return `${name}: NOT USABLE: ${tool.message}\n${tool.fix ? `  fix: ${tool.fix}\n` : ''}`;
}

function summary(build: ImageBuild): string {
  switch (build.status) {
    case 'succeeded':
      return (
        `Image ready to import: ${build.ovaPath} (${formatSize(build.sizeBytes ?? 0)}) ` +
        `on ${build.host}\n  import it with the panel, or: VBoxManage import ${build.ovaPath}\n`
      );
    case 'cancelled':
      return (
        `Image build ${build.id} cancelled` +
        (build.outputRemoved ? '; its partial output was removed.\n' : '.\n')
      );
    case 'failed':
      return (
        `Image build ${build.id} failed at step: ${build.failedStep ?? 'unknown'}\n` +
        [...build.errors, ...(build.error ? [build.error.message] : [])]
          .map((error) => `  ${error}\n`)
          .join('') +
        (build.error?.fix ? `  fix: ${build.error.fix}\n` : '') +
        `  full log: bm image-builds --log ${build.id}\n`
      );
    default:
      return `Image build ${build.id} is ${build.status}\n`;
  }
}

const EXIT = { succeeded: 0, failed: 1, cancelled: 130, running: 1 } as const;

export const imageCommands: Record<string, Command> = {
  'build-image': {
    summary: 'build the Haskell build-machine OVA with Packer, streaming its log',
    help:
      'bm build-image [--ghc 9.8.4,9.6.6] [--json]\n' +
      '  Checks Packer (>= 1.10) and VirtualBox (>= 7.0), runs `packer init` and\n' +
      '  `packer build` in packer/haskell and prints the OVA path when it is ready to import.\n' +
      '  The first GHC version becomes the default ghc. Ctrl-C cancels (Packer removes its VM).\n' +
      '  Exit: 0 built, 1 failed (the failing step is named), 2 not possible here, 130 cancelled.',
    options: { ...COMMON, ghc: { type: 'string' } },
    async run(values) {
      const ghcVersions = parseGhc(values);
      return withCore(values, async (core) => {
        let buildId = '';
        const unsubscribe = core.events.subscribe((name, payload) => {
          if (values.json || name !== 'image.output') return;
          const output = payload as { buildId: string; lines: { text: string }[] };
          if (output.buildId !== buildId) return;
          for (const line of output.lines) process.stdout.write(`${line.text}\n`);
        });

        const started = await callOperation(core, 'image.build', { ghcVersions });
        buildId = started.id;
        if (!values.json) {
          process.stdout.write(
            `Building image ${buildId} with GHC ${ghcVersions.join(', ')} on ${started.host}\n`,
          );
        }
        const build = await waitCancellable(
          waitFor(core, buildId),
          () => void callOperation(core, 'image.cancel', { buildId }),
        );
        unsubscribe();
        if (values.json) process.stdout.write(JSON.stringify({ ok: true, build }) + '\n');
        else process.stdout.write(summary(build));
        return EXIT[build.status];
      });
    },
  },

  'image-check': {
    summary: 'check that Packer and VirtualBox can build the image here',
    help:
      'bm image-check [--json]\n' +
      '  Exit: 0 when a build can start, 2 when Packer or VirtualBox is missing or too old.',
    options: COMMON,
    run: (values) =>
      withCore(values, async (core) => {
        const check = await callOperation(core, 'image.check', {});
        if (values.json) {
          process.stdout.write(JSON.stringify({ ok: true, check }) + '\n');
        } else {
          process.stdout.write(
            `Build host: ${check.host}\nTemplate: ${check.templateDir}\n` +
              toolLine('Packer', check.packer) +
              toolLine('VirtualBox', check.virtualbox),
          );
        }
        return check.ready ? 0 : 2;
      }),
  },

  'image-builds': {
    summary: 'list past image builds, or print one build log (--log <id>)',
    help: 'bm image-builds [--log <id>] [--json]',
    options: { ...COMMON, log: { type: 'string' } },
    run: (values) =>
      withCore(values, async (core) => {
        if (typeof values.log === 'string') {
          const { lines } = await callOperation(core, 'image.log', { buildId: values.log });
          if (values.json) process.stdout.write(JSON.stringify({ ok: true, lines }) + '\n');
          else for (const line of lines) process.stdout.write(`${line.text}\n`);
          return 0;
        }
        const builds = await callOperation(core, 'image.list', {});
        if (values.json) {
          process.stdout.write(JSON.stringify({ ok: true, builds }) + '\n');
        } else if (builds.length === 0) {
          process.stdout.write('No image builds yet: run `bm build-image`.\n');
        } else {
          for (const build of builds) {
            const detail =
              build.status === 'succeeded'
                ? `${build.ovaPath} (${formatSize(build.sizeBytes ?? 0)})`
                : build.status === 'failed'
                  ? `failed at: ${build.failedStep ?? 'unknown'}`
                  : build.status;
            process.stdout.write(
              `${build.id}\t${build.startedAt}\tGHC ${build.ghcVersions.join(',')}\t${detail}\n`,
            );
          }
        }
        return 0;
      }),
  },
};

/** Resolves when the build leaves "running", from its update events. */
function waitFor(core: Core, buildId: string): Promise<ImageBuild> {
  return new Promise((resolve, reject) => {
    const unsubscribe = core.events.subscribe((name, payload) => {
      if (name !== 'image.updated') return;
      const build = payload as ImageBuild;
      if (build.id !== buildId || build.status === 'running') return;
      unsubscribe();
      resolve(build);
    });
    // The build may have ended before the subscription: ask once.
    callOperation(core, 'image.get', { buildId }).then((build) => {
      if (build.status !== 'running') {
        unsubscribe();
        resolve(build);
      }
    }, reject);
  });
}
