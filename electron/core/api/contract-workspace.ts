/** GHCi terminals, artefacts, GHC versions on a VM (issue 6). */
import { z } from 'zod';

import { GhcVersion, LocalPath, VmName, type AreaContract } from './schemas.ts';

export const TerminalId = z.string().regex(/^term-[a-z0-9]{8,32}$/, 'a terminal id');
/** A caller-chosen id that tags the live log lines of one long job (install, fetch). */
export const JobId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a job id');

export const TerminalStateSchema = z.enum(['opening', 'open', 'dropped', 'closed']);

export const TerminalInfoSchema = z.object({
  id: TerminalId,
  vm: z.string(),
  title: z.string(),
  project: z.string().optional(),
  ghc: z.string().optional(),
  /** Runs inside tmux on the VM, so a reconnect finds it as it was. */
  persistent: z.boolean(),
  state: TerminalStateSchema,
  message: z.string().optional(),
  exitCode: z.number().optional(),
  /** Characters sent so far; the next `terminal.output` continues here. */
  offset: z.number(),
});
export type TerminalInfo = z.infer<typeof TerminalInfoSchema>;

const Cols = z.number().int().min(2).max(1000);
const Rows = z.number().int().min(1).max(500);

export const ArtifactSchema = z.object({
  name: z.string(),
  remotePath: z.string(),
  localPath: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  /** The VM's sha256sum and the local hash of the written file agree. */
  verified: z.boolean(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

export const GhcListSchema = z.object({
  versions: z.array(z.object({ version: z.string(), isDefault: z.boolean() })),
  ghcup: z.boolean(),
});
export type GhcList = z.infer<typeof GhcListSchema>;

const JobResult = z.object({ exitCode: z.number().nullable(), durationMs: z.number() });

// Debian package names (policy 5.6.1), optionally with an architecture qualifier.
export const AptPackage = z
  .string()
  .regex(/^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/, 'a Debian package name such as libgmp-dev');

export const workspaceContract = {
  operations: {
    'terminal.open': {
      input: z
        .object({
          vm: VmName,
          project: LocalPath.optional(),
          ghc: GhcVersion.optional(),
          cols: Cols,
          rows: Rows,
          persistent: z.boolean().optional(),
        })
        .strict(),
      output: TerminalInfoSchema,
    },
    'terminal.input': {
      input: z.object({ id: TerminalId, data: z.string().max(1024 * 1024) }).strict(),
      output: z.object({}),
    },
    'terminal.resize': {
      input: z.object({ id: TerminalId, cols: Cols, rows: Rows }).strict(),
      output: z.object({}),
    },
    /** The renderer has written up to `offset` into xterm (its write callback ran). */
    'terminal.ack': {
      input: z.object({ id: TerminalId, offset: z.number().int().min(0) }).strict(),
      output: z.object({}),
    },
    'terminal.reconnect': {
      input: z.object({ id: TerminalId }).strict(),
      output: TerminalInfoSchema,
    },
    'terminal.close': { input: z.object({ id: TerminalId }).strict(), output: z.object({}) },
    'terminal.list': { input: z.object({}).strict(), output: z.array(TerminalInfoSchema) },
    'artifacts.fetch': {
      input: z.object({ vm: VmName, project: LocalPath, dest: LocalPath, jobId: JobId }).strict(),
      output: z.object({ dest: z.string(), files: z.array(ArtifactSchema) }),
    },
    'artifacts.cancel': { input: z.object({ jobId: JobId }).strict(), output: z.object({}) },
    'artifacts.pickFolder': { input: z.object({}).strict(), output: z.string().nullable() },
    'ghc.list': { input: z.object({ vm: VmName }).strict(), output: GhcListSchema },
    'ghc.install': {
      input: z.object({ vm: VmName, version: GhcVersion, jobId: JobId }).strict(),
      output: JobResult,
    },
    'ghc.setDefault': {
      input: z.object({ vm: VmName, version: GhcVersion, jobId: JobId }).strict(),
      output: JobResult,
    },
    'apt.install': {
      input: z
        .object({ vm: VmName, packages: z.array(AptPackage).min(1).max(50), jobId: JobId })
        .strict(),
      output: JobResult,
    },
  },
  events: {
    'terminal.output': z.object({ id: TerminalId, offset: z.number(), data: z.string() }),
    'terminal.state': z.object({
      id: TerminalId,
      state: TerminalStateSchema,
      message: z.string().optional(),
      exitCode: z.number().optional(),
    }),
    'artifacts.progress': z.object({
      jobId: JobId,
      file: z.string(),
      index: z.number(),
      count: z.number(),
      bytes: z.number(),
      total: z.number(),
    }),
    /** A live log line of a job: GHC install, default change, apt install. */
    'workspace.log': z.object({ jobId: JobId, text: z.string() }),
  },
} as const satisfies AreaContract;
