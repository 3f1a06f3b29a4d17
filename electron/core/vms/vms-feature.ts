/** The VM lifecycle area (issue 3): VirtualBox hosts, import, networking, the port registry. */
import { vmContract } from '../api/contract-vms.ts';
import { UserError } from '../errors.ts';
import type { CoreContext, Feature } from '../feature.ts';
import { VmsService, type VmsServiceOptions } from './vms-service.ts';

export type VmsFeatureOperations = typeof vmContract.operations;

export interface VmsFeature extends Feature<VmsFeatureOperations> {
  service: VmsService;
}

export async function createVmsFeature(
  context: CoreContext,
  overrides: Partial<VmsServiceOptions> = {},
): Promise<VmsFeature> {
  const service = new VmsService({
    configDir: context.paths.configDir,
    registryPath: context.settings.registryPath,
    stateHubUrl: context.settings.stateHubUrl,
    events: context.events,
    machines: context.machines,
    ...(process.env.BM_VBOXMANAGE ? { localVBoxManage: process.env.BM_VBOXMANAGE } : {}),
    ...overrides,
  });

  return {
    service,
    handlers: {
      'vms.hosts': () => service.hosts.list(),
      'vms.saveHost': (host) => service.saveHost(host),
      'vms.removeHost': async ({ id }) => ({ removed: await service.removeHost(id) }),
      'vms.list': async ({ hostId }) => {
        // A window listing VMs wants to see them change: polling starts with the first list.
        const hosts = await service.list(hostId);
        await service.watch();
        return hosts;
      },
      'vms.info': ({ vm, hostId }) => service.info(vm, hostId),
      'vms.import': ({ hostId, ova, name }) => service.startImport(hostId, ova, name),
      'vms.tasks': async () => service.listTasks(),
      'vms.cancelTask': async ({ taskId }) => service.cancelTask(taskId),
      'vms.pickOva': async (_input, host) => {
        if (!host.pickFile) {
          throw new UserError(
            'no-native-dialog',
            'this window has no native file dialog',
            'Type the path of the .ova file in the field.',
          );
        }
        return host.pickFile('Choose the OVA to import', ['ova', 'ovf']);
      },
      'vms.bridgeAdapters': ({ hostId }) => service.bridgeAdapters(hostId),
      'vms.setBridged': ({ vm, hostId, adapter }) => service.setBridged(vm, hostId, adapter),
      'vms.start': ({ vm, hostId }) => service.start(vm, hostId),
      'vms.stop': ({ vm, hostId, timeoutSec }) => service.stop(vm, hostId, timeoutSec),
      'vms.saveState': ({ vm, hostId }) => service.saveState(vm, hostId),
      'vms.remove': ({ vm, hostId, confirm }) => service.remove(vm, confirm, hostId),
      'vms.calls': async ({ hostId, limit }) => service.calls(hostId, limit),
    },
    close: () => service.close(),
  };
}
