/** VM lifecycle: VirtualBox hosts, OVA import, bridged networking, the port registry (issue 3). */
import { z } from 'zod';

import { ApiErrorSchema, Empty, LocalPath, VmName, type AreaContract } from './schemas.ts';

export const HostId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a host id such as "laptop"');
/** A VM by its registry name or its VirtualBox UUID. */
export const VmRef = z.union([
  VmName,
  z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a VM UUID'),
]);

export const VboxHostSchema = z
  .object({
    id: HostId,
    label: z.string().min(1).max(64),
    kind: z.enum(['local', 'ssh']),
    host: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,253}$/, 'a host name or address')
      .optional(),
    port: z.number().int().min(1).max(65535).optional(),
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'a user name')
      .optional(),
    keyPath: LocalPath.optional(),
    /** The pinned host key: `SHA256:...` or `ssh-ed25519 AAAA...`. */
    hostKey: z.string().min(10).max(1000).optional(),
    /** VBoxManage's path on that host when it is not on the PATH. */
    vboxmanage: z.string().min(1).max(4096).optional(),
  })
  .strict();
export type VboxHost = z.infer<typeof VboxHostSchema>;

export const VmSummarySchema = z.object({
  hostId: z.string(),
  uuid: z.string(),
  name: z.string(),
  accessible: z.boolean(),
  /** VMState as VirtualBox prints it (poweroff, running, saved...). */
  state: z.string(),
  stateChangedAt: z.string().optional(),
  nic1: z
    .object({ type: z.string(), bridgeAdapter: z.string().optional(), mac: z.string().optional() })
    .optional(),
  memoryMb: z.number().optional(),
  cpus: z.number().optional(),
  /** The tunnel port port-registry.yml gives it, when it is listed there. */
  registryPort: z.number().optional(),
});
export type VmSummary = z.infer<typeof VmSummarySchema>;

export const BootStageSchema = z.object({
  id: z.enum(['running', 'ip', 'ssh', 'hub']),
  label: z.string(),
  status: z.enum(['pending', 'active', 'done', 'failed', 'skipped']),
  startedAt: z.string().optional(),
  elapsedMs: z.number().optional(),
  message: z.string().optional(),
});
export type BootStage = z.infer<typeof BootStageSchema>;

export const BootSchema = z.object({
  vm: z.string(),
  hostId: z.string(),
  startedAt: z.string(),
  stages: z.array(BootStageSchema),
  ip: z.string().optional(),
  finished: z.boolean(),
});
export type Boot = z.infer<typeof BootSchema>;

export const VmDetailsSchema = VmSummarySchema.extend({
  ip: z.string().optional(),
  uptimeSec: z.number().optional(),
  boot: BootSchema.optional(),
});
export type VmDetails = z.infer<typeof VmDetailsSchema>;

export const VmTaskSchema = z.object({
  id: z.string(),
  kind: z.enum(['import']),
  hostId: z.string(),
  vm: z.string(),
  source: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'canceled']),
  /** 0-100 over reading and importing the appliance. */
  percent: z.number(),
  phase: z.enum(['interpret', 'import']).optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  uuid: z.string().optional(),
  port: z.number().optional(),
  error: ApiErrorSchema.optional(),
});
export type VmTask = z.infer<typeof VmTaskSchema>;

export const VBoxCallSchema = z.object({
  seq: z.number(),
  host: z.string(),
  argv: z.array(z.string()),
  exitCode: z.number().nullable(),
  startedAt: z.string(),
  ms: z.number(),
  stderr: z.string(),
});
export type VBoxCall = z.infer<typeof VBoxCallSchema>;

export const HostVmsSchema = z.object({
  host: VboxHostSchema,
  vms: z.array(VmSummarySchema),
  error: ApiErrorSchema.optional(),
});
export type HostVms = z.infer<typeof HostVmsSchema>;

const Target = { vm: VmRef, hostId: HostId.optional() };

export const vmContract = {
  operations: {
    'vms.hosts': { input: Empty, output: z.array(VboxHostSchema) },
    'vms.saveHost': { input: VboxHostSchema, output: VboxHostSchema },
    'vms.removeHost': {
      input: z.object({ id: HostId }).strict(),
      output: z.object({ removed: z.boolean() }),
    },
    'vms.list': {
      input: z.object({ hostId: HostId.optional() }).strict(),
      output: z.array(HostVmsSchema),
    },
    'vms.info': { input: z.object(Target).strict(), output: VmDetailsSchema },
    'vms.import': {
      input: z.object({ hostId: HostId, ova: LocalPath, name: VmName }).strict(),
      output: VmTaskSchema,
    },
    'vms.tasks': { input: Empty, output: z.array(VmTaskSchema) },
    'vms.cancelTask': {
      input: z.object({ taskId: z.string().max(64) }).strict(),
      output: VmTaskSchema,
    },
    'vms.pickOva': { input: Empty, output: z.string().nullable() },
    'vms.bridgeAdapters': {
      input: z.object({ hostId: HostId }).strict(),
      output: z.object({
        candidates: z.array(z.object({ name: z.string(), ipAddress: z.string().optional() })),
        preselected: z.string().optional(),
      }),
    },
    'vms.setBridged': {
      input: z.object({ ...Target, adapter: z.string().min(1).max(256).optional() }).strict(),
      output: VmDetailsSchema,
    },
    'vms.start': { input: z.object(Target).strict(), output: VmDetailsSchema },
    'vms.stop': {
      input: z
        .object({ ...Target, timeoutSec: z.number().int().min(1).max(600).optional() })
        .strict(),
      output: z.object({
        outcome: z.enum(['already-off', 'acpi', 'poweroff']),
        vm: VmDetailsSchema,
      }),
    },
    'vms.saveState': { input: z.object(Target).strict(), output: VmDetailsSchema },
    'vms.remove': {
      /** `confirm` must repeat the VM's name: removing deletes its disks. */
      input: z.object({ ...Target, confirm: z.string() }).strict(),
      output: z.object({ removed: z.literal(true), name: z.string() }),
    },
    'vms.calls': {
      input: z
        .object({ hostId: HostId.optional(), limit: z.number().int().min(1).max(500).optional() })
        .strict(),
      output: z.array(VBoxCallSchema),
    },
  },
  events: {
    'vms.task': VmTaskSchema,
    'vms.boot': BootSchema,
    'vms.changed': z.object({ hostId: z.string(), vms: z.array(VmSummarySchema) }),
    'vms.call': VBoxCallSchema,
  },
} as const satisfies AreaContract;
