/** The VM lifecycle area (issue 3): VirtualBox hosts, import, networking, the port registry. */
import { vmContract } from '../api/contract-vms.ts';
import type { CoreContext, Feature } from '../feature.ts';

export type VmsFeatureOperations = typeof vmContract.operations;

export async function createVmsFeature(
  _context: CoreContext,
): Promise<Feature<VmsFeatureOperations>> {
  return { handlers: {}, close: () => undefined };
}
