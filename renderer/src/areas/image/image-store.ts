import { create } from 'zustand';

import type {
  ImageBuild,
  ImageCheck,
  ImageLogLine,
} from '../../../../electron/core/api/contract-image.ts';
import { DEFAULT_GHC_VERSIONS } from '../../../../electron/core/packer/image-display.ts';
import { ApiCallError } from '../../api/api-client.ts';
import { usePanel, type ShownError } from '../../state/store.ts';

export interface ImageState {
  attached: boolean;
  check: ImageCheck | undefined;
  checking: boolean;
  ghcText: string;
  /** The build shown: the running one, the one just finished, or one opened from the list. */
  currentId: string | undefined;
  builds: Record<string, ImageBuild>;
  history: ImageBuild[];
  lines: ImageLogLine[];
  error: ShownError | undefined;

  attach(): Promise<void>;
  recheck(): Promise<void>;
  setGhcText(text: string): void;
  start(): Promise<void>;
  cancel(): Promise<void>;
  open(buildId: string): Promise<void>;
}

export const DEFAULT_GHC_TEXT = DEFAULT_GHC_VERSIONS.join(', ');

function shown(error: unknown): ShownError {
  if (error instanceof ApiCallError) return { message: error.message, fix: error.fix };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** "9.8.4, 9.6.6" -> ["9.8.4", "9.6.6"]; the core validates each version. */
export function parseGhcText(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function api() {
  const client = usePanel.getState().api;
  if (!client) throw new Error('the panel is not connected to its core yet');
  return client;
}

export const useImage = create<ImageState>((set, get) => {
  const remember = (build: ImageBuild) => {
    const history = [build, ...get().history.filter((other) => other.id !== build.id)].sort(
      (a, b) => b.startedAt.localeCompare(a.startedAt),
    );
    set({ builds: { ...get().builds, [build.id]: build }, history });
  };

  const loadLog = async (buildId: string) => {
    const { lines } = await api().call('image.log', { buildId });
    if (get().currentId === buildId) set({ lines });
  };

  return {
    attached: false,
    check: undefined,
    checking: false,
    ghcText: DEFAULT_GHC_TEXT,
    currentId: undefined,
    builds: {},
    history: [],
    lines: [],
    error: undefined,

    async attach() {
      if (get().attached) return;
      set({ attached: true });
      const client = api();
      // Subscribed once for the panel's lifetime: a build keeps running while another tab shows.
      client.on('image.updated', (build) => remember(build));
      client.on('image.output', ({ buildId, index, lines }) => {
        if (get().currentId !== buildId) return;
        const current = get().lines;
        if (index === current.length) set({ lines: [...current, ...lines] });
        else if (index > current.length) void loadLog(buildId);
      });
      try {
        const history = await client.call('image.list', {});
        set({ history, builds: Object.fromEntries(history.map((build) => [build.id, build])) });
        const running = history.find((build) => build.status === 'running');
        if (running) await get().open(running.id);
      } catch (error) {
        set({ error: shown(error) });
      }
      await get().recheck();
    },

    async recheck() {
      set({ checking: true });
      try {
        set({ check: await api().call('image.check', {}) });
      } catch (error) {
        set({ error: shown(error) });
      } finally {
        set({ checking: false });
      }
    },

    setGhcText(text) {
      set({ ghcText: text });
    },

    async start() {
      set({ error: undefined });
      try {
        const build = await api().call('image.build', { ghcVersions: parseGhcText(get().ghcText) });
        set({ currentId: build.id, lines: [] });
        remember(build);
        await loadLog(build.id);
      } catch (error) {
        set({ error: shown(error) });
        // A missing or too old Packer may be the reason: show the current state of the tools.
        void get().recheck();
      }
    },

    async cancel() {
      const id = get().currentId;
      if (!id) return;
      try {
        remember(await api().call('image.cancel', { buildId: id }));
      } catch (error) {
        set({ error: shown(error) });
      }
    },

    async open(buildId) {
      set({ currentId: buildId, lines: [], error: undefined });
      try {
        remember(await api().call('image.get', { buildId }));
        await loadLog(buildId);
      } catch (error) {
        set({ error: shown(error) });
      }
    },
  };
});
