/** The State Hub area's state: catalog, tunnel health, and the page title and icon. */
import { create } from 'zustand';

import type {
  Catalog,
  CheckReport,
  HealthSnapshot,
  HubStatus,
} from '../../../../electron/core/api/contract-hub.ts';
import { ApiCallError, type ApiClient } from '../../api/api-client.ts';
import { usePanel, type ShownError } from '../../state/store.ts';
import { showStateInPage } from './page-state.ts';

export interface HubState {
  catalog: Catalog | undefined;
  catalogError: ShownError | undefined;
  health: HealthSnapshot | undefined;
  reports: Record<string, CheckReport>;
  busy: Record<string, boolean>;
  errors: Record<string, ShownError | undefined>;
  init(api: ApiClient): void;
  refreshCatalog(): Promise<void>;
  startEmbedded(): Promise<void>;
  reprobe(): Promise<void>;
  /** Runs an action under a key: its busy flag and its error share the key. */
  act<T>(key: string, action: (api: ApiClient) => Promise<T>): Promise<T | undefined>;
}

export function shownError(error: unknown): ShownError {
  if (error instanceof ApiCallError) return { message: error.message, fix: error.fix };
  return { message: error instanceof Error ? error.message : String(error) };
}

let initialized: ApiClient | undefined;

export const useHub = create<HubState>((set, get) => ({
  catalog: undefined,
  catalogError: undefined,
  health: undefined,
  reports: {},
  busy: {},
  errors: {},

  init(api) {
    if (initialized === api) return;
    initialized = api;
    api.on('hub.catalog', (catalog) => set({ catalog, catalogError: undefined }));
    api.on('hub.status', (status: HubStatus) => {
      const catalog = get().catalog;
      set({ catalog: { status, entries: catalog?.entries ?? [] } });
    });
    api.on('health.changed', (health) => {
      set({ health });
      if (api.transport.kind === 'websocket') showStateInPage(health);
    });
    void get().refreshCatalog();
    void api.call('health.snapshot', {}).then(
      (health) => {
        set({ health });
        if (api.transport.kind === 'websocket') showStateInPage(health);
      },
      () => undefined,
    );
  },

  async refreshCatalog() {
    const api = usePanel.getState().api;
    if (!api) return;
    try {
      set({ catalog: await api.call('hub.catalog', {}), catalogError: undefined });
    } catch (error) {
      set({ catalogError: shownError(error) });
    }
  },

  async startEmbedded() {
    await get().act('hub', async (api) => {
      await api.call('hub.startEmbedded', {});
      await get().refreshCatalog();
    });
  },

  async reprobe() {
    const health = await get().act('reprobe', (api) => api.call('health.reprobe', {}));
    if (health) set({ health });
  },

  async act(key, action) {
    const api = usePanel.getState().api;
    if (!api) return undefined;
    set((state) => ({
      busy: { ...state.busy, [key]: true },
      errors: { ...state.errors, [key]: undefined },
    }));
    try {
      return await action(api);
    } catch (error) {
      set((state) => ({ errors: { ...state.errors, [key]: shownError(error) } }));
      return undefined;
    } finally {
      set((state) => ({ busy: { ...state.busy, [key]: false } }));
    }
  },
}));

/** Starts listening once the panel has its API; safe to call from every component. */
export function useHubInit(): void {
  const api = usePanel((state) => state.api);
  if (api) useHub.getState().init(api);
}
