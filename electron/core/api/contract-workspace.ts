/** GHCi terminals, artefacts, GHC versions on a VM (issue 6). */
import type { AreaContract } from './schemas.ts';

export const workspaceContract = {
  operations: {},
  events: {},
} as const satisfies AreaContract;
