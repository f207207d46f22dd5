import { describe, expect, it } from 'vitest';
import type { TraceMessage } from '../../shared/domain';
import { encodeMessage } from '../net/codec';
import type { TraceRequestMessage } from '../net/wire';
import { MAX_TRACE_BATCH_BYTES, MAX_TRACE_LEASE_MS, MIN_REQUEST_INTERVAL_MS, TraceLeases } from './trace-lease';

const MEMBERS = new Set(['n1', 'n2', 'n3']);
const isMember = (id: string): boolean => MEMBERS.has(id);

function request(from: string, leaseMs: number, sentAt: number, leaseId = 1): TraceRequestMessage {
  return { type: 'traceRequest', from, to: 'n3', leaseId, leaseMs, sentAt };
}

function record(at: number, slot = 7): TraceMessage {
  return { at, direction: 'out', from: 'n3', to: 'n2', type: 'accepted', slot, ballot: { round: 4, node: 'n1' }, bytes: 15 };
}

describe('TraceLeases', () => {
  it('records nothing and sends nothing while nobody holds a lease', () => {
    const leases = new TraceLeases({ self: 'n3' });
    expect(leases.active).toBe(false);
    leases.record(record(1_000));
    expect(leases.flush(1_100, isMember)).toEqual([]);
    expect(leases.served()).toEqual({ leases: 0, batches: 0, records: 0, bytes: 0, skipped: 0 });
  });

  it('answers a request with the clock stamps, then sends what was recorded to the holder only', () => {
    const leases = new TraceLeases({ self: 'n3' });
    expect(leases.onRequest(request('n1', 6_000, 990), 1_000, isMember)).toEqual({ type: 'traceClock', from: 'n3', to: 'n1', leaseId: 1, requestSentAt: 990, receivedAt: 1_000, sentAt: 1_000 });
    leases.record(record(1_010));
    leases.record(record(1_020, 8));
    const [batch, ...rest] = leases.flush(1_250, isMember);
    expect(rest).toEqual([]);
    expect(batch).toMatchObject({ type: 'traceBatch', from: 'n3', to: 'n1', leaseId: 1, seq: 1, sentAt: 1_250, skipped: 0, records: [record(1_010), record(1_020, 8)] });
    expect(leases.flush(1_500, isMember)).toEqual([]); // nothing new: no empty batch
    expect(leases.served()).toMatchObject({ leases: 1, batches: 1, records: 2, bytes: encodeMessage(batch!).length });
  });

  it('expires a lease that is not renewed, and renewal keeps it', () => {
    const leases = new TraceLeases({ self: 'n3' });
    leases.onRequest(request('n1', 6_000, 0), 0, isMember);
    leases.onRequest(request('n1', 6_000, 5_000), 5_000, isMember); // renewed: now until 11,000
    leases.record(record(10_000));
    expect(leases.flush(10_500, isMember)).toHaveLength(1);
    leases.record(record(10_900));
    expect(leases.flush(11_000, isMember)).toEqual([]); // lapsed
    expect(leases.active).toBe(false);
    expect(leases.served().skipped).toBe(1); // pending when it lapsed
    leases.record(record(11_100));
    expect(leases.flush(11_200, isMember)).toEqual([]);
  });

  it('ends a lease at once on a release (leaseMs 0), which is not answered', () => {
    const leases = new TraceLeases({ self: 'n3' });
    leases.onRequest(request('n1', 6_000, 0), 0, isMember);
    expect(leases.onRequest(request('n1', 0, 1_000), 1_000, isMember)).toBeNull();
    expect(leases.active).toBe(false);
  });

  it('grants no more than MAX_TRACE_LEASE_MS', () => {
    const leases = new TraceLeases({ self: 'n3' });
    leases.onRequest(request('n1', 10 * MAX_TRACE_LEASE_MS, 0), 0, isMember);
    expect(leases.flush(MAX_TRACE_LEASE_MS - 1, isMember)).toEqual([]);
    expect(leases.active).toBe(true);
    leases.flush(MAX_TRACE_LEASE_MS, isMember);
    expect(leases.active).toBe(false);
  });

  it('serves members only: a non-member is dropped and counted, and a holder that leaves loses its lease', () => {
    const leases = new TraceLeases({ self: 'n3' });
    expect(leases.onRequest(request('stranger', 6_000, 0), 0, isMember)).toBeNull();
    expect(leases.dropped()['trace-request-not-member']).toBe(1);
    expect(leases.active).toBe(false);
    leases.onRequest(request('n2', 6_000, 0), 0, isMember);
    leases.record(record(10));
    expect(leases.flush(100, (id) => id !== 'n2')).toEqual([]);
    expect(leases.active).toBe(false);
  });

  it('drops requests that come too often, counted, whatever lease they name; a new session starts its own numbering', () => {
    const leases = new TraceLeases({ self: 'n3' });
    expect(leases.onRequest(request('n1', 6_000, 0), 0, isMember)).not.toBeNull();
    expect(leases.onRequest(request('n1', 6_000, 10), MIN_REQUEST_INTERVAL_MS - 1, isMember)).toBeNull();
    expect(leases.dropped()['trace-request-too-frequent']).toBe(1);
    expect(leases.onRequest(request('n1', 6_000, 20), MIN_REQUEST_INTERVAL_MS, isMember)).not.toBeNull();
    // Another watching session of n1: its batches are numbered from 1 again.
    leases.record(record(300));
    expect(leases.flush(400, isMember)[0]?.seq).toBe(1);
    expect(leases.onRequest(request('n1', 6_000, 410, 2), 410, isMember)).toBeNull(); // another lease id is no way around it
    expect(leases.onRequest(request('n1', 6_000, 600, 2), 600, isMember)).toMatchObject({ leaseId: 2 });
    leases.record(record(620));
    expect(leases.flush(700, isMember)[0]).toMatchObject({ leaseId: 2, seq: 1 });
  });

  it('sends at most its byte budget per second and counts the rest as skipped, telling the watcher', () => {
    const bytesPerSec = 4_096;
    const leases = new TraceLeases({ self: 'n3', bytesPerSec });
    leases.onRequest(request('n1', MAX_TRACE_LEASE_MS, 0), 0, isMember);
    let sentBytes = 0;
    let recorded = 0;
    let told = 0;
    let sentRecords = 0;
    // 20 s at 2,000 messages a second, flushed every 250 ms; renewed every 2 s.
    for (let now = 0; now < 20_000; now += 250) {
      if (now % 2_000 === 0) leases.onRequest(request('n1', 6_000, now), now, isMember);
      for (let i = 0; i < 500; i++) leases.record(record(now + Math.floor(i / 2), 1_000 + recorded++));
      for (const batch of leases.flush(now + 250, isMember)) {
        const bytes = encodeMessage(batch).length;
        expect(bytes).toBeLessThanOrEqual(MAX_TRACE_BATCH_BYTES);
        sentBytes += bytes;
        sentRecords += batch.records.length;
        told += batch.skipped;
      }
    }
    const served = leases.served();
    // The bucket starts full (one second's budget), then refills at bytesPerSec.
    expect(sentBytes).toBeLessThanOrEqual(bytesPerSec * 21);
    expect(sentBytes).toBeGreaterThan(bytesPerSec * 15);
    expect(served.bytes).toBe(sentBytes);
    expect(served.records).toBe(sentRecords);
    // Every record is either sent or counted; all but the last flush's count reached the watcher.
    expect(served.records + served.skipped).toBe(recorded);
    expect(told).toBeGreaterThan(0);
    expect(told).toBeLessThanOrEqual(served.skipped);
  });

  it('shares the budget between watchers, round-robin', () => {
    const leases = new TraceLeases({ self: 'n3', bytesPerSec: 2_000, burstBytes: 2_000 });
    leases.onRequest(request('n1', MAX_TRACE_LEASE_MS, 0), 0, isMember);
    leases.onRequest(request('n2', MAX_TRACE_LEASE_MS, 0), 0, isMember);
    const perWatcher = new Map<string, number>();
    for (let now = 250; now <= 10_000; now += 250) {
      for (let i = 0; i < 200; i++) leases.record(record(now - 1));
      for (const batch of leases.flush(now, isMember)) perWatcher.set(batch.to, (perWatcher.get(batch.to) ?? 0) + batch.records.length);
    }
    const [a, b] = [perWatcher.get('n1') ?? 0, perWatcher.get('n2') ?? 0];
    expect(a).toBeGreaterThan(0);
    expect(Math.abs(a - b) / Math.max(a, b)).toBeLessThan(0.2);
  });

  it('bounds what waits between flushes', () => {
    const leases = new TraceLeases({ self: 'n3', maxPendingRecords: 10 });
    leases.onRequest(request('n1', 6_000, 0), 0, isMember);
    for (let i = 0; i < 25; i++) leases.record(record(1));
    const [batch] = leases.flush(100, isMember);
    expect(batch?.records).toHaveLength(10);
    expect(batch?.skipped).toBe(15);
  });

  it('starts a new batch where the clock stepped back, so every batch encodes', () => {
    const leases = new TraceLeases({ self: 'n3' });
    leases.onRequest(request('n1', 6_000, 0), 0, isMember);
    leases.record(record(500));
    leases.record(record(400));
    const batches = leases.flush(600, isMember);
    expect(batches.map((b) => b.records.map((r) => r.at))).toEqual([[500], [400]]);
    for (const batch of batches) expect(() => encodeMessage(batch)).not.toThrow();
  });
});
