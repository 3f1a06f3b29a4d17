import { create } from 'zustand';

import type {
  Artifact,
  GhcList,
  TerminalInfo,
} from '../../../../electron/core/api/contract-workspace.ts';
import { ApiCallError, type ApiClient } from '../../api/api-client.ts';
import { usePanel, type ShownError } from '../../state/store.ts';
import { TerminalHandle } from './terminal-handle.ts';

const DEST_KEY = 'build-machines.artifacts-dest';
/** Output for a terminal whose handle is not made yet; bounded so a stray id cannot grow it. */
const EARLY_LIMIT = 1024 * 1024;

export interface FetchState {
  jobId: string;
  running: boolean;
  file?: string;
  bytes: number;
  total: number;
  files?: Artifact[];
  dest?: string;
  error?: ShownError;
}

export interface JobLog {
  jobId: string;
  title: string;
  text: string;
  running: boolean;
  exitCode?: number | null;
  error?: ShownError;
}

export interface WorkspaceState {
  terminals: TerminalInfo[];
  activeId: string | undefined;
  opening: boolean;
  openError: ShownError | undefined;
  dest: string;
  fetch: FetchState | undefined;
  ghcList: GhcList | undefined;
  ghcError: ShownError | undefined;
  job: JobLog | undefined;

  attach(api: ApiClient): Promise<void>;
  openTerminal(request: {
    vm: string;
    project?: string;
    ghc?: string;
    persistent: boolean;
  }): Promise<void>;
  closeTerminal(id: string): Promise<void>;
  reconnect(id: string): Promise<void>;
  setActive(id: string): void;
  setDest(dest: string): void;
  pickDest(): Promise<void>;
  fetchArtifacts(vm: string, project: string): Promise<void>;
  cancelFetch(): Promise<void>;
  refreshGhc(vm: string): Promise<void>;
  runJob(
    title: string,
    run: (api: ApiClient, jobId: string) => Promise<{ exitCode: number | null }>,
  ): Promise<void>;
}

function shown(error: unknown): ShownError {
  if (error instanceof ApiCallError) return { message: error.message, fix: error.fix };
  return { message: error instanceof Error ? error.message : String(error) };
}

const newJobId = () => `job-${crypto.randomUUID()}`;

const handles = new Map<string, TerminalHandle>();
const early = new Map<string, { offset: number; data: string }[]>();
let attachedTo: ApiClient | undefined;

export function terminalHandle(id: string): TerminalHandle | undefined {
  return handles.get(id);
}

export const useWorkspace = create<WorkspaceState>((set, get) => {
  // Children's effects run before the panel's own, so a call may come before attach(): the
  // panel's client is the same one, and events are subscribed when attach() runs.
  const api = () => {
    const client = attachedTo ?? usePanel.getState().api;
    if (!client) throw new Error('the workspace is not connected to the core yet');
    return client;
  };

  const updateTerminal = (id: string, change: Partial<TerminalInfo>) =>
    set({ terminals: get().terminals.map((t) => (t.id === id ? { ...t, ...change } : t)) });

  const adopt = (info: TerminalInfo) => {
    if (handles.has(info.id)) return;
    const handle = new TerminalHandle(info.id, api(), info.offset);
    handles.set(info.id, handle);
    for (const chunk of early.get(info.id) ?? []) handle.write(chunk.offset, chunk.data);
    early.delete(info.id);
  };

  return {
    terminals: [],
    activeId: undefined,
    opening: false,
    openError: undefined,
    dest: localStorage.getItem(DEST_KEY) ?? '',
    fetch: undefined,
    ghcList: undefined,
    ghcError: undefined,
    job: undefined,

    /** Subscribes once per connection and adopts terminals opened by an earlier page load. */
    async attach(client) {
      if (attachedTo === client) return;
      attachedTo = client;
      client.on('terminal.output', ({ id, offset, data }) => {
        const handle = handles.get(id);
        if (handle) {
          handle.write(offset, data);
          return;
        }
        const waiting = early.get(id) ?? [];
        if (waiting.reduce((sum, c) => sum + c.data.length, 0) < EARLY_LIMIT) {
          waiting.push({ offset, data });
          early.set(id, waiting);
        }
      });
      client.on('terminal.state', ({ id, state, message, exitCode }) =>
        updateTerminal(id, { state, message, exitCode }),
      );
      client.on('artifacts.progress', (progress) => {
        const current = get().fetch;
        if (current?.jobId !== progress.jobId) return;
        set({
          fetch: { ...current, file: progress.file, bytes: progress.bytes, total: progress.total },
        });
      });
      client.on('workspace.log', ({ jobId, text }) => {
        const job = get().job;
        if (job?.jobId === jobId) set({ job: { ...job, text: job.text + text } });
      });

      const existing = await client.call('terminal.list', {});
      existing.forEach(adopt);
      set({ terminals: existing, activeId: get().activeId ?? existing[0]?.id });
    },

    async openTerminal({ vm, project, ghc, persistent }) {
      set({ opening: true, openError: undefined });
      try {
        const info = await api().call('terminal.open', {
          vm,
          cols: 80,
          rows: 24,
          persistent,
          ...(project ? { project } : {}),
          ...(ghc ? { ghc } : {}),
        });
        adopt(info);
        set({ terminals: [...get().terminals, info], activeId: info.id });
      } catch (error) {
        set({ openError: shown(error) });
      } finally {
        set({ opening: false });
      }
    },

    async closeTerminal(id) {
      handles.get(id)?.dispose();
      handles.delete(id);
      const rest = get().terminals.filter((t) => t.id !== id);
      set({
        terminals: rest,
        activeId: get().activeId === id ? rest.at(-1)?.id : get().activeId,
      });
      await api()
        .call('terminal.close', { id })
        .catch(() => undefined);
    },

    async reconnect(id) {
      updateTerminal(id, { message: 'reconnecting…' });
      try {
        const info = await api().call('terminal.reconnect', { id });
        updateTerminal(id, info);
        const handle = handles.get(id);
        if (handle) {
          const { cols, rows } = handle.size;
          await api().call('terminal.resize', { id, cols, rows });
        }
      } catch (error) {
        const failed = shown(error);
        updateTerminal(id, {
          message: failed.fix ? `${failed.message}. ${failed.fix}` : failed.message,
        });
      }
    },

    setActive(id) {
      set({ activeId: id });
    },

    setDest(dest) {
      localStorage.setItem(DEST_KEY, dest);
      set({ dest });
    },

    async pickDest() {
      try {
        const picked = await api().call('artifacts.pickFolder', {});
        if (picked) get().setDest(picked);
      } catch (error) {
        set({ fetch: { jobId: '', running: false, bytes: 0, total: 0, error: shown(error) } });
      }
    },

    async fetchArtifacts(vm, project) {
      const jobId = newJobId();
      set({ fetch: { jobId, running: true, bytes: 0, total: 0 } });
      try {
        const result = await api().call('artifacts.fetch', {
          vm,
          project,
          dest: get().dest,
          jobId,
        });
        set({ fetch: { ...get().fetch!, running: false, files: result.files, dest: result.dest } });
      } catch (error) {
        set({ fetch: { ...get().fetch!, running: false, error: shown(error) } });
      }
    },

    async cancelFetch() {
      const jobId = get().fetch?.jobId;
      if (jobId) await api().call('artifacts.cancel', { jobId });
    },

    async refreshGhc(vm) {
      set({ ghcError: undefined });
      try {
        set({ ghcList: await api().call('ghc.list', { vm }) });
      } catch (error) {
        set({ ghcList: undefined, ghcError: shown(error) });
      }
    },

    async runJob(title, run) {
      const jobId = newJobId();
      set({ job: { jobId, title, text: '', running: true } });
      try {
        const { exitCode } = await run(api(), jobId);
        set({ job: { ...get().job!, running: false, exitCode } });
      } catch (error) {
        set({ job: { ...get().job!, running: false, error: shown(error) } });
      }
    },
  };
});
