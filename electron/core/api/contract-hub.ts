/** State Hub, credentials, SSH config, tunnel health (issue 5). */
import { z } from 'zod';

import { Empty, LocalPath, VmName, type AreaContract } from './schemas.ts';

const Fingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a SHA256:... fingerprint');
const HostOrIp = z.string().regex(/^[A-Za-z0-9_.:-]{1,253}$/, 'a host name or IPv4/IPv6 address');
const Port = z.number().int().min(1).max(65535);
const Freshness = z.enum(['online', 'stale', 'offline']);

export const HubStatusSchema = z.object({
  /** external: a hub of the user's; embedded: the panel's own; the rest say why none answers. */
  kind: z.enum(['external', 'embedded', 'down', 'slow', 'garbage', 'failed']),
  url: z.string(),
  message: z.string().optional(),
  /** Whether the panel can start its own hub here (nothing listens on a loopback URL). */
  canStartEmbedded: z.boolean(),
  checkedAt: z.string(),
});
export type HubStatus = z.infer<typeof HubStatusSchema>;

export const CatalogEntrySchema = z.object({
  name: z.string(),
  tunnelPort: z.number(),
  ghcVersions: z.array(z.string()),
  agentVersion: z.string(),
  hostname: z.string(),
  bootTime: z.string(),
  registeredAt: z.string(),
  lastSeen: z.string(),
  freshness: Freshness,
  ageMs: z.number(),
});
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

export const CatalogSchema = z.object({
  status: HubStatusSchema,
  entries: z.array(CatalogEntrySchema),
});
export type Catalog = z.infer<typeof CatalogSchema>;

export const VmHealthSchema = z.object({
  name: z.string(),
  port: z.number(),
  /** healthy: tunnel, pinned handshake, fresh registration; degraded: reachable, not all of it. */
  state: z.enum(['unknown', 'healthy', 'degraded', 'down']),
  listening: z.boolean(),
  handshake: z.enum([
    'unknown',
    'ok',
    'refused',
    'timeout',
    'host-key-changed',
    'host-key-unknown',
    'auth-failed',
    'error',
  ]),
  rttMs: z.number().optional(),
  /** The presented host key when it is not the pinned one, and the pinned one. */
  presentedFingerprint: z.string().optional(),
  pinnedFingerprint: z.string().optional(),
  registration: z
    .object({ freshness: Freshness, ageMs: z.number(), lastSeen: z.string() })
    .optional(),
  message: z.string().optional(),
  /** When the state last changed. */
  since: z.string(),
  checkedAt: z.string().optional(),
});
export type VmHealth = z.infer<typeof VmHealthSchema>;

export const HealthSnapshotSchema = z.object({
  /** green: every VM healthy; red: none healthy or the hub down; amber otherwise. */
  overall: z.enum(['green', 'amber', 'red']),
  summary: z.string(),
  hub: HubStatusSchema,
  vms: z.array(VmHealthSchema),
});
export type HealthSnapshot = z.infer<typeof HealthSnapshotSchema>;

export const BuildKeySchema = z.object({
  path: z.string(),
  exists: z.boolean(),
  fingerprint: z.string().optional(),
  publicKey: z.string().optional(),
  created: z.boolean().optional(),
  modeFixed: z.boolean().optional(),
});

export const InjectDefaultsSchema = z.object({
  vm: z.string(),
  user: z.string(),
  tunnelPort: z.number(),
  hubPort: z.number(),
  relayHosts: z.array(z.object({ address: z.string(), interface: z.string() })),
  relayUser: z.string(),
  relayPort: z.number(),
});

export const InjectReportSchema = z.object({
  vm: z.string(),
  fingerprint: z.string(),
  steps: z.array(z.object({ step: z.string(), ok: z.boolean(), detail: z.string() })),
  passwordLoginOff: z.boolean(),
});

export const CheckSchema = z.object({
  id: z.string(),
  title: z.string(),
  verdict: z.enum(['pass', 'fail', 'warn', 'skip']),
  detail: z.string(),
  fix: z.string().optional(),
});
export type Check = z.infer<typeof CheckSchema>;

export const CheckReportSchema = z.object({
  vm: z.string(),
  ok: z.boolean(),
  checks: z.array(CheckSchema),
});
export type CheckReport = z.infer<typeof CheckReportSchema>;

export const ClockSchema = z.object({
  vm: z.string(),
  /** VM clock minus workstation clock, in milliseconds. */
  driftMs: z.number(),
  drifted: z.boolean(),
  canResync: z.boolean(),
  /** What to run on the VM when the panel may not (no password-less sudo). */
  command: z.string(),
});

export const SshConfigReportSchema = z.object({
  configFile: z.string(),
  folder: z.string(),
  includeAdded: z.boolean(),
  written: z.array(z.string()),
  unchanged: z.array(z.string()),
  removed: z.array(z.string()),
});

const VmInput = z.object({ vm: VmName }).strict();

export const hubContract = {
  operations: {
    'hub.status': { input: Empty, output: HubStatusSchema },
    'hub.catalog': { input: Empty, output: CatalogSchema },
    /** Starts the panel's own hub where nothing answers at the configured URL. */
    'hub.startEmbedded': { input: Empty, output: HubStatusSchema },
    'credentials.key': { input: Empty, output: BuildKeySchema },
    'credentials.keygen': { input: Empty, output: BuildKeySchema },
    'credentials.scanHostKey': {
      input: z.object({ vmIp: HostOrIp, sshPort: Port.optional() }).strict(),
      output: z.object({ type: z.string(), fingerprint: z.string() }),
    },
    'credentials.injectDefaults': { input: VmInput, output: InjectDefaultsSchema },
    'credentials.inject': {
      input: z
        .object({
          vm: VmName,
          vmIp: HostOrIp,
          sshPort: Port.optional(),
          password: z.string().min(1, 'the temporary password').max(1024),
          fingerprint: Fingerprint,
          relayHost: HostOrIp,
          relayUser: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/, 'a user name'),
          relayPort: Port.optional(),
          keyDir: LocalPath.optional(),
        })
        .strict(),
      output: InjectReportSchema,
    },
    'sshConfig.install': { input: Empty, output: SshConfigReportSchema },
    'health.snapshot': { input: Empty, output: HealthSnapshotSchema },
    /** Probes every VM at once (after a wake from sleep, or on request). */
    'health.reprobe': { input: Empty, output: HealthSnapshotSchema },
    'health.clock': { input: VmInput, output: ClockSchema },
    'health.resyncClock': { input: VmInput, output: ClockSchema },
    'doctor.run': { input: VmInput, output: CheckReportSchema },
    'smoke.run': { input: VmInput, output: CheckReportSchema },
  },
  events: {
    'hub.status': HubStatusSchema,
    'hub.catalog': CatalogSchema,
    'health.changed': HealthSnapshotSchema,
  },
} as const satisfies AreaContract;
