/**
 * How recently a VM's agent was heard from. Agents heartbeat every 30 s, so "online" tolerates
 * two missed beats; "stale" covers a reboot or a tunnel reconnect; after that it is "offline".
 */

export type Freshness = 'online' | 'stale' | 'offline';

export const HEARTBEAT_INTERVAL_MS = 30_000;
export const ONLINE_WITHIN_MS = 90_000;
export const STALE_WITHIN_MS = 10 * 60_000;

export interface FreshnessReading {
  state: Freshness;
  /** Milliseconds since last_seen; negative when the hub's clock runs ahead. NaN if unreadable. */
  ageMs: number;
}

export function readFreshness(lastSeen: string | Date, now: Date): FreshnessReading {
  const seen = typeof lastSeen === 'string' ? parseHubTime(lastSeen) : lastSeen.getTime();
  const ageMs = now.getTime() - seen;
  return { state: freshnessForAge(ageMs), ageMs };
}

export function freshnessOf(lastSeen: string | Date, now: Date): Freshness {
  return readFreshness(lastSeen, now).state;
}

// A timestamp ahead of now (clock skew) counts as just seen; one that cannot be read as never.
export function freshnessForAge(ageMs: number): Freshness {
  if (Number.isNaN(ageMs)) return 'offline';
  if (ageMs < ONLINE_WITHIN_MS) return 'online';
  if (ageMs < STALE_WITHIN_MS) return 'stale';
  return 'offline';
}

// Date.parse reads a time without a zone as local time; hub times without one are UTC.
function parseHubTime(text: string): number {
  const hasZone = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(text);
  return Date.parse(hasZone || !text.includes('T') ? text : `${text}Z`);
}
