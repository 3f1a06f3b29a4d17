/** The workspace area (issue 6): GHCi terminals, artefacts, GHC versions. */
import { workspaceContract } from '../api/contract-workspace.ts';
import type { CoreContext, Feature } from '../feature.ts';

export type WorkspaceFeatureOperations = typeof workspaceContract.operations;

export async function createWorkspaceFeature(
  _context: CoreContext,
): Promise<Feature<WorkspaceFeatureOperations>> {
  return { handlers: {}, close: () => undefined };
}
