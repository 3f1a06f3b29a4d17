import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

import type { BuildKind, BuildRun, Diagnostic, OperationInput } from '../api/contract.ts';
import { UserError, describeError } from '../errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import { shellCommand } from '../exec/shell-quote.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import type { MachineService } from '../machines/machine-service.ts';
import { inspectProject } from '../projects/project-inspect.ts';
import type { SshSession } from '../ssh/ssh-session.ts';
import { syncProject } from '../sync/remote-sync.ts';
import { BuildHistory } from './build-history.ts';
import { createBuildWatcher, type BuildWatcher } from './build-watcher.ts';

/** The VM's folder for a project, relative to the build user's home. */
export function remoteProjectDir(projectName: string): string {
  return `builds/${projectName}`;
}

const PGID_MARKER = 'BM-PGID ';
const CANCEL_GRACE_MS = 3_000;
const UPDATE_THROTTLE_MS = 200;

interface ActiveRun {
  run: BuildRun;
  log: Logger;
  text: string;
  file: WriteStream;
  abort: AbortController;
  pgid?: number;
  session?: SshSession;
  cancelRequested: boolean;
  watcher: BuildWatcher;
  lastUpdate: number;
  done: Promise<void>;
}

/**
 * Runs `cabal build` and `cabal test` on a build machine: sync the project, pick the GHC, run
 * cabal in a PTY, stream the output to every window and to a log file, parse diagnostics, and
 * record the outcome in the history. A run can be cancelled at any step; cancelling kills the
 * remote process group, so no GHC keeps running on the VM.
 */
export class BuildService {
  private readonly active = new Map<string, ActiveRun>();
  private readonly history: BuildHistory;

  constructor(
    buildsFolder: string,
    private readonly machines: MachineService,
    private readonly events: EventBus,
  ) {
    this.history = new BuildHistory(buildsFolder);
  }

  async start(input: OperationInput<'builds.start'>): Promise<BuildRun> {
    const project = await inspectProject(input.project);
    await this.machines.machine(input.vm);
    this.refuseConcurrentRun(input.vm, project.name);

    const id =
      `${new Date()
        .toISOString()
        .replace(/[-:.TZ]/g, '')
        .slice(0, 14)}-` + randomUUID().slice(0, 8);
    const run: BuildRun = {
      id,
      vm: input.vm,
      project: project.path,
      projectName: project.name,
      kind: input.kind,
      ...(input.ghc ? { ghc: input.ghc } : {}),
      status: 'queued',
      startedAt: new Date().toISOString(),
      diagnostics: [],
    };

    await mkdir(this.history.folder, { recursive: true });
    const active: ActiveRun = {
      run,
      log: createLogger(`build:${id}`),
      text: '',
      file: createWriteStream(this.history.logFile(id)),
      abort: new AbortController(),
      watcher: createBuildWatcher(),
      cancelRequested: false,
      lastUpdate: 0,
      done: Promise.resolve(),
    };
    this.active.set(id, active);
    active.log.info('build requested', { vm: run.vm, project: run.project, kind: run.kind });

    active.done = this.execute(active);
    this.publish(active, true);
    return run;
  }

  /**
   * Two runs in one VM folder would share its dist-newstyle and break each other (cabal's
   * package database vanishes mid-build), so a second one is refused, not queued.
   */
  private refuseConcurrentRun(vm: string, projectName: string): void {
    for (const { run } of this.active.values()) {
      if (run.vm === vm && run.projectName === projectName) {
        throw new UserError(
          'build-running',
          `a ${run.kind} of ${projectName} is already running on ${vm} (run ${run.id})`,
          'Wait for it to finish or cancel it, then start again.',
        );
      }
    }
  }

  /** Resolves when the run has finished; for the CLI and tests. */
  async wait(runId: string): Promise<BuildRun> {
    const active = this.active.get(runId);
    if (active) await active.done;
    return this.get(runId);
  }

  async cancel(runId: string): Promise<BuildRun> {
    const active = this.active.get(runId);
    if (!active) return this.get(runId);
    if (active.cancelRequested) {
      await active.done;
      return this.get(runId);
    }

    active.cancelRequested = true;
    active.log.info('cancel requested', { pgid: active.pgid });
    this.appendOutput(active, '\r\n[build-machines] cancelling…\r\n');

    // Before cabal runs, stopping the local steps is enough; once it runs, its process group
    // on the VM is killed first and the channel closes when the last process is gone.
    if (active.pgid !== undefined && active.session) {
      await this.killRemoteGroup(active, active.session, active.pgid);
    } else {
      active.abort.abort();
    }
    await active.done;
    return this.get(runId);
  }

  async get(runId: string): Promise<BuildRun> {
    const active = this.active.get(runId);
    if (active) return active.run;
    const found = await this.history.find(runId);
    if (!found) {
      throw new UserError('run-unknown', `no build run ${runId}`, 'Pick a run from the history.');
    }
    return found;
  }

  async list(filter: { project?: string; limit?: number }): Promise<BuildRun[]> {
    const running = [...this.active.values()]
      .map((active) => active.run)
      .filter((run) => !filter.project || run.project === filter.project);
    const finished = await this.history.list(filter);
    return [...running, ...finished].slice(0, filter.limit ?? 100);
  }

  /** The whole log so far; `size` is where the live `build.output` events continue. */
  async log(runId: string): Promise<{ text: string; size: number }> {
    const active = this.active.get(runId);
    if (active) return { text: active.text, size: active.text.length };
    await this.get(runId);
    try {
      const text = await readFile(this.history.logFile(runId), 'utf8');
      return { text, size: text.length };
    } catch {
      return { text: '', size: 0 };
    }
  }

  private async execute(active: ActiveRun): Promise<void> {
    const { run } = active;
    const started = performance.now();

    try {
      const session = await this.machines.session(run.vm);
      active.session = session;

      this.setStatus(active, 'syncing');
      this.appendOutput(active, `[build-machines] syncing ${run.project} to ${run.vm}…\r\n`);
      const sync = await syncProject(
        session,
        run.project,
        remoteProjectDir(run.projectName),
        active.abort.signal,
      );
      run.sync = {
        uploadedFiles: sync.uploadedFiles,
        uploadedBytes: sync.uploadedBytes,
        removedFiles: sync.removedFiles,
      };
      active.log.info('synced', { ...run.sync, ms: sync.durationMs });
      this.appendOutput(
        active,
        `[build-machines] synced: ${sync.uploadedFiles} sent ` +
          `(${sync.uploadedBytes} bytes), ${sync.removedFiles} removed, ` +
          `${sync.unchangedFiles} unchanged in ${sync.durationMs} ms\r\n`,
      );

      run.ghc = await this.chooseGhc(run.vm, run.ghc);
      active.abort.signal.throwIfAborted();

      this.setStatus(active, 'running');
      const command = cabalCommand(run.kind, run.ghc);
      this.appendOutput(active, `[build-machines] ${command.join(' ')}\r\n`);
      const result = await this.runRemote(active, session, command);

      run.exitCode = result.exitCode;
      if (active.cancelRequested) run.status = 'cancelled';
      else run.status = result.exitCode === 0 ? 'succeeded' : 'failed';
    } catch (error) {
      if (active.cancelRequested) {
        run.status = 'cancelled';
      } else {
        run.status = 'failed';
        run.error = describeError(error);
        const fix = run.error.fix ? ` ${run.error.fix}` : '';
        this.appendOutput(active, `\r\n[build-machines] error: ${run.error.message}.${fix}\r\n`);
      }
    }

    await this.finish(active, Math.round(performance.now() - started));
  }

  private async chooseGhc(vm: string, requested: string | undefined): Promise<string> {
    const installed = await this.machines.ghcVersions(vm);
    if (installed.length === 0) {
      throw new UserError(
        'ghc-missing',
        `no GHC is installed on ${vm}`,
        `Install one: ssh ${vm} "source ~/.ghcup/env && ghcup install ghc 9.8.4"`,
      );
    }
    if (!requested) return installed[installed.length - 1]!;
    if (!installed.includes(requested)) {
      throw new UserError(
        'ghc-not-installed',
        `GHC ${requested} is not installed on ${vm} ` + `(installed: ${installed.join(', ')})`,
        `Pick an installed version or install it: ssh ${vm} "ghcup install ghc ${requested}"`,
      );
    }
    return requested;
  }

  private async runRemote(active: ActiveRun, session: SshSession, argv: string[]) {
    const dir = remoteProjectDir(active.run.projectName);
    // The shell prints its PID, then becomes cabal: with a PTY that PID leads the process group
    // of cabal and every GHC it starts, which is what cancel kills.
    const command =
      '[ -f "$HOME/.ghcup/env" ] && . "$HOME/.ghcup/env"; ' +
      `cd ${shellCommand([dir])} && printf '${PGID_MARKER}%s\\n' $$ && exec ${shellCommand(argv)}`;

    let pending = '';
    let markerSeen = false;
    const decoder = new StringDecoder('utf8');

    const result = await session.exec(command, {
      pty: true,
      signal: active.abort.signal,
      onStdout: (chunk) => {
        let text = decoder.write(chunk);
        if (!markerSeen) {
          pending += text;
          const end = pending.indexOf('\n');
          if (end < 0) return;
          const marker = pending.slice(0, end).trim();
          if (marker.startsWith(PGID_MARKER))
            active.pgid = Number(marker.slice(PGID_MARKER.length));
          active.log.debug('remote process group', { pgid: active.pgid });
          markerSeen = true;
          text = pending.slice(end + 1);
          pending = '';
          if (active.cancelRequested && active.pgid !== undefined) {
            void this.killRemoteGroup(active, session, active.pgid);
          }
        }
        this.appendOutput(active, text);
      },
      onStderr: (chunk) => this.appendOutput(active, chunk.toString('utf8')),
    });
    this.appendOutput(active, decoder.end());
    return result;
  }

  /**
   * TERM to the whole remote process group, KILL if it outlives the grace period, and as a last
   * resort closing the channel. Every step waits for the run to end by itself first.
   */
  private async killRemoteGroup(active: ActiveRun, session: SshSession, pgid: number) {
    if (!Number.isInteger(pgid) || pgid <= 1) {
      active.abort.abort();
      return;
    }
    const ended = (ms: number) =>
      Promise.race([
        active.done.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
      ]);
    const group = `-${pgid}`;

    await session.capture(shellCommand(['kill', '-TERM', '--', group])).catch(() => undefined);
    const endedOnTerm = await ended(CANCEL_GRACE_MS);

    // cabal may exit on TERM while a GHC it started keeps compiling (seen with a Template
    // Haskell splice): the channel closing proves nothing about the rest of the group.
    if (!endedOnTerm) active.log.warn('remote build ignored SIGTERM, killing', { pgid });
    await session.capture(shellCommand(['kill', '-KILL', '--', group])).catch(() => undefined);
    if (endedOnTerm || (await ended(CANCEL_GRACE_MS))) return;

    active.log.warn('remote channel still open after SIGKILL, closing it', { pgid });
    active.abort.abort();
  }

  private appendOutput(active: ActiveRun, text: string): void {
    if (!text) return;
    const offset = active.text.length;
    active.text += text;
    active.file.write(text);
    this.events.emit('build.output', { runId: active.run.id, offset, text });

    const found = active.watcher.push(text);
    if (found.diagnostics.length > 0) active.run.diagnostics.push(...found.diagnostics);
    if (found.progress) active.run.progress = found.progress;
    if (found.diagnostics.length > 0 || found.progress) this.publish(active, false);
  }

  private setStatus(active: ActiveRun, status: BuildRun['status']): void {
    active.run.status = status;
    active.log.info('status', { status });
    this.publish(active, true);
  }

  private publish(active: ActiveRun, force: boolean): void {
    const now = Date.now();
    if (!force && now - active.lastUpdate < UPDATE_THROTTLE_MS) return;
    active.lastUpdate = now;
    this.events.emit('build.updated', structuredClone(active.run));
  }

  private async finish(active: ActiveRun, durationMs: number): Promise<void> {
    const { run } = active;
    const rest: Diagnostic[] = active.watcher.end();
    run.diagnostics.push(...rest);
    run.finishedAt = new Date().toISOString();
    run.durationMs = durationMs;

    const summary =
      `[build-machines] ${run.kind} ${run.status}` +
      (run.exitCode !== undefined && run.exitCode !== null ? ` (exit code ${run.exitCode})` : '') +
      ` in ${(durationMs / 1000).toFixed(1)} s\r\n`;
    this.appendOutput(active, summary);
    active.log.info('finished', {
      status: run.status,
      exitCode: run.exitCode ?? undefined,
      ms: durationMs,
      diagnostics: run.diagnostics.length,
    });

    await new Promise<void>((resolve) => active.file.end(resolve));
    await this.history.append(run);
    this.active.delete(run.id);
    this.publish(active, true);
  }
}

function cabalCommand(kind: BuildKind, ghc: string): string[] {
  const compiler = ['-w', `ghc-${ghc}`];
  return kind === 'build'
    ? ['cabal', 'build', 'all', ...compiler]
    : ['cabal', 'test', 'all', ...compiler, '--test-show-details=direct'];
}
