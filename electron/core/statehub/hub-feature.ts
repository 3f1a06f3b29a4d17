/** The State Hub area (issue 5): catalog, credentials, SSH config, tunnel health. */
import { hubContract } from '../api/contract-hub.ts';
import type { CoreContext, Feature } from '../feature.ts';

export type HubFeatureOperations = typeof hubContract.operations;

export async function createHubFeature(
  _context: CoreContext,
): Promise<Feature<HubFeatureOperations>> {
  return { handlers: {}, close: () => undefined };
}
