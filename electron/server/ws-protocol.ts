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

/**
 * A valid call, or the id of a malformed one (so the client's promise gets an error instead of
 * waiting forever), or nothing when not even an id can be read.
 */
export function parseClientMessage(
  text: string,
): { call: ClientMessage } | { malformedId: number | undefined } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { malformedId: undefined };
  }
  const parsed = ClientMessageSchema.safeParse(json);
  if (parsed.success) return { call: parsed.data };
  const id = (json as { id?: unknown } | null)?.id;
  return {
    malformedId: typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : undefined,
  };
}
