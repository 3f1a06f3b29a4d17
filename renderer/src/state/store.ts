import { create } from 'zustand';

import type {
  AppInfo,
  BuildKind,
  BuildRun,
  MachineStatus,
  ProjectInfo,
} from '../../../electron/core/api/contract.ts';
import { ApiCallError, type ApiClient } from '../api/api-client.ts';

export interface ShownError {
  message: string;
  fix?: string;
}

interface RunLog {
  text: string;
  /** Set while the backlog is being fetched: live chunks wait here to be merged. */
  waiting?: { offset: number; text: string }[];
}

export interface PanelState {
  api: ApiClient | undefined;
  info: AppInfo | undefined;
  connected: boolean;
  machines: MachineStatus[];
  machinesError: ShownError | undefined;
  selectedVm: string | undefined;
  projectPath: string;
  project: ProjectInfo | undefined;
  projectError: ShownError | undefined;
  ghcVersions: string[];
  ghc: string | undefined;
  runs: Record<string, BuildRun>;
  logs: Record<string, RunLog>;
  currentRunId: string | undefined;
  history: BuildRun[];
  actionError: ShownError | undefined;
  /** True between a click on Build or Test and the core's answer: a double click starts one. */
  starting: boolean;
  /** The log line to scroll to and highlight, set by a click in the diagnostics list. */
  focusLine: { runId: string; line: number; nonce: number } | undefined;

  connect(api: ApiClient): Promise<void>;
  refreshMachines(): Promise<void>;
  probe(vm: string): Promise<void>;
  trustHostKey(vm: string, fingerprint: string): Promise<void>;
  selectVm(vm: string): Promise<void>;
  setProjectPath(path: string): void;
  inspectProject(): Promise<ProjectInfo | undefined>;
  pickFolder(): Promise<void>;
  setGhc(version: string | undefined): void;
  startBuild(kind: BuildKind): Promise<void>;
  cancelBuild(): Promise<void>;
  openRun(runId: string): Promise<void>;
  refreshHistory(): Promise<void>;
  focusLogLine(runId: string, line: number): void;
}

function shown(error: unknown): ShownError {
  if (error instanceof ApiCallError) return { message: error.message, fix: error.fix };
  return { message: error instanceof Error ? error.message : String(error) };
}

const PROJECT_KEY = 'build-machines.project';

export const usePanel = create<PanelState>((set, get) => {
  const requireApi = () => {
    const { api } = get();
    if (!api) throw new Error('the panel is not connected to its core yet');
    return api;
  };

  /** Appends a live chunk if it continues the log; refetches the backlog after a gap. */
  const receiveOutput = (runId: string, offset: number, text: string) => {
    const log = get().logs[runId];
    if (!log) return;
    if (log.waiting) {
      set({
        logs: { ...get().logs, [runId]: { ...log, waiting: [...log.waiting, { offset, text }] } },
      });
      return;
    }
    const end = log.text.length;
    if (offset > end) {
      void get().openRun(runId);
      return;
    }
    const fresh = text.slice(end - offset);
    if (fresh) set({ logs: { ...get().logs, [runId]: { text: log.text + fresh } } });
  };

  return {
    api: undefined,
    info: undefined,
    connected: true,
    machines: [],
    machinesError: undefined,
    selectedVm: undefined,
    projectPath: localStorage.getItem(PROJECT_KEY) ?? '',
    project: undefined,
    projectError: undefined,
    ghcVersions: [],
    ghc: undefined,
    runs: {},
    logs: {},
    currentRunId: undefined,
    history: [],
    actionError: undefined,
    starting: false,
    focusLine: undefined,

    async connect(api) {
      set({ api });
      api.transport.onConnectionChange?.((connected) => {
        set({ connected });
        if (connected) void get().refreshMachines();
      });
      api.on('machine.status', (status) =>
        set({ machines: get().machines.map((m) => (m.name === status.name ? status : m)) }),
      );
      api.on('build.updated', (run) => {
        set({ runs: { ...get().runs, [run.id]: run } });
        if (run.finishedAt) void get().refreshHistory();
      });
      api.on('build.output', ({ runId, offset, text }) => receiveOutput(runId, offset, text));

      set({ info: await api.call('app.info', {}) });
      await get().refreshMachines();
      await get().refreshHistory();
      const running = (await api.call('builds.list', { limit: 20 })).find((run) => !run.finishedAt);
      if (running) await get().openRun(running.id);
    },

    async refreshMachines() {
      try {
        const machines = await requireApi().call('machines.list', {});
        set({ machines, machinesError: undefined });
        if (!get().selectedVm && machines[0]) await get().selectVm(machines[0].name);
        await Promise.all(machines.map((machine) => get().probe(machine.name)));
      } catch (error) {
        set({ machines: [], machinesError: shown(error) });
      }
    },

    async probe(vm) {
      try {
        await requireApi().call('machines.probe', { vm });
        if (vm === get().selectedVm && get().ghcVersions.length === 0) await get().selectVm(vm);
      } catch (error) {
        set({ machinesError: shown(error) });
      }
    },

    async trustHostKey(vm, fingerprint) {
      try {
        await requireApi().call('machines.trustHostKey', { vm, fingerprint });
        set({ actionError: undefined });
      } catch (error) {
        set({ actionError: shown(error) });
      }
    },

    async selectVm(vm) {
      set({ selectedVm: vm, ghcVersions: [], ghc: undefined });
      const status = get().machines.find((machine) => machine.name === vm);
      if (status?.ssh !== 'answering') return;
      try {
        const versions = await requireApi().call('machines.ghcVersions', { vm });
        if (get().selectedVm === vm) set({ ghcVersions: versions, ghc: versions.at(-1) });
      } catch {
        // The card already shows why the VM does not answer.
      }
    },

    setProjectPath(path) {
      localStorage.setItem(PROJECT_KEY, path);
      set({ projectPath: path, project: undefined, projectError: undefined });
    },

    async inspectProject() {
      try {
        const project = await requireApi().call('projects.inspect', { path: get().projectPath });
        set({ project, projectError: undefined });
        return project;
      } catch (error) {
        set({ project: undefined, projectError: shown(error) });
        return undefined;
      }
    },

    async pickFolder() {
      const path = await requireApi().call('projects.pickFolder', {});
      if (path) {
        get().setProjectPath(path);
        await get().inspectProject();
      }
    },

    setGhc(version) {
      set({ ghc: version });
    },

    async startBuild(kind) {
      const { selectedVm, projectPath, ghc, starting } = get();
      if (starting) return;
      set({ actionError: undefined });
      if (!selectedVm) {
        set({ actionError: { message: 'no build machine is selected', fix: 'Pick a VM card.' } });
        return;
      }
      if (!projectPath.trim()) {
        set({ actionError: { message: 'no project folder given', fix: 'Type or pick a folder.' } });
        return;
      }
      if (get().project?.path !== projectPath) void get().inspectProject();
      set({ starting: true });
      try {
        const run = await requireApi().call('builds.start', {
          vm: selectedVm,
          project: projectPath,
          kind,
          ...(ghc ? { ghc } : {}),
        });
        set({
          runs: { ...get().runs, [run.id]: run },
          logs: { ...get().logs, [run.id]: { text: '' } },
          currentRunId: run.id,
          projectError: undefined,
        });
        await get().openRun(run.id);
      } catch (error) {
        set({ actionError: shown(error) });
      } finally {
        set({ starting: false });
      }
    },

    async cancelBuild() {
      const runId = get().currentRunId;
      if (!runId) return;
      try {
        await requireApi().call('builds.cancel', { runId });
      } catch (error) {
        set({ actionError: shown(error) });
      }
    },

    async openRun(runId) {
      const api = requireApi();
      set({ currentRunId: runId, logs: { ...get().logs, [runId]: { text: '', waiting: [] } } });
      try {
        const [run, backlog] = await Promise.all([
          api.call('builds.get', { runId }),
          api.call('builds.log', { runId }),
        ]);
        let text = backlog.text;
        for (const chunk of get().logs[runId]?.waiting ?? []) {
          if (chunk.offset <= text.length) text += chunk.text.slice(text.length - chunk.offset);
        }
        // Events may have delivered a newer state of a live run while the fetch was under way.
        const known = get().runs[runId];
        const latest = known && !run.finishedAt ? known : run;
        set({
          runs: { ...get().runs, [runId]: latest },
          logs: { ...get().logs, [runId]: { text } },
        });
      } catch (error) {
        set({ actionError: shown(error), logs: { ...get().logs, [runId]: { text: '' } } });
      }
    },

    async refreshHistory() {
      try {
        set({ history: await requireApi().call('builds.list', { limit: 50 }) });
      } catch (error) {
        set({ actionError: shown(error) });
      }
    },

    focusLogLine(runId, line) {
      set({ focusLine: { runId, line, nonce: Date.now() } });
    },
  };
});
