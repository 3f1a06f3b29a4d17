import { z } from 'zod';

/**
 * The shapes the State Hub speaks: what an agent posts, what the hub stores and returns. Shared
 * by the embedded server and the client so both sides reject the same things.
 */

export const BUILD_AGENT_CAPABILITY = 'haskell-build-agent';

// Missing fields say "required"; present but wrong ones say what was expected.
function expected(what: string) {
  return {
    error: (issue: { input?: unknown }) =>
      issue.input === undefined ? 'required' : `expected ${what}`,
  };
}

// Type and name are free text to the API, but they travel as URL path segments and log fields,
// so control characters and unbounded lengths are refused.
const KEY_MAX = 256;

const keySchema = z
  .string(expected('a string'))
  .min(1, { error: 'must not be empty' })
  .max(KEY_MAX, { error: `must be at most ${KEY_MAX} characters` })
  .refine((value) => !hasControlCharacters(value), {
    error: 'must not contain control characters',
  });

const isoTimestamp = z.iso.datetime({
  offset: true,
  ...expected('an ISO-8601 timestamp such as 2026-04-20T10:00:00Z'),
});

// Hubs written in other languages may leave the zone off a UTC time (Python's naive
// isoformat()); entries read from a hub accept that, and freshness reads such times as UTC.
const hubTimestamp = z.iso.datetime({
  offset: true,
  local: true,
  ...expected('an ISO-8601 timestamp such as 2026-04-20T10:00:00Z'),
});

const attributesSchema = z.record(z.string(), z.unknown(), expected('a JSON object'));

/** The body of POST /capability-catalog/. */
export const registrationSchema = z.object(
  {
    capability_type: keySchema,
    name: keySchema,
    attributes: attributesSchema,
  },
  expected('a JSON object with capability_type, name and attributes'),
);

export type Registration = z.infer<typeof registrationSchema>;

/** Attributes a haskell-build-agent must send; extra keys from newer agents are kept. */
export const buildAgentAttributesSchema = z.looseObject({
  tunnel_port: z
    .int(expected('an integer port number'))
    .min(1, expected('a port from 1 to 65535'))
    .max(65535, expected('a port from 1 to 65535')),
  ghc_versions: z
    .array(
      z.string(expected('a version string')).regex(/^\d+(\.\d+){0,3}$/, {
        error: 'expected a GHC version such as 9.8.4',
      }),
      expected('a list of GHC versions'),
    )
    .max(32, expected('at most 32 GHC versions')),
  agent_version: z
    .string(expected('a string'))
    .min(1, { error: 'must not be empty' })
    .max(64, { error: 'must be at most 64 characters' }),
  boot_time: isoTimestamp,
  hostname: z
    .string(expected('a string'))
    .min(1, { error: 'must not be empty' })
    .max(253, { error: 'must be at most 253 characters' }),
});

export type BuildAgentAttributes = z.infer<typeof buildAgentAttributesSchema>;

/** One catalog entry as stored on disk and returned over HTTP. */
export const entrySchema = z.object({
  id: z.string(expected('a string')).min(1, { error: 'must not be empty' }),
  capability_type: z.string(expected('a string')),
  name: z.string(expected('a string')),
  attributes: attributesSchema,
  registered_at: hubTimestamp,
  last_seen: hubTimestamp,
});

export type CapabilityEntry = z.infer<typeof entrySchema>;

export type BuildAgentEntry = Omit<CapabilityEntry, 'attributes'> & {
  attributes: BuildAgentAttributes;
};

export function isValidKey(value: string): boolean {
  return keySchema.safeParse(value).success;
}

/** An ISO-8601 time in the hub's format: UTC, whole seconds (2026-04-20T09:15:02Z). */
export function hubTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hasControlCharacters(value: string): boolean {
  return [...value].some((char) => {
    const code = char.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code < 0xa0);
  });
}

/**
 * Validates a registration, including the per-type attributes this hub knows about. Returns the
 * first problem as "field: what is wrong" so an agent's log names the field to fix.
 */
export function parseRegistration(
  body: unknown,
): { ok: true; value: Registration } | { ok: false; error: string } {
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: describeIssue(parsed.error) };

  if (parsed.data.capability_type === BUILD_AGENT_CAPABILITY) {
    const attributes = buildAgentAttributesSchema.safeParse(parsed.data.attributes);
    if (!attributes.success) {
      return { ok: false, error: describeIssue(attributes.error, ['attributes']) };
    }
    return { ok: true, value: { ...parsed.data, attributes: attributes.data } };
  }
  return { ok: true, value: parsed.data };
}

/** "attributes.tunnel_port: expected an integer port number" from the first zod issue. */
export function describeIssue(error: z.ZodError, prefix: PropertyKey[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const path = [...prefix, ...issue.path].map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
