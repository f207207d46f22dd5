import { describe, expect, it } from 'vitest';
import type { TraceMessage } from '../../shared/domain';
import type { TraceBatchMessage, TraceClockMessage, TraceRequestMessage } from '../net/wire';
import { KEEP_MAX, KEEP_MS, TRACE_LEASE_MS, TRACE_RENEW_MS, TraceWatch, WATCH_MS } from './trace-watch';

const MEMBERS = ['n1', 'n2', 'n3'];
const NO_SERVED = { leases: 0, batches: 0, records: 0, bytes: 0, skipped: 0 };

/** The member's answer to `request`, its clock `theta` ahead of ours, each leg `legMs` long. */
function answer(request: TraceRequestMessage, theta: number, legMs: number): { reply: TraceClockMessage; arrivesAt: number } {
  const receivedAt = request.sentAt + legMs + theta;
  return { reply: { type: 'traceClock', from: request.to, to: request.from, leaseId: request.leaseId, requestSentAt: request.sentAt, receivedAt, sentAt: receivedAt }, arrivesAt: receivedAt - theta + legMs };
}

function batch(from: string, leaseId: number, seq: number, records: TraceMessage[], skipped = 0): TraceBatchMessage {
  return { type: 'traceBatch', from, to: 'n1', leaseId, seq, sentAt: records.at(-1)?.at ?? 0, skipped, records };
}

function sent(from: string, to: string, at: number, type: TraceMessage['type'] = 'accepted'): TraceMessage {
  return { at, direction: 'out', from, to, type, slot: 5 };
}

/** A watcher at n1 that started watching at `now` and measured n2 (θ = +1,000 ms) and n3 (θ = −300 ms). */
function measured(now: number): { watch: TraceWatch; leaseId: number } {
  const watch = new TraceWatch('n1');
  expect(watch.watch(now)).toBe(true);
  const requests = watch.tick(now, MEMBERS);
  for (const request of requests) {
    const { reply, arrivesAt } = answer(request, request.to === 'n2' ? 1_000 : -300, 2);
    watch.onClock(reply, arrivesAt);
  }
  return { watch, leaseId: requests[0]?.leaseId ?? 0 };
}

describe('TraceWatch', () => {
  it('asks nobody while nobody watches', () => {
    const watch = new TraceWatch('n1');
    expect(watch.tick(0, MEMBERS)).toEqual([]);
    watch.recordLocal(sent('n1', 'n2', 0));
    expect(watch.view({ watch: false }, 10, MEMBERS, NO_SERVED).messages).toEqual([]);
  });

  it('asks every other member for a lease, renews it every TRACE_RENEW_MS, and ends it when watching stops', () => {
    const watch = new TraceWatch('n1');
    watch.watch(0);
    expect(watch.tick(0, MEMBERS)).toEqual([
      { type: 'traceRequest', from: 'n1', to: 'n2', leaseId: 1, leaseMs: TRACE_LEASE_MS, sentAt: 0 },
      { type: 'traceRequest', from: 'n1', to: 'n3', leaseId: 1, leaseMs: TRACE_LEASE_MS, sentAt: 0 },
    ]);
    expect(watch.tick(TRACE_RENEW_MS - 1, MEMBERS)).toEqual([]);
    expect(watch.tick(TRACE_RENEW_MS, MEMBERS)).toHaveLength(2);
    watch.watch(3_000); // a call of the API: watching until 3,000 + WATCH_MS
    expect(watch.tick(3_000 + WATCH_MS - 1, MEMBERS).every((r) => r.leaseMs === TRACE_LEASE_MS)).toBe(true);
    const releases = watch.tick(3_000 + WATCH_MS, MEMBERS);
    expect(releases.map((r) => [r.to, r.leaseMs])).toEqual([['n2', 0], ['n3', 0]]);
    expect(watch.tick(3_000 + WATCH_MS + TRACE_RENEW_MS, MEMBERS)).toEqual([]);
    // Watching again is a new session.
    watch.watch(20_000);
    expect(watch.tick(20_000, MEMBERS).map((r) => r.leaseId)).toEqual([2, 2]);
  });

  it('measures each member clock and places its records on ours, with the uncertainty it can claim', () => {
    const { watch, leaseId } = measured(10_000);
    watch.onBatch(batch('n2', leaseId, 1, [sent('n2', 'n3', 11_000 + 1_000)]), 11_010);
    watch.onBatch(batch('n3', leaseId, 1, [sent('n3', 'n2', 11_005 - 300)]), 11_010);
    watch.recordLocal(sent('n1', 'n2', 11_002, 'accept'));
    const trace = watch.view({}, 11_020, MEMBERS, NO_SERVED);
    expect(trace.members.map((m) => [m.id, m.offsetMs, m.leaseActive])).toEqual([
      ['n1', 0, true],
      ['n2', 1_000, true],
      ['n3', -300, true],
    ]);
    // Legs of 2 ms each: ± 2 ms, never claimed tighter.
    for (const member of trace.members.slice(1)) expect(member.uncertaintyMs).toBeGreaterThanOrEqual(2);
    expect(trace.messages.map((m) => [m.observer, m.from, m.to, m.at, m.observedAt])).toEqual([
      ['n2', 'n2', 'n3', 11_000, 12_000],
      ['n1', 'n1', 'n2', 11_002, 11_002],
      ['n3', 'n3', 'n2', 11_005, 10_705],
    ]);
    expect(trace.lastSeq).toBe(3);
  });

  it('counts a batch it cannot place (no clock reply yet) as skipped, not guessed', () => {
    const watch = new TraceWatch('n1');
    watch.watch(0);
    const [request] = watch.tick(0, MEMBERS);
    watch.onBatch(batch('n2', request?.leaseId ?? 0, 1, [sent('n2', 'n1', 5), sent('n2', 'n3', 6)], 4), 10);
    const trace = watch.view({}, 20, MEMBERS, NO_SERVED);
    expect(trace.messages).toEqual([]);
    expect(trace.members.find((m) => m.id === 'n2')).toMatchObject({ offsetMs: null, uncertaintyMs: null, leaseActive: false, skipped: 6 });
    expect(trace.skipped).toBe(6);
  });

  it('drops clock replies and batches it did not ask for, counted', () => {
    const { watch, leaseId } = measured(0);
    watch.onClock({ type: 'traceClock', from: 'n2', to: 'n1', leaseId, requestSentAt: 12_345, receivedAt: 1, sentAt: 1 }, 5);
    watch.onClock({ type: 'traceClock', from: 'n9', to: 'n1', leaseId, requestSentAt: 0, receivedAt: 1, sentAt: 1 }, 5);
    watch.onBatch(batch('n2', leaseId + 1, 1, [sent('n2', 'n1', 3)]), 5);
    watch.onBatch(batch('n9', leaseId, 1, [sent('n9', 'n1', 3)]), 5);
    expect(watch.dropped()).toMatchObject({ 'trace-clock-unexpected': 2, 'trace-batch-unexpected': 2 });
    expect(watch.view({}, 10, MEMBERS, NO_SERVED).messages).toEqual([]);
  });

  it('uses each request once: a repeated clock reply is unexpected', () => {
    const watch = new TraceWatch('n1');
    watch.watch(0);
    const [request] = watch.tick(0, MEMBERS);
    const { reply, arrivesAt } = answer(request!, 0, 1);
    watch.onClock(reply, arrivesAt);
    watch.onClock(reply, arrivesAt + 1);
    expect(watch.dropped()['trace-clock-unexpected']).toBe(1);
  });

  it('counts lost batches from gaps, and takes back one that arrives late', () => {
    const { watch, leaseId } = measured(0);
    watch.onBatch(batch('n2', leaseId, 1, []), 10);
    watch.onBatch(batch('n2', leaseId, 4, []), 20);
    expect(watch.view({}, 30, MEMBERS, NO_SERVED).members[1]?.lostBatches).toBe(2);
    watch.onBatch(batch('n2', leaseId, 3, []), 40);
    expect(watch.view({}, 50, MEMBERS, NO_SERVED).members[1]?.lostBatches).toBe(1);
    // seq 1 again: the member restarted; no loss.
    watch.onBatch(batch('n2', leaseId, 1, []), 60);
    watch.onBatch(batch('n2', leaseId, 2, []), 70);
    expect(watch.view({}, 80, MEMBERS, NO_SERVED).members[1]?.lostBatches).toBe(1);
  });

  it('says a lease is inactive once its member stops answering', () => {
    const { watch } = measured(0);
    for (let now = TRACE_RENEW_MS; now <= 5_000; now += TRACE_RENEW_MS) {
      watch.watch(now);
      watch.tick(now, MEMBERS); // nobody answers any more
    }
    expect(watch.view({ watch: false }, TRACE_LEASE_MS + 100, MEMBERS, NO_SERVED).members.map((m) => m.leaseActive)).toEqual([true, false, false]);
  });

  it('selects by arrival (afterSeq), by time (sinceMs) and the newest `limit`, ordered by time', () => {
    const { watch } = measured(0);
    for (let i = 0; i < 10; i++) watch.recordLocal(sent('n1', 'n2', 100 + (i % 2 === 0 ? i : -i)));
    const all = watch.view({}, 200, MEMBERS, NO_SERVED);
    expect(all.messages.map((m) => m.at)).toEqual([...all.messages.map((m) => m.at)].sort((a, b) => a - b));
    expect(watch.view({ afterSeq: 7 }, 200, MEMBERS, NO_SERVED).messages.map((m) => m.seq).sort((a, b) => a - b)).toEqual([8, 9, 10]);
    expect(watch.view({ sinceMs: 104 }, 200, MEMBERS, NO_SERVED).messages.map((m) => m.at)).toEqual([104, 106, 108]);
    expect(watch.view({ limit: 2 }, 200, MEMBERS, NO_SERVED).messages.map((m) => m.seq).sort((a, b) => a - b)).toEqual([9, 10]);
  });

  it('keeps at most KEEP_MAX messages and nothing older than KEEP_MS', () => {
    const watch = new TraceWatch('n1');
    for (let i = 0; i < KEEP_MAX + 10; i++) {
      watch.watch(i);
      watch.recordLocal(sent('n1', 'n2', i));
    }
    const trace = watch.view({ limit: 10_000 }, KEEP_MAX + 10, MEMBERS, NO_SERVED);
    expect(trace.lastSeq).toBe(KEEP_MAX + 10);
    expect(watch.view({ afterSeq: 0, limit: 1 }, KEEP_MAX + 10, MEMBERS, NO_SERVED).messages[0]?.seq).toBe(KEEP_MAX + 10);
    const later = KEEP_MS + KEEP_MAX;
    const old = watch.view({ sinceMs: 0, limit: 10_000, watch: false }, later, MEMBERS, NO_SERVED).messages;
    expect(old.every((m) => m.at >= later - KEEP_MS)).toBe(true);
  });

  it('forgets members that left the configuration', () => {
    const { watch, leaseId } = measured(0);
    watch.tick(1, ['n1', 'n2']);
    watch.onBatch(batch('n3', leaseId, 1, [sent('n3', 'n1', 1)]), 5);
    expect(watch.dropped()['trace-batch-unexpected']).toBe(1);
    expect(watch.view({}, 10, ['n1', 'n2'], NO_SERVED).members.map((m) => m.id)).toEqual(['n1', 'n2']);
  });
});
