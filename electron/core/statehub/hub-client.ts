import { z } from 'zod';

import { UserError } from '../errors.ts';
import {
  BUILD_AGENT_CAPABILITY,
  buildAgentAttributesSchema,
  describeIssue,
  entrySchema,
} from './catalog-schema.ts';
import type { BuildAgentEntry, CapabilityEntry } from './catalog-schema.ts';

/**
 * Reads the State Hub over HTTP. Every call resolves, never throws: the result says whether
 * the hub answered properly, is not running, is too slow, or is something else entirely, with
 * a sentence the UI can show as is.
 */

export const DEFAULT_HUB_URL = 'http://127.0.0.1:8000';
export const DEFAULT_TIMEOUT_MS = 3_000;

// A catalog of a few VMs is a few KiB; anything near this is not a State Hub talking.
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export type HubResult<T> =
  | { kind: 'ok'; value: T }
  /** Nothing answered: connection refused, unknown host, unreachable network. */
  | { kind: 'down'; message: string; code: string }
  /** Something accepted the connection but did not answer in time. */
  | { kind: 'slow'; message: string }
  /** Something answered, but not with State Hub JSON (or not over HTTP at all). */
  | { kind: 'garbage'; message: string }
  /** The hub answered with an HTTP error status. */
  | { kind: 'failed'; message: string; status: number };

export type HubFailure = Exclude<HubResult<never>, { kind: 'ok' }>;

export interface HubClientOptions {
  baseUrl?: string;
  timeoutMs?: number;
}

export interface HubClient {
  readonly baseUrl: string;
  health(): Promise<HubResult<{ status: 'ok' }>>;
  /** All entries, or those of one capability type. */
  listEntries(capabilityType?: string): Promise<HubResult<CapabilityEntry[]>>;
  /** haskell-build-agent entries with their attributes checked. */
  listBuildAgents(): Promise<HubResult<BuildAgentEntry[]>>;
}

const healthSchema = z.looseObject({ status: z.literal('ok') });
const entryListSchema = z.array(entrySchema);

// Errors that mean nothing is there to talk to, as opposed to something answering badly.
const DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
]);

export function createHubClient(options: HubClientOptions = {}): HubClient {
  const base = parseBaseUrl(options.baseUrl ?? DEFAULT_HUB_URL);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const baseUrl = base.href.replace(/\/$/, '');

  const getJson = async <T>(path: string, schema: z.ZodType<T>): Promise<HubResult<T>> => {
    const url = new URL(path, base);
    const answer = await fetchText(url, timeoutMs, baseUrl);
    if (answer.kind !== 'ok') return answer;

    const { status, text } = answer.value;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const what = status >= 400 ? `HTTP ${status} and ` : '';
      return {
        kind: 'garbage',
        message:
          `Something at ${baseUrl} answered ${what}not with JSON, so it is not a State Hub. ` +
          'Is another program using that port?',
      };
    }

    if (status >= 400) return httpFailure(baseUrl, url, status, json);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      return {
        kind: 'garbage',
        message:
          `${baseUrl} answered ${url.pathname} with JSON the app does not understand ` +
          `(${describeIssue(parsed.error)}). Is it a State Hub?`,
      };
    }
    return { kind: 'ok', value: parsed.data };
  };

  const listEntries = (capabilityType?: string) => {
    const query = capabilityType
      ? `?${new URLSearchParams({ capability_type: capabilityType })}`
      : '';
    return getJson(`capability-catalog/${query}`, entryListSchema);
  };

  const listBuildAgents = async (): Promise<HubResult<BuildAgentEntry[]>> => {
    const result = await listEntries(BUILD_AGENT_CAPABILITY);
    if (result.kind !== 'ok') return result;

    const agents: BuildAgentEntry[] = [];
    for (const entry of result.value) {
      const attributes = buildAgentAttributesSchema.safeParse(entry.attributes);
      if (!attributes.success) {
        const problem = describeIssue(attributes.error, ['attributes']);
        return {
          kind: 'garbage',
          message: `The State Hub at ${baseUrl} lists build agent "${entry.name}" with ${problem}.`,
        };
      }
      agents.push({ ...entry, attributes: attributes.data });
    }
    return { kind: 'ok', value: agents };
  };

  return {
    baseUrl,
    health: () => getJson('health', healthSchema).then(keepStatusOnly),
    listEntries,
    listBuildAgents,
  };
}

function keepStatusOnly(result: HubResult<{ status: 'ok' }>): HubResult<{ status: 'ok' }> {
  return result.kind === 'ok' ? { kind: 'ok', value: { status: 'ok' } } : result;
}

function parseBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(
      'statehub-bad-url',
      `"${text}" is not a State Hub URL.`,
      `Use an http URL such as ${DEFAULT_HUB_URL}.`,
    );
  }
  // Paths resolve against the base, so a base with a path prefix must end in a slash.
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}

// fetch pools keep-alive sockets; after a hub restart the first request can go out on a socket
// the old hub already closed. Every call here is a GET, so one retry on a fresh socket is safe.
const STALE_SOCKET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

async function fetchText(
  url: URL,
  timeoutMs: number,
  baseUrl: string,
): Promise<HubResult<{ status: number; text: string }>> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fetchTextOnce(url, signal, baseUrl);
    } catch (error) {
      const code = errorCode(error);
      if (attempt === 1 && code && STALE_SOCKET_CODES.has(code)) continue;
      return describeFetchError(error, timeoutMs, baseUrl);
    }
  }
}

// Throws what fetch throws; a body over the limit is reported, not thrown.
async function fetchTextOnce(
  url: URL,
  signal: AbortSignal,
  baseUrl: string,
): Promise<HubResult<{ status: number; text: string }>> {
  const response = await fetch(url, {
    signal,
    headers: { accept: 'application/json' },
    redirect: 'error',
  });
  const text = await readBounded(response);
  if (text === undefined) {
    return {
      kind: 'garbage',
      message:
        `Something at ${baseUrl} sent an answer over ${MAX_RESPONSE_BYTES} bytes; ` +
        'a State Hub does not. Is another program using that port?',
    };
  }
  return { kind: 'ok', value: { status: response.status, text } };
}

// The timeout signal also covers reading the body, so a hub that stalls mid-answer is "slow".
async function readBounded(response: Response): Promise<string | undefined> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(error: unknown, timeoutMs: number, baseUrl: string): HubFailure {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return {
      kind: 'slow',
      message:
        `The State Hub at ${baseUrl} did not answer within ${formatSeconds(timeoutMs)}. ` +
        'It may be overloaded or stuck; try again, or restart it.',
    };
  }

  const code = errorCode(error);
  if (code === 'ECONNREFUSED') {
    return {
      kind: 'down',
      code,
      message: `No State Hub is running at ${baseUrl} (connection refused).`,
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return {
      kind: 'down',
      code,
      message: `Cannot find the State Hub host: ${new URL(baseUrl).hostname} does not resolve.`,
    };
  }
  if (code && DOWN_CODES.has(code)) {
    return { kind: 'down', code, message: `The State Hub at ${baseUrl} is unreachable (${code}).` };
  }

  const reason = code ? `${code}: ${causeMessage(error)}` : causeMessage(error);
  return {
    kind: 'garbage',
    message:
      `Something at ${baseUrl} did not answer like an HTTP server (${reason}). ` +
      'Is another program using that port?',
  };
}

function httpFailure(baseUrl: string, url: URL, status: number, json: unknown): HubFailure {
  const detail =
    typeof json === 'object' && json !== null && 'error' in json && typeof json.error === 'string'
      ? `: ${json.error}`
      : '';
  if (status === 404) {
    return {
      kind: 'failed',
      status,
      message:
        `${baseUrl} has no ${url.pathname} (HTTP 404${detail}). ` +
        'It may not be a State Hub, or the URL may be wrong.',
    };
  }
  return {
    kind: 'failed',
    status,
    message: `The State Hub at ${baseUrl} answered HTTP ${status}${detail}.`,
  };
}

// fetch wraps the socket error in a TypeError; with several addresses it may be an aggregate.
function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  const first = (cause as { errors?: unknown[] } | undefined)?.errors?.[0];
  const nested = (first as { code?: unknown } | undefined)?.code;
  return typeof nested === 'string' ? nested : undefined;
}

function causeMessage(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
