/** The image area (issue 4): building the OVA with Packer from the panel. */
import { imageContract } from '../api/contract-image.ts';
import type { CoreContext, Feature } from '../feature.ts';

export type ImageFeatureOperations = typeof imageContract.operations;

export async function createImageFeature(
  _context: CoreContext,
): Promise<Feature<ImageFeatureOperations>> {
  return { handlers: {}, close: () => undefined };
}
