import type { z } from 'zod';

import type { AppInfo } from './api/contract.ts';
import type { AreaContract } from './api/schemas.ts';
import type { BuildService } from './build/build-service.ts';
import type { EventBus } from './events/event-bus.ts';
import type { MachineService } from './machines/machine-service.ts';
import type { AppPaths } from './settings/paths.ts';
import type { ResolvedSettings } from './settings/settings.ts';
import type { HostKeyStore } from './ssh/host-keys.ts';

/** What differs between transports: only Electron has native dialogs. */
export interface HostCapabilities {
  transport: AppInfo['transport'];
  pickFolder?: () => Promise<string | null>;
  /** A file to open, e.g. an OVA; `extensions` without dots. */
  pickFile?: (title: string, extensions: string[]) => Promise<string | null>;
}

/** The shared services an area of the panel is built on. */
export interface CoreContext {
  paths: AppPaths;
  settings: ResolvedSettings;
  events: EventBus;
  machines: MachineService;
  builds: BuildService;
  hostKeys: HostKeyStore;
}

/** One implementation per operation of an area's contract, taking its validated input. */
export type HandlersFor<Ops extends AreaContract['operations']> = {
  [K in keyof Ops]: (
    input: z.output<Ops[K]['input']>,
    host: HostCapabilities,
  ) => Promise<z.input<Ops[K]['output']>>;
};

/** An area of the panel (VM lifecycle, image, State Hub, workspace): its handlers and cleanup. */
export interface Feature<Ops extends AreaContract['operations']> {
  handlers: HandlersFor<Ops>;
  close(): Promise<void> | void;
}
