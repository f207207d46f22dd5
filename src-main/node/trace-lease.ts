/**
 * The serving side of the cluster trace: the leases members hold on this node's trace, and the batches
 * of it this node sends them.
 *
 * A lease lasts `leaseMs` (at most MAX_TRACE_LEASE_MS) from the request that granted or renewed it; the
 * watcher renews it while its dashboard watches (every TRACE_RENEW_MS) and ends it with leaseMs 0 when it
 * stops, and a watcher that crashed loses it when it lapses. Hence:
 *  - nobody watching costs nothing: with no lease, record() returns at once and no batch is made;
 *  - only members hold leases: a request from anyone else (a removed member, a node still joining) is
 *    dropped and counted ('trace-request-not-member'), and a lease whose holder left the membership ends
 *    at the next flush;
 *  - a member asks at most once per MIN_REQUEST_INTERVAL_MS: more is dropped and counted (every request
 *    is answered with a clock reply, which must not become an amplifier);
 *  - the trace sent is bounded in bytes per second, for all watchers together: a token bucket of
 *    `bytesPerSec`, at most `burstBytes` at once. What does not fit when a flush comes is left out and
 *    counted (`skipped`, told to its watcher in the next batch): a live trace that waits goes stale, so
 *    nothing is queued for later. Between flushes at most `maxPendingRecords` wait per lease.
 *  - a batch is at most MAX_TRACE_BATCH_BYTES encoded, so it travels in one datagram of the usual size.
 *
 * Pure logic: time is passed in, batches are returned (the runtime queues them as bulk traffic, after
 * protocol messages) and so are clock replies (sent at once by the runtime: see cluster-trace.ts).
 */
import type { TraceMessage, TraceServed } from '../../shared/domain';
import type { NodeId } from '../core/types';
import { encodeMessage, MAX_TRACE_BATCH_RECORDS, traceRecordBytes } from '../net/codec';
import type { TraceBatchMessage, TraceClockMessage, TraceRequestMessage } from '../net/wire';

/** The longest lease granted: a watcher that vanished stops costing anything within this. */
export const MAX_TRACE_LEASE_MS = 30_000;
/** A member renews more often than this only if it is broken or hostile. */
export const MIN_REQUEST_INTERVAL_MS = 250;
/** Default trace budget of a member, for all its watchers together: 16 KiB/s (about 1,000 messages a second). */
export const DEFAULT_TRACE_BYTES_PER_SEC = 16 * 1024;
/** Encoded batch size at most: with the seal's ~80 bytes it fits a 1,400-byte datagram. */
export const MAX_TRACE_BATCH_BYTES = 1_200;
const DEFAULT_MAX_PENDING_RECORDS = 2_000;

export type TraceLeaseDropReason = 'trace-request-not-member' | 'trace-request-too-frequent';

export interface TraceLeaseOptions {
  readonly self: NodeId;
  /** Bytes of batches per second, all watchers together. */
  readonly bytesPerSec?: number;
  /** The most sent at once after a quiet spell (the bucket's size); at least one batch. Default: one second's budget. */
  readonly burstBytes?: number;
  /** Records waiting per lease between two flushes at most. */
  readonly maxPendingRecords?: number;
}

interface Lease {
  readonly watcher: NodeId;
  readonly leaseId: number;
  expiresAt: number;
  lastRequestAt: number;
  /** The next batch's number (from 1). */
  seq: number;
  pending: TraceMessage[];
  /** Records left out since the last batch sent, told in the next one. */
  skipped: number;
}

export class TraceLeases {
  private readonly leases = new Map<NodeId, Lease>();
  private readonly bytesPerSec: number;
  private readonly burstBytes: number;
  private readonly maxPendingRecords: number;
  private tokens: number;
  private refilledAt: number | null = null;
  /** Which lease is served first at the next flush, so none is always served last when the budget runs out. */
  private turn = 0;
  private readonly counts = { batches: 0, records: 0, bytes: 0, skipped: 0 };
  private readonly drops: Record<TraceLeaseDropReason, number> = { 'trace-request-not-member': 0, 'trace-request-too-frequent': 0 };

  constructor(private readonly options: TraceLeaseOptions) {
    this.bytesPerSec = options.bytesPerSec ?? DEFAULT_TRACE_BYTES_PER_SEC;
    this.burstBytes = options.burstBytes ?? Math.max(this.bytesPerSec, MAX_TRACE_BATCH_BYTES);
    this.maxPendingRecords = options.maxPendingRecords ?? DEFAULT_MAX_PENDING_RECORDS;
    if (!(this.bytesPerSec > 0) || !Number.isFinite(this.bytesPerSec)) throw new RangeError(`bytesPerSec must be a positive number (got ${this.bytesPerSec})`);
    if (!(this.burstBytes >= MAX_TRACE_BATCH_BYTES) || !Number.isFinite(this.burstBytes)) throw new RangeError(`burstBytes must hold one batch, ${MAX_TRACE_BATCH_BYTES} bytes (got ${this.burstBytes})`);
    if (!Number.isInteger(this.maxPendingRecords) || this.maxPendingRecords < 1) throw new RangeError(`maxPendingRecords must be a positive integer (got ${this.maxPendingRecords})`);
    this.tokens = this.burstBytes;
  }

  /** Whether anyone holds a lease (record() is free otherwise). */
  get active(): boolean {
    return this.leases.size > 0;
  }

  /**
   * A request arrived at `now` (this node's clock): grants, renews or (leaseMs 0) ends the lease, and
   * returns the clock reply to send at once, or null (a release, or a request dropped and counted).
   * The request was checked at the validation boundary (leaseMs <= MAX_TRACE_LEASE_MS, leaseId >= 1).
   */
  onRequest(request: TraceRequestMessage, now: number, isMember: (id: NodeId) => boolean): TraceClockMessage | null {
    const watcher = request.from;
    if (!isMember(watcher)) return this.drop('trace-request-not-member');
    const lease = this.leases.get(watcher);
    if (request.leaseMs === 0) {
      if (lease !== undefined && lease.leaseId === request.leaseId) this.end(lease);
      return null;
    }
    // Whatever lease it names (a new leaseId must not be a way around this). A clock that stepped back must
    // not silence a member for good: a lastRequestAt "in the future" has expired.
    if (lease !== undefined && now - lease.lastRequestAt < MIN_REQUEST_INTERVAL_MS && lease.lastRequestAt <= now) {
      return this.drop('trace-request-too-frequent');
    }
    const leaseMs = Math.min(request.leaseMs, MAX_TRACE_LEASE_MS);
    if (lease === undefined || lease.leaseId !== request.leaseId) {
      // A new watching session of that member: a stream of its own, numbered from 1.
      if (lease !== undefined) this.end(lease);
      this.leases.set(watcher, { watcher, leaseId: request.leaseId, expiresAt: now + leaseMs, lastRequestAt: now, seq: 1, pending: [], skipped: 0 });
    } else {
      lease.expiresAt = now + leaseMs;
      lease.lastRequestAt = now;
    }
    return { type: 'traceClock', from: this.options.self, to: watcher, leaseId: request.leaseId, requestSentAt: request.sentAt, receivedAt: now, sentAt: now };
  }

  /** A message this node sent or received: kept for every watcher (nothing at all when nobody watches). */
  record(record: TraceMessage): void {
    if (this.leases.size === 0) return;
    for (const lease of this.leases.values()) {
      if (lease.pending.length >= this.maxPendingRecords) this.leaveOut(lease, 1);
      else lease.pending.push(record);
    }
  }

  /**
   * Ends lapsed leases and those of non-members, then packs what is pending into batches as far as the
   * byte budget allows at `now`; the rest is left out and counted. Returns the batches to send.
   */
  flush(now: number, isMember: (id: NodeId) => boolean): TraceBatchMessage[] {
    for (const lease of [...this.leases.values()]) if (now >= lease.expiresAt || !isMember(lease.watcher)) this.end(lease);
    this.refill(now);
    const leases = [...this.leases.values()];
    const batches: TraceBatchMessage[] = [];
    for (let i = 0; i < leases.length; i++) this.flushLease(leases[(this.turn + i) % leases.length] as Lease, now, batches);
    this.turn = leases.length === 0 ? 0 : (this.turn + 1) % leases.length;
    return batches;
  }

  /** Counters since this node started (status, and the clusterTrace API's `served`). */
  served(): TraceServed {
    return { leases: this.leases.size, ...this.counts };
  }

  dropped(): Readonly<Record<TraceLeaseDropReason, number>> {
    return { ...this.drops };
  }

  private flushLease(lease: Lease, now: number, out: TraceBatchMessage[]): void {
    const records = lease.pending;
    lease.pending = [];
    let next = 0;
    while (next < records.length || lease.skipped > 0) {
      const header: TraceBatchMessage = { type: 'traceBatch', from: this.options.self, to: lease.watcher, leaseId: lease.leaseId, seq: lease.seq, sentAt: now, skipped: lease.skipped, records: [] };
      let bytes = encodeMessage(header).length;
      if (bytes > this.tokens) break;
      let previousAt: number | null = null;
      let taken = next;
      for (const end = Math.min(records.length, next + MAX_TRACE_BATCH_RECORDS); taken < end; taken++) {
        const record = records[taken] as TraceMessage;
        // A clock stepped back between two records: the next batch starts from the earlier time.
        if (previousAt !== null && record.at < previousAt) break;
        const recordBytes = traceRecordBytes(record, previousAt);
        if (bytes + recordBytes > MAX_TRACE_BATCH_BYTES || bytes + recordBytes > this.tokens) break;
        bytes += recordBytes;
        previousAt = record.at;
      }
      // Not one more record fits the budget: a batch is worth sending only to tell what was left out.
      if (taken === next && lease.skipped === 0) break;
      out.push({ ...header, records: records.slice(next, taken) });
      this.tokens -= bytes;
      this.counts.batches++;
      this.counts.records += taken - next;
      this.counts.bytes += bytes;
      lease.seq++;
      lease.skipped = 0;
      next = taken;
    }
    // What the budget did not cover now is stale by the next flush: left out, and told next time.
    this.leaveOut(lease, records.length - next);
  }

  private leaveOut(lease: Lease, records: number): void {
    lease.skipped += records;
    this.counts.skipped += records;
  }

  private end(lease: Lease): void {
    this.counts.skipped += lease.pending.length;
    this.leases.delete(lease.watcher);
  }

  private refill(now: number): void {
    // Time that went backwards refills nothing, and is not counted again when the clock catches up.
    if (this.refilledAt !== null && now <= this.refilledAt) return;
    if (this.refilledAt !== null) this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.refilledAt) * this.bytesPerSec) / 1000);
    this.refilledAt = now;
  }

  private drop(reason: TraceLeaseDropReason): null {
    this.drops[reason]++;
    return null;
  }
}
