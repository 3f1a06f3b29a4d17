import { isAbsolute, join, posix } from 'node:path';

import type { CommandRunner } from '../exec/command-runner.ts';
import { UserError } from '../errors.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { diagnosePackerOutput, type PackerDiagnosis } from './packer-diagnostics.ts';
import {
  PackerOutputParser,
  type PackerArtifact,
  type PackerEvent,
  type PackerLogLine,
} from './packer-output.ts';
import { PackerSummary, type PackerStep } from './packer-summary.ts';
import { checkPackerVersion, type PackerVersion } from './packer-version.ts';

export interface PackerBuildOptions {
  /** Directory holding the template (packer/haskell), on the runner's host. */
  templateDir: string;
  /** GHC versions for the image, default first; the template's default when omitted. */
  ghcVersions?: readonly string[];
  /** Further -var values. Values are never logged (they may hold passwords). */
  variables?: Readonly<Record<string, string>>;
  /** Where the OVA goes; must not exist. Default: <templateDir>/output-<timestamp>. */
  outputDirectory?: string;
  /** Names the log scope: build:<buildId>. */
  buildId?: string;
  signal?: AbortSignal;
  onLog?: (line: PackerLogLine) => void;
  onStep?: (step: PackerStep) => void;
  onEvent?: (event: PackerEvent) => void;
}

interface BuildRecord {
  packerVersion: string;
  outputDirectory: string;
  log: PackerLogLine[];
  diagnoses: PackerDiagnosis[];
  durationMs: number;
}

export type PackerBuildResult =
  | (BuildRecord & {
      status: 'succeeded';
      ovaPath: string;
      sizeBytes: number;
      artifacts: PackerArtifact[];
    })
  | (BuildRecord & {
      status: 'failed';
      failedStep: string | undefined;
      errors: string[];
      exitCode: number;
    })
  | (BuildRecord & { status: 'cancelled'; outputRemoved: boolean });

const GHC_VERSION = /^\d+\.\d+\.\d+$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Drives Packer on some host through a CommandRunner: version check, `packer init`, then
 * `packer build -machine-readable`, streaming log lines and the current step as they come.
 */
/** How long an interrupted `packer build` may clean up before it is killed. */
const PACKER_CLEANUP_GRACE_MS = 120_000;

export class PackerRunner {
  constructor(
    private readonly runner: CommandRunner,
    private readonly packerPath = 'packer',
  ) {}

  checkVersion(signal?: AbortSignal): Promise<PackerVersion> {
    return checkPackerVersion(this.runner, this.packerPath, signal);
  }

  /** `packer init <dir>`: installs the plugins the template requires. */
  async init(templateDir: string, log: Logger, signal?: AbortSignal): Promise<PackerDiagnosis[]> {
    log.info('packer init', { dir: templateDir, host: this.runner.host });
    const result = await this.runner.run(this.packerPath, ['init', templateDir], {
      cwd: templateDir,
      signal,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    const diagnoses = diagnosePackerOutput(output, templateDir);
    if (signal?.aborted) throw new UserError('packer-cancelled', 'The build was cancelled.');
    if (result.exitCode !== 0) {
      const reason = output
        .split(/\r?\n/)
        .find((line) => /error/i.test(line))
        ?.trim();
      log.error('packer init failed', { exitCode: result.exitCode, reason });
      throw new UserError(
        'packer-init-failed',
        `\`packer init ${templateDir}\` failed on ${this.runner.host}` +
          (reason ? `: ${reason}` : ` with exit status ${result.exitCode}.`),
        'packer init downloads the VirtualBox plugin from GitHub: check that this host can ' +
          'reach github.com, or install the plugin by hand with ' +
          '`packer plugins install github.com/hashicorp/virtualbox`, then build again.',
        { cause: output },
      );
    }
    for (const diagnosis of diagnoses) {
      if (diagnosis.kind !== 'plugins-installed') continue;
      for (const plugin of diagnosis.plugins) {
        log.info('plugin installed', { plugin: plugin.source, version: plugin.version });
      }
    }
    return diagnoses;
  }

  async build(options: PackerBuildOptions): Promise<PackerBuildResult> {
    const started = Date.now();
    const buildId = options.buildId ?? `packer-${started.toString(36)}`;
    const log = createLogger(`build:${buildId}`);
    const { templateDir, signal } = options;
    const outputDirectory =
      options.outputDirectory ?? this.join(templateDir, `output-${timestamp(new Date(started))}`);
    const args = buildArguments(options, outputDirectory);

    const version = await this.checkVersion(signal);
    log.info('packer found', { version: version.version, host: this.runner.host });

    if (await this.exists(outputDirectory)) {
      throw new UserError(
        'packer-output-exists',
        `The output directory ${outputDirectory} already exists on ${this.runner.host}.`,
        'Move or delete it (it may hold an earlier image), or choose another output directory.',
      );
    }

    await this.init(templateDir, log, signal);

    const summary = new PackerSummary();
    let lastStep: string | undefined;
    const onEvent = (event: PackerEvent) => {
      summary.apply(event);
      options.onEvent?.(event);
      reportEvent(event, log);
      if (event.kind === 'log') options.onLog?.(event.line);
      if (event.kind === 'step' && event.step !== lastStep) {
        lastStep = event.step;
        options.onStep?.({ build: event.build, step: event.step });
      }
    };
    const stdout = new PackerOutputParser(onEvent, 'stdout');
    const stderr = new PackerOutputParser(onEvent, 'stderr');

    log.info('packer build started', {
      dir: templateDir,
      output: outputDirectory,
      ghc: options.ghcVersions?.join(' '),
      vars: Object.keys(options.variables ?? {}).join(',') || undefined,
    });
    const result = await this.runner.run(this.packerPath, args, {
      cwd: templateDir,
      signal,
      // An interrupt lets Packer power off, unregister and delete its build VM, which can take
      // a minute; a kill at once would leave the VM and its disks behind.
      killSignal: 'SIGINT',
      killGraceMs: PACKER_CLEANUP_GRACE_MS,
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => stderr.push(chunk),
    });
    stdout.end();
    stderr.end();

    const text = summary.lines.map((line) => line.text).join('\n');
    const record: BuildRecord = {
      packerVersion: version.version,
      outputDirectory,
      log: summary.lines,
      diagnoses: diagnosePackerOutput(text, templateDir),
      durationMs: Date.now() - started,
    };

    if (signal?.aborted) {
      const outputRemoved = await this.removeOutput(outputDirectory, log);
      log.warn('packer build cancelled', { outputRemoved, step: summary.currentStep?.step });
      return { ...record, status: 'cancelled', outputRemoved };
    }

    const ovaPath =
      result.exitCode === 0 && !summary.failed
        ? await this.findOva(summary.artifacts, templateDir, outputDirectory)
        : undefined;
    if (ovaPath === undefined) {
      const failedStep = summary.failedStep ?? summary.currentStep?.step;
      const errors = summary.errors.length > 0 ? summary.errors : fallbackErrors(summary, result);
      log.error('packer build failed', { exitCode: result.exitCode, step: failedStep });
      for (const diagnosis of record.diagnoses) log.error('diagnosis', { kind: diagnosis.kind });
      return { ...record, status: 'failed', failedStep, errors, exitCode: result.exitCode };
    }

    const sizeBytes = await this.sizeOf(ovaPath);
    log.info('packer build succeeded', { ova: ovaPath, bytes: sizeBytes });
    return { ...record, status: 'succeeded', ovaPath, sizeBytes, artifacts: summary.artifacts };
  }

  private join(...parts: string[]): string {
    // Remote hosts are POSIX; a local runner follows this machine's conventions.
    return this.runner.host === 'local' ? join(...parts) : posix.join(...parts);
  }

  private async exists(path: string): Promise<boolean> {
    const result = await this.runner.run('test', ['-e', path]);
    return result.exitCode === 0;
  }

  private async findOva(
    artifacts: readonly PackerArtifact[],
    templateDir: string,
    outputDirectory: string,
  ): Promise<string | undefined> {
    const file = artifacts.flatMap((artifact) => artifact.files).find((f) => f.endsWith('.ova'));
    if (file) return isAbsolute(file) || file.startsWith('/') ? file : this.join(templateDir, file);

    // Older plugins list no files in the artifact: look in the output directory.
    const listing = await this.runner.run('ls', ['-1', outputDirectory]);
    const name = listing.stdout.split('\n').find((line) => line.trim().endsWith('.ova'));
    return name ? this.join(outputDirectory, name.trim()) : undefined;
  }

  private async sizeOf(path: string): Promise<number> {
    // GNU stat, then BSD stat (a macOS VirtualBox host).
    for (const args of [
      ['-c', '%s', path],
      ['-f', '%z', path],
    ]) {
      const result = await this.runner.run('stat', args);
      const size = Number(result.stdout.trim());
      if (result.exitCode === 0 && Number.isFinite(size)) return size;
    }
    throw new UserError(
      'packer-ova-unreadable',
      `Packer reported ${path} but its size cannot be read on ${this.runner.host}.`,
      'Check that the file exists and that the disk is not full, then build again.',
    );
  }

  private async removeOutput(outputDirectory: string, log: Logger): Promise<boolean> {
    const result = await this.runner.run('rm', ['-rf', '--', outputDirectory]);
    if (result.exitCode !== 0) {
      log.warn('could not remove partial output', { dir: outputDirectory, error: result.stderr });
      return false;
    }
    log.info('partial output removed', { dir: outputDirectory });
    return true;
  }
}

/** The argv of `packer build`; exported for tests. */
export function buildArguments(options: PackerBuildOptions, outputDirectory: string): string[] {
  const args = ['build', '-machine-readable'];
  if (options.ghcVersions !== undefined) {
    const invalid = options.ghcVersions.filter((version) => !GHC_VERSION.test(version));
    if (options.ghcVersions.length === 0 || invalid.length > 0) {
      throw new UserError(
        'packer-bad-ghc-version',
        options.ghcVersions.length === 0
          ? 'No GHC version was chosen for the image.'
          : `Not a GHC version: ${invalid.join(', ')}.`,
        'Give versions as X.Y.Z, e.g. 9.8.4; the first one becomes the default ghc.',
      );
    }
    args.push('-var', `ghc_versions=${JSON.stringify(options.ghcVersions)}`);
  }
  for (const [name, value] of Object.entries(options.variables ?? {})) {
    if (!VARIABLE_NAME.test(name)) {
      throw new UserError(
        'packer-bad-variable',
        `Not a Packer variable name: ${JSON.stringify(name)}.`,
        'Use the variable names declared in the template (letters, digits, _ and -).',
      );
    }
    args.push('-var', `${name}=${value}`);
  }
  args.push('-var', `output_directory=${outputDirectory}`, options.templateDir);
  return args;
}

function reportEvent(event: PackerEvent, log: Logger): void {
  switch (event.kind) {
    case 'log':
      log.debug(event.line.text, { build: event.line.build, level: event.line.level });
      break;
    case 'step':
      log.info(`step: ${event.step}`, { build: event.build });
      break;
    case 'error':
      log.error(event.message, { build: event.build });
      break;
    case 'build-errored':
      log.error(`build errored: ${event.message}`, { build: event.build });
      break;
    case 'build-finished':
      log.info('build finished', { build: event.build });
      break;
    case 'artifact':
      log.info('artifact', {
        build: event.artifact.build,
        builderId: event.artifact.builderId,
        files: event.artifact.files.join(' ') || undefined,
      });
      break;
    default:
      break;
  }
}

function fallbackErrors(summary: PackerSummary, result: { exitCode: number }): string[] {
  if (summary.erroredBuilds.length > 0) return summary.erroredBuilds.map((b) => b.message);
  if (result.exitCode === 0) {
    return ['Packer finished but produced no .ova file.'];
  }
  return [`Packer exited with status ${result.exitCode}.`];
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
