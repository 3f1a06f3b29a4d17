/** State Hub, credentials, SSH config, tunnel health (issue 5). */
import type { AreaContract } from './schemas.ts';

export const hubContract = {
  operations: {},
  events: {},
} as const satisfies AreaContract;
