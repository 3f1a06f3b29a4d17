/** The build-machine image: building the OVA with Packer (issue 4). */
import type { AreaContract } from './schemas.ts';

export const imageContract = {
  operations: {},
  events: {},
} as const satisfies AreaContract;
