import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { FlowWindow, OutputBatcher } from './terminal-output.ts';

describe('OutputBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends small output once the interval passes, as one batch', () => {
    const sent: string[] = [];
    const batcher = new OutputBatcher((text) => sent.push(text), { intervalMs: 16, maxChars: 100 });
    batcher.push(Buffer.from('ghci> '));
    batcher.push(Buffer.from(':t map'));
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(16);
    expect(sent).toEqual(['ghci> :t map']);
  });

  it('cuts a flood into batches no larger than the limit, without waiting', () => {
    const sent: string[] = [];
    const batcher = new OutputBatcher((text) => sent.push(text), { intervalMs: 16, maxChars: 10 });
    batcher.push(Buffer.from('1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n'));
    expect(sent).toEqual(['1\n2\n3\n4\n5\n', '6\n7\n8\n9\n10']);
    vi.advanceTimersByTime(16);
    expect(sent.join('')).toBe('1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n');
  });

  it('keeps a UTF-8 character whole when an SSH packet splits it', () => {
    const sent: string[] = [];
    const batcher = new OutputBatcher((text) => sent.push(text));
    const bytes = Buffer.from('λ → 𝛌', 'utf8');
    for (let i = 0; i < bytes.length; i++) batcher.push(bytes.subarray(i, i + 1));
    batcher.end();
    expect(sent.join('')).toBe('λ → 𝛌');
    expect(sent.join('')).not.toContain('\uFFFD');
  });

  it('does not split a surrogate pair at the size limit', () => {
    const sent: string[] = [];
    const batcher = new OutputBatcher((text) => sent.push(text), { intervalMs: 16, maxChars: 3 });
    batcher.push(Buffer.from('ab𝛌cd', 'utf8'));
    batcher.end();
    expect(sent[0]).toBe('ab');
    expect(sent.join('')).toBe('ab𝛌cd');
  });
});

describe('FlowWindow', () => {
  it('pauses above the high-water mark and resumes below the low-water mark', () => {
    const changes: boolean[] = [];
    const flow = new FlowWindow((paused) => changes.push(paused), { highWater: 100, lowWater: 20 });
    flow.sentText(60);
    flow.sentText(60);
    expect(changes).toEqual([true]);
    flow.ack(60);
    expect(flow.unacked).toBe(60);
    expect(changes).toEqual([true]);
    flow.ack(110);
    expect(changes).toEqual([true, false]);
  });

  it('takes the furthest acknowledgement and caps one beyond what was sent', () => {
    const flow = new FlowWindow(() => undefined, { highWater: 100, lowWater: 20 });
    flow.sentText(50);
    flow.ack(40);
    flow.ack(10);
    expect(flow.unacked).toBe(10);
    flow.ack(1_000);
    expect(flow.unacked).toBe(0);
    flow.sentText(5);
    expect(flow.unacked).toBe(5);
  });

  it('forgets unacknowledged text on reset, resuming a paused channel', () => {
    const changes: boolean[] = [];
    const flow = new FlowWindow((paused) => changes.push(paused), { highWater: 10, lowWater: 5 });
    flow.sentText(50);
    flow.reset();
    expect(changes).toEqual([true, false]);
    expect(flow.unacked).toBe(0);
  });
});
