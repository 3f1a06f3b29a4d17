/** The build-machine image: building the OVA with Packer (issue 4). */
import { z } from 'zod';

import { ApiErrorSchema, Empty, GhcVersion, type AreaContract } from './schemas.ts';

export const ImageBuildId = z.string().regex(/^img-[a-z0-9-]{1,60}$/, 'an image build id');

/** One program the image build needs, as found on the host Packer runs on. */
export const ImageToolSchema = z.object({
  ok: z.boolean(),
  /** The version found, when the program answered. */
  version: z.string().optional(),
  /** What is wrong, when ok is false (or a warning when ok is true). */
  message: z.string().optional(),
  fix: z.string().optional(),
});
export type ImageTool = z.infer<typeof ImageToolSchema>;

export const ImageCheckSchema = z.object({
  /** The host Packer and VirtualBox run on: "local" or "ssh:<host>". */
  host: z.string(),
  templateDir: z.string(),
  packer: ImageToolSchema,
  virtualbox: ImageToolSchema,
  /** True when a build can start: both programs usable. */
  ready: z.boolean(),
});
export type ImageCheck = z.infer<typeof ImageCheckSchema>;

export const ImageBuildStatusSchema = z.enum(['running', 'succeeded', 'failed', 'cancelled']);
export type ImageBuildStatus = z.infer<typeof ImageBuildStatusSchema>;

export const ImageBuildSchema = z.object({
  id: ImageBuildId,
  status: ImageBuildStatusSchema,
  ghcVersions: z.array(GhcVersion),
  host: z.string(),
  templateDir: z.string(),
  outputDirectory: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  durationMs: z.number().optional(),
  packerVersion: z.string().optional(),
  /** The step Packer is on (`Creating virtual machine...`), or was on when it stopped. */
  step: z.string().optional(),
  /** For a failed build: the step that was running when the first error came. */
  failedStep: z.string().optional(),
  errors: z.array(z.string()),
  /** For a successful build: the OVA on the build host, ready to import. */
  ovaPath: z.string().optional(),
  sizeBytes: z.number().optional(),
  /** Whether a cancelled build's partial output folder was removed. */
  outputRemoved: z.boolean().optional(),
  /** A problem before or around Packer itself (too old, init failed...), with its fix. */
  error: ApiErrorSchema.optional(),
  logLines: z.number(),
});
export type ImageBuild = z.infer<typeof ImageBuildSchema>;

export const ImageLogLineSchema = z.object({
  level: z.enum(['info', 'output', 'error']),
  text: z.string(),
});
export type ImageLogLine = z.infer<typeof ImageLogLineSchema>;

const ById = z.object({ buildId: ImageBuildId }).strict();

export const imageContract = {
  operations: {
    /** Whether Packer (>= 1.10) and VirtualBox (>= 7.0) are usable on the build host. */
    'image.check': { input: Empty, output: ImageCheckSchema },
    /** Starts `packer init` + `packer build`; returns at once with the running build. */
    'image.build': {
      input: z
        .object({
          ghcVersions: z
            .array(GhcVersion)
            .min(1, 'at least one GHC version')
            .max(8, 'at most 8 GHC versions'),
        })
        .strict(),
      output: ImageBuildSchema,
    },
    /** Interrupts Packer, which deletes its build VM; the partial output folder is removed. */
    'image.cancel': { input: ById, output: ImageBuildSchema },
    'image.get': { input: ById, output: ImageBuildSchema },
    /** Past and running image builds, newest first. */
    'image.list': {
      input: z.object({ limit: z.number().int().min(1).max(200).optional() }).strict(),
      output: z.array(ImageBuildSchema),
    },
    /** The full log of a build, kept on disk for failed builds too. */
    'image.log': {
      input: ById,
      output: z.object({ lines: z.array(ImageLogLineSchema) }),
    },
  },
  events: {
    /** A build changed status or step. */
    'image.updated': ImageBuildSchema,
    /** New log lines; `index` is the position of the first in the build's log. */
    'image.output': z.object({
      buildId: ImageBuildId,
      index: z.number(),
      lines: z.array(ImageLogLineSchema),
    }),
  },
} as const satisfies AreaContract;
