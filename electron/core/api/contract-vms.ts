/** VM lifecycle: VirtualBox hosts, OVA import, bridged networking, the port registry (issue 3). */
import type { AreaContract } from './schemas.ts';

export const vmContract = {
  operations: {},
  events: {},
} as const satisfies AreaContract;
