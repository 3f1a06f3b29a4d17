/** Schemas shared by every area's part of the API contract. */
import { z } from 'zod';

export const VmName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a VM name from port-registry.yml');
export const RunId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a run id');
export const LocalPath = z.string().min(1, 'a folder path').max(4096);
export const GhcVersion = z.string().regex(/^\d+\.\d+(\.\d+)*$/, 'a GHC version such as 9.8.4');
export const Empty = z.object({}).strict();

export const ApiErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  fix: z.string().optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

/** An area's share of the contract: its operations and the events it pushes. */
export interface AreaContract {
  operations: Record<string, { input: z.ZodType; output: z.ZodType }>;
  events: Record<string, z.ZodType>;
}
