import { z } from 'zod';

import type { CallResult, EventName } from '../core/api/contract.ts';

/** Browser → server: one call. The operation and its input are validated by the API handler. */
const ClientMessageSchema = z.object({
  type: z.literal('call'),
  id: z.number().int().nonnegative(),
  op: z.string().max(64),
  // JSON.stringify drops an undefined input; zod 4 would then refuse the call unanswered.
  input: z.unknown().optional(),
});
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

export type ServerMessage =
  | { type: 'result'; id: number; result: CallResult<unknown> }
  | { type: 'event'; name: EventName; payload: unknown };

export function parseClientMessage(text: string): ClientMessage | undefined {
  try {
    const parsed = ClientMessageSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
