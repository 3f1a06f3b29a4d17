import { join } from 'node:path';

import type { AppInfo } from './api/contract.ts';
import { BuildService } from './build/build-service.ts';
import { EventBus } from './events/event-bus.ts';
import type { CoreContext } from './feature.ts';
import { MachineService } from './machines/machine-service.ts';
import { resolveAppPaths, type AppPaths } from './settings/paths.ts';
import { loadSettings, resolveSettings, type ResolvedSettings } from './settings/settings.ts';
import { HostKeyStore } from './ssh/host-keys.ts';
import { createHubFeature } from './statehub/hub-feature.ts';
import { createImageFeature } from './packer/image-feature.ts';
import { createVmsFeature } from './vms/vms-feature.ts';
import { createWorkspaceFeature } from './workspace/workspace-feature.ts';

export interface CoreOptions {
  /** Flags and environment that win over the settings file. */
  overrides?: Partial<ResolvedSettings>;
  /** Where the registry is when neither flags nor settings name one. */
  defaultRegistryPath: string;
  paths?: AppPaths;
  version: string;
}

/** Everything the panel does, in plain Node; both transports and the CLI sit on top of it. */
export interface Core {
  readonly paths: AppPaths;
  readonly settings: ResolvedSettings;
  readonly events: EventBus;
  readonly machines: MachineService;
  readonly builds: BuildService;
  readonly hostKeys: HostKeyStore;
  readonly features: Features;
  info(transport: AppInfo['transport'], nativeDialogs: boolean): AppInfo;
  close(): Promise<void>;
}

export interface Features {
  vms: Awaited<ReturnType<typeof createVmsFeature>>;
  image: Awaited<ReturnType<typeof createImageFeature>>;
  hub: Awaited<ReturnType<typeof createHubFeature>>;
  workspace: Awaited<ReturnType<typeof createWorkspaceFeature>>;
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const paths = options.paths ?? resolveAppPaths();
  const settings = resolveSettings(await loadSettings(paths.configDir), options.overrides ?? {}, {
    registryPath: options.defaultRegistryPath,
  });
  const events = new EventBus();
  const hostKeys = new HostKeyStore(join(paths.configDir, 'known_hosts'));
  const machines = new MachineService(
    settings.registryPath,
    settings.buildKeyPath,
    hostKeys,
    events,
  );
  const builds = new BuildService(join(paths.stateDir, 'builds'), machines, events);
  const context: CoreContext = { paths, settings, events, machines, builds, hostKeys };
  const features: Features = {
    vms: await createVmsFeature(context),
    image: await createImageFeature(context),
    hub: await createHubFeature(context),
    workspace: await createWorkspaceFeature(context),
  };

  return {
    paths,
    settings,
    events,
    machines,
    builds,
    hostKeys,
    features,
    info: (transport, nativeDialogs) => ({
      version: options.version,
      transport,
      registryPath: settings.registryPath,
      stateDir: paths.stateDir,
      nativeDialogs,
    }),
    close: async () => {
      await Promise.all(Object.values(features).map((feature) => feature.close()));
      machines.closeAll();
    },
  };
}
