/**
 * The one API between the panel's user interface and its core. Both transports (Electron IPC
 * and the browser-mode WebSocket) carry exactly these operations and events; inputs are
 * validated with these schemas where they cross a process boundary.
 */
import { z } from 'zod';

import { hubContract } from './contract-hub.ts';
import { imageContract } from './contract-image.ts';
import { vmContract } from './contract-vms.ts';
import { workspaceContract } from './contract-workspace.ts';
import {
  ApiErrorSchema,
  Empty,
  GhcVersion,
  LocalPath,
  RunId,
  VmName,
  type ApiError,
} from './schemas.ts';

export { ApiErrorSchema, type ApiError } from './schemas.ts';

export const MachineStatusSchema = z.object({
  name: z.string(),
  port: z.number(),
  user: z.string(),
  /** unknown: not probed yet; answering: SSH handshake with the pinned key worked. */
  ssh: z.enum([
    'unknown',
    'answering',
    'unreachable',
    'host-key-unknown',
    'host-key-changed',
    'auth-failed',
    'build-key-missing',
  ]),
  message: z.string().optional(),
  fingerprint: z.string().optional(),
  rttMs: z.number().optional(),
  checkedAt: z.string().optional(),
});
export type MachineStatus = z.infer<typeof MachineStatusSchema>;

export const DiagnosticSchema = z.object({
  file: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
  endLine: z.number().optional(),
  endColumn: z.number().optional(),
  severity: z.enum(['error', 'warning']),
  code: z.string().optional(),
  flag: z.string().optional(),
  message: z.string(),
  logLine: z.number(),
});
export type Diagnostic = z.infer<typeof DiagnosticSchema>;

export const BuildKindSchema = z.enum(['build', 'test']);
export type BuildKind = z.infer<typeof BuildKindSchema>;

export const BuildStatusSchema = z.enum([
  'queued',
  'syncing',
  'running',
  'succeeded',
  'failed',
  'cancelled',
]);
export type BuildStatus = z.infer<typeof BuildStatusSchema>;

export const BuildRunSchema = z.object({
  id: RunId,
  vm: z.string(),
  project: z.string(),
  projectName: z.string(),
  kind: BuildKindSchema,
  ghc: z.string().optional(),
  status: BuildStatusSchema,
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  durationMs: z.number().optional(),
  exitCode: z.number().nullable().optional(),
  error: ApiErrorSchema.optional(),
  diagnostics: z.array(DiagnosticSchema),
  progress: z.object({ done: z.number(), total: z.number(), label: z.string() }).optional(),
  sync: z
    .object({ uploadedFiles: z.number(), uploadedBytes: z.number(), removedFiles: z.number() })
    .optional(),
});
export type BuildRun = z.infer<typeof BuildRunSchema>;

export const ProjectInfoSchema = z.object({
  path: z.string(),
  name: z.string(),
  cabalFiles: z.array(z.string()),
  hasCabalProject: z.boolean(),
});
export type ProjectInfo = z.infer<typeof ProjectInfoSchema>;

export const AppInfoSchema = z.object({
  version: z.string(),
  transport: z.enum(['ipc', 'websocket']),
  registryPath: z.string(),
  stateDir: z.string(),
  /** Whether the host can show a native folder dialog (Electron) or not (browser mode). */
  nativeDialogs: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** The foundation's operations: machines over their tunnels, projects, builds. */
const buildOperations = {
  'app.info': { input: Empty, output: AppInfoSchema },
  'machines.list': { input: Empty, output: z.array(MachineStatusSchema) },
  'machines.probe': { input: z.object({ vm: VmName }).strict(), output: MachineStatusSchema },
  'machines.trustHostKey': {
    input: z.object({ vm: VmName, fingerprint: z.string().startsWith('SHA256:') }).strict(),
    output: MachineStatusSchema,
  },
  'machines.ghcVersions': {
    input: z.object({ vm: VmName }).strict(),
    output: z.array(z.string()),
  },
  'projects.inspect': { input: z.object({ path: LocalPath }).strict(), output: ProjectInfoSchema },
  'projects.complete': {
    input: z.object({ prefix: z.string().max(4096) }).strict(),
    output: z.array(z.string()),
  },
  'projects.pickFolder': { input: Empty, output: z.string().nullable() },
  'builds.start': {
    input: z
      .object({ vm: VmName, project: LocalPath, kind: BuildKindSchema, ghc: GhcVersion.optional() })
      .strict(),
    output: BuildRunSchema,
  },
  'builds.cancel': { input: z.object({ runId: RunId }).strict(), output: BuildRunSchema },
  'builds.get': { input: z.object({ runId: RunId }).strict(), output: BuildRunSchema },
  'builds.list': {
    input: z
      .object({ project: LocalPath.optional(), limit: z.number().int().min(1).max(500).optional() })
      .strict(),
    output: z.array(BuildRunSchema),
  },
  'builds.log': {
    input: z.object({ runId: RunId }).strict(),
    output: z.object({ text: z.string(), size: z.number() }),
  },
} as const;

/**
 * Every operation: its input schema and the schema of what it returns. Each area of the panel
 * declares its own in a contract-<area>.ts file.
 */
export const operations = {
  ...buildOperations,
  ...vmContract.operations,
  ...imageContract.operations,
  ...hubContract.operations,
  ...workspaceContract.operations,
} as const;

export type Operations = typeof operations;
export type OperationName = keyof Operations;
export type OperationInput<K extends OperationName> = z.input<Operations[K]['input']>;
export type OperationOutput<K extends OperationName> = z.output<Operations[K]['output']>;

/** Events the core pushes to every connected window. */
export const events = {
  'machine.status': MachineStatusSchema,
  'build.updated': BuildRunSchema,
  /** `offset` is the character offset of `text` in the run's log, so a late reader can join. */
  'build.output': z.object({ runId: RunId, offset: z.number(), text: z.string() }),
  ...vmContract.events,
  ...imageContract.events,
  ...hubContract.events,
  ...workspaceContract.events,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && Object.hasOwn(operations, name);
}

/** A call's outcome as it travels over either transport. */
export type CallResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };
