import { randomBytes } from 'node:crypto';

import type { OperationInput } from '../api/contract.ts';
import type { TerminalInfo } from '../api/contract-workspace.ts';
import { remoteProjectDir } from '../build/build-service.ts';
import { UserError } from '../errors.ts';
import type { CoreContext } from '../feature.ts';
import { createLogger } from '../log/logger.ts';
import { inspectProject } from '../projects/project-inspect.ts';
import { syncProject } from '../sync/remote-sync.ts';
import { RemoteTerminal, type TerminalSize } from './remote-terminal.ts';
import { replCommand, tmuxKillCommand } from './terminal-command.ts';
import type { BatchLimits, FlowLimits } from './terminal-output.ts';

const MAX_TERMINALS = 16;

interface Entry {
  info: Omit<TerminalInfo, 'state' | 'offset' | 'message' | 'exitCode'>;
  terminal: RemoteTerminal;
  message: string | undefined;
  tmuxSession: string | undefined;
}

/**
 * The open REPL terminals of every VM, by id. Opening one with a project syncs the project
 * first, so `cabal repl` loads what is on the workstation now.
 */
export class TerminalManager {
  private readonly terminals = new Map<string, Entry>();

  constructor(
    private readonly context: CoreContext,
    private readonly limits: { batch?: BatchLimits; flow?: FlowLimits } = {},
  ) {}

  async open(input: OperationInput<'terminal.open'>): Promise<TerminalInfo> {
    const live = [...this.terminals.values()].filter((e) => e.terminal.current !== 'closed');
    if (live.length >= MAX_TERMINALS) {
      throw new UserError(
        'too-many-terminals',
        `${MAX_TERMINALS} terminals are open already`,
        'Close a terminal you no longer use.',
      );
    }

    const { vm, cols, rows } = input;
    const id = `term-${randomBytes(6).toString('hex')}`;
    const log = createLogger(`terminal:${vm}:${id}`);
    const session = await this.context.machines.session(vm);

    let projectDir: string | undefined;
    let projectName: string | undefined;
    if (input.project) {
      const project = await inspectProject(input.project);
      projectName = project.name;
      projectDir = remoteProjectDir(project.name);
      const synced = await syncProject(session, project.path, projectDir);
      log.info('synced before repl', { uploaded: synced.uploadedFiles, ms: synced.durationMs });
    }
    if (input.ghc) await this.requireGhc(vm, input.ghc);

    const persistent = input.persistent ?? true;
    const tmuxSession = persistent ? `bm-${id.slice(5)}` : undefined;
    const command = replCommand({ projectDir, ghc: input.ghc, tmuxSession });
    const title =
      (projectName ? `cabal repl ${projectName}` : 'ghci') + (input.ghc ? ` (${input.ghc})` : '');

    const entry: Entry = {
      info: {
        id,
        vm,
        title,
        persistent,
        ...(input.project ? { project: input.project } : {}),
        ...(input.ghc ? { ghc: input.ghc } : {}),
      },
      message: undefined,
      tmuxSession,
      terminal: new RemoteTerminal(
        session,
        command,
        {
          output: (offset, data) =>
            this.context.events.emit('terminal.output', { id, offset, data }),
          state: (state, message, exitCode) => {
            entry.message = message;
            this.context.events.emit('terminal.state', {
              id,
              state,
              ...(message ? { message } : {}),
              ...(exitCode !== undefined ? { exitCode } : {}),
            });
          },
        },
        log,
        { cols, rows },
        this.limits,
      ),
    };
    this.terminals.set(id, entry);
    try {
      await entry.terminal.start();
    } catch (error) {
      this.terminals.delete(id);
      throw error;
    }
    log.info('terminal opened', { title, persistent, cols, rows });
    return this.describe(entry);
  }

  input(id: string, data: string): void {
    this.get(id).terminal.input(data);
  }

  resize(id: string, size: TerminalSize): void {
    this.get(id).terminal.resize(size);
  }

  ack(id: string, offset: number): void {
    this.get(id).terminal.ack(offset);
  }

  /** Opens a new channel for a dropped terminal; with tmux it re-attaches to the same REPL. */
  async reconnect(id: string): Promise<TerminalInfo> {
    const entry = this.get(id);
    if (entry.terminal.current === 'open') return this.describe(entry);
    await entry.terminal.start();
    return this.describe(entry);
  }

  async close(id: string): Promise<void> {
    const entry = this.get(id);
    entry.terminal.close();
    this.terminals.delete(id);
    // The REPL lives on in tmux after its channel closes; closing the tab means ending it.
    if (entry.tmuxSession) {
      const session = await this.context.machines.session(entry.info.vm);
      await session.capture(tmuxKillCommand(entry.tmuxSession)).catch(() => undefined);
    }
  }

  list(): TerminalInfo[] {
    return [...this.terminals.values()].map((entry) => this.describe(entry));
  }

  /** The terminal itself, for the CLI's attach loop and tests. */
  terminal(id: string): RemoteTerminal {
    return this.get(id).terminal;
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.terminals.keys()].map((id) => this.close(id).catch(() => undefined)),
    );
  }

  private describe(entry: Entry): TerminalInfo {
    const { terminal } = entry;
    return {
      ...entry.info,
      state: terminal.current,
      offset: terminal.offset,
      ...(entry.message ? { message: entry.message } : {}),
      ...(terminal.exitCode !== undefined ? { exitCode: terminal.exitCode } : {}),
    };
  }

  private get(id: string): Entry {
    const entry = this.terminals.get(id);
    if (!entry) {
      throw new UserError('terminal-unknown', `no terminal ${id}`, 'Open a new terminal.');
    }
    return entry;
  }

  private async requireGhc(vm: string, version: string): Promise<void> {
    const installed = await this.context.machines.ghcVersions(vm);
    if (!installed.includes(version)) {
      throw new UserError(
        'ghc-not-installed',
        `GHC ${version} is not installed on ${vm} (installed: ${installed.join(', ') || 'none'})`,
        `Pick an installed version, or install it in the GHC versions section ` +
          `(bm ghc-install ${version} --vm ${vm}).`,
      );
    }
  }
}
