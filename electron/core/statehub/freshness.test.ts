import { describe, expect, it } from 'vitest';

import {
  freshnessForAge,
  freshnessOf,
  HEARTBEAT_INTERVAL_MS,
  ONLINE_WITHIN_MS,
  readFreshness,
  STALE_WITHIN_MS,
} from './freshness.ts';

const NOW = new Date('2026-04-20T10:00:00.000Z');

const secondsAgo = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

describe('freshness', () => {
  it('allows two missed heartbeats before a VM stops being online', () => {
    expect(HEARTBEAT_INTERVAL_MS).toBe(30_000);
    expect(ONLINE_WITHIN_MS).toBe(3 * HEARTBEAT_INTERVAL_MS);
    expect(STALE_WITHIN_MS).toBe(600_000);
  });

  it.each([
    [0, 'online'],
    [30, 'online'],
    [89.999, 'online'],
    [90, 'stale'],
    [300, 'stale'],
    [599.999, 'stale'],
    [600, 'offline'],
    [86_400, 'offline'],
  ])('calls a VM last seen %s s ago %s', (seconds, expected) => {
    expect(freshnessOf(secondsAgo(seconds), NOW)).toBe(expected);
  });

  it('accepts a Date as well as an ISO string', () => {
    expect(freshnessOf(new Date(NOW.getTime() - 120_000), NOW)).toBe('stale');
    expect(freshnessOf('2026-04-20T11:59:30+02:00', NOW)).toBe('online');
  });

  it('reads a time without a zone as UTC, not local time', () => {
    // Under UTC the two readings agree, so run this where they do not.
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(new Date(2026, 3, 20).getTimezoneOffset()).toBe(240);
      expect(readFreshness('2026-04-20T09:59:00', NOW)).toEqual({
        state: 'online',
        ageMs: 60_000,
      });
      expect(readFreshness('2026-04-20T09:59:00.5', NOW).ageMs).toBe(59_500);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('reports the age it judged by', () => {
    expect(readFreshness(secondsAgo(42), NOW)).toEqual({ state: 'online', ageMs: 42_000 });
  });

  it('treats a last_seen slightly in the future (clock skew) as online', () => {
    expect(readFreshness('2026-04-20T10:00:05.000Z', NOW)).toEqual({
      state: 'online',
      ageMs: -5_000,
    });
  });

  it('treats an unreadable last_seen as offline', () => {
    expect(freshnessOf('not a time', NOW)).toBe('offline');
    expect(freshnessOf(new Date(Number.NaN), NOW)).toBe('offline');
    expect(freshnessForAge(Number.NaN)).toBe('offline');
  });
});
