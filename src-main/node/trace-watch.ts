/**
 * The watching side of the cluster trace: while this node's dashboard watches, it holds a lease on every
 * other member's trace (trace-lease.ts is the other side), measures each member's clock against its own
 * from the lease's request/reply round trips (clock-offset.ts), and merges everyone's messages, its own
 * included, on its own clock.
 *
 * Watching is itself a lease: watch() (every clusterTrace API call) keeps this node watching for
 * WATCH_MS. While it watches it sends each member a traceRequest every TRACE_RENEW_MS granting
 * TRACE_LEASE_MS, so a lost request or two do not interrupt the trace; when it stops it ends the leases
 * (leaseMs 0), and if that is lost they lapse. A new watching session has a new leaseId: batches of an
 * older one are stale.
 *
 * A member's record stamped `observedAt` by its clock is placed at observedAt − θ on ours (θ: its
 * offset, estimated when the batch arrives and kept with the record, so a record never moves once
 * handed out). Records of a member whose offset is not measured yet (its first clock reply was lost)
 * cannot be placed: they are counted as skipped, not guessed.
 *
 * Bounded: the merged trace keeps at most KEEP_MAX messages and nothing older than KEEP_MS (whichever
 * bites first: at full trace rate the count does); outstanding requests per member at most
 * OUTSTANDING_KEPT; members are the configuration's (at most MAX_MEMBERS).
 *
 * Pure logic: time is passed in, requests are returned for the runtime to send.
 */
import type { ClusterTrace, ClusterTraceMember, MergedTraceMessage, TraceMessage, TraceServed } from '../../shared/domain';
import type { NodeId } from '../core/types';
import type { TraceBatchMessage, TraceClockMessage, TraceRequestMessage } from '../net/wire';
import { ClockOffset } from './clock-offset';

/** One clusterTrace call keeps this node watching this long (a dashboard polls every second or so). */
export const WATCH_MS = 6_000;
/** The lease each request grants (three renewals: two lost requests in a row do not end it). */
export const TRACE_LEASE_MS = 6_000;
export const TRACE_RENEW_MS = 2_000;
/** The merged trace spans at most this long... */
export const KEEP_MS = 3 * 60_000;
/** ...and holds at most this many messages (about 10 MB). */
export const KEEP_MAX = 50_000;
/** Requests per member whose reply is still awaited (older replies are too late to measure anything useful). */
const OUTSTANDING_KEPT = 4;
/** What one clusterTrace call returns at most, by default. */
export const DEFAULT_TRACE_LIMIT = 2_000;

export type TraceWatchDropReason = 'trace-clock-unexpected' | 'trace-clock-unusable' | 'trace-batch-unexpected';

/** What a clusterTrace call asks for (the API's ClusterTraceArgs). */
export interface ClusterTraceQuery {
  /** Only messages placed at or after this time (ms, this node's clock). */
  readonly sinceMs?: number;
  /** Only messages that arrived after this one (ClusterTrace.lastSeq of an earlier call). */
  readonly afterSeq?: number;
  /** At most this many messages, the newest (default DEFAULT_TRACE_LIMIT). */
  readonly limit?: number;
  /** false: only read; do not start or renew watching. Default true. */
  readonly watch?: boolean;
}

interface MemberWatch {
  readonly clock: ClockOffset;
  /** t0 of this session's requests whose reply is awaited, oldest first. */
  outstanding: number[];
  lastRequestAt: number | null;
  /** When (our clock) its last clock reply of this session arrived. */
  lastAnsweredAt: number | null;
  /** The batch number expected next, or null before the first batch of this session. */
  nextSeq: number | null;
  skipped: number;
  lostBatches: number;
}

export class TraceWatch {
  private readonly members = new Map<NodeId, MemberWatch>();
  private readonly drops: Record<TraceWatchDropReason, number> = { 'trace-clock-unexpected': 0, 'trace-clock-unusable': 0, 'trace-batch-unexpected': 0 };
  /** Until when (our clock) this node watches; null: not watching. */
  private watchingUntil: number | null = null;
  private leaseId = 0;
  /** The merged trace in arrival order (seq rising); entries before `head` are evicted. */
  private buffer: MergedTraceMessage[] = [];
  private head = 0;
  private nextSeq = 1;

  constructor(private readonly self: NodeId) {}

  /** Starts or prolongs watching (WATCH_MS from `now`). Returns true when a new session began. */
  watch(now: number): boolean {
    const fresh = !this.isWatching(now);
    if (fresh) {
      this.leaseId++;
      // The clocks stay measured (they age by drift); the lease and its batches start over.
      for (const member of this.members.values()) {
        member.outstanding = [];
        member.lastRequestAt = null;
        member.lastAnsweredAt = null;
        member.nextSeq = null;
      }
    }
    this.watchingUntil = now + WATCH_MS;
    return fresh;
  }

  isWatching(now: number): boolean {
    return this.watchingUntil !== null && now < this.watchingUntil;
  }

  /**
   * The requests due at `now` for the configuration's `members` (self included or not): renewals while
   * watching, and once, when watching has just ended, the releases.
   */
  tick(now: number, members: readonly NodeId[]): TraceRequestMessage[] {
    const current = new Set(members.filter((id) => id !== this.self));
    for (const id of this.members.keys()) if (!current.has(id)) this.members.delete(id);
    if (this.watchingUntil === null) return [];
    if (!this.isWatching(now)) {
      this.watchingUntil = null;
      return [...this.members.keys()].map((to) => this.request(to, 0, now));
    }
    const requests: TraceRequestMessage[] = [];
    for (const id of current) {
      let member = this.members.get(id);
      if (member === undefined) {
        member = { clock: new ClockOffset(), outstanding: [], lastRequestAt: null, lastAnsweredAt: null, nextSeq: null, skipped: 0, lostBatches: 0 };
        this.members.set(id, member);
      }
      // A clock that stepped back must not stop the renewals: a lastRequestAt "in the future" is due.
      if (member.lastRequestAt !== null && now - member.lastRequestAt < TRACE_RENEW_MS && member.lastRequestAt <= now) continue;
      member.lastRequestAt = now;
      member.outstanding.push(now);
      if (member.outstanding.length > OUTSTANDING_KEPT) member.outstanding.shift();
      requests.push(this.request(id, TRACE_LEASE_MS, now));
    }
    return requests;
  }

  /** A member's clock reply, arrived at `now` (t3): one more offset sample. */
  onClock(reply: TraceClockMessage, now: number): void {
    const member = this.members.get(reply.from);
    const index = member === undefined || reply.leaseId !== this.leaseId ? -1 : member.outstanding.indexOf(reply.requestSentAt);
    if (member === undefined || index < 0) {
      this.drops['trace-clock-unexpected']++;
      return;
    }
    // Each request measures once: a duplicate (the transport rejects replays, but not a member's own repeats) would not.
    member.outstanding.splice(index, 1);
    if (!member.clock.add(reply.requestSentAt, reply.receivedAt, reply.sentAt, now)) {
      this.drops['trace-clock-unusable']++;
      return;
    }
    member.lastAnsweredAt = now;
  }

  /** A batch of a member's trace, arrived at `now`: placed on our clock and merged. */
  onBatch(batch: TraceBatchMessage, now: number): void {
    const member = this.members.get(batch.from);
    if (member === undefined || batch.leaseId !== this.leaseId) {
      this.drops['trace-batch-unexpected']++;
      return;
    }
    this.countLosses(member, batch.seq);
    member.skipped += batch.skipped;
    const estimate = member.clock.estimate(now);
    if (estimate === null) {
      member.skipped += batch.records.length;
      return;
    }
    for (const record of batch.records) this.append(record, batch.from, record.at - estimate.offsetMs, now);
  }

  /** A message this node sent or received (stamped by our own clock): merged while watching. */
  recordLocal(record: TraceMessage): void {
    if (this.isWatching(record.at)) this.append(record, this.self, record.at, record.at);
  }

  /** The merged trace as `query` asks for it, at `now`, for the configuration's `members`. */
  view(query: ClusterTraceQuery, now: number, members: readonly NodeId[], served: TraceServed): ClusterTrace {
    this.evict(now);
    const memberViews = [this.self, ...members.filter((id) => id !== this.self)].map((id) => this.memberView(id, now));
    return {
      members: memberViews,
      messages: this.select(query),
      skipped: memberViews.reduce((sum, member) => sum + member.skipped, 0),
      lastSeq: this.nextSeq - 1,
      keptMs: KEEP_MS,
      served,
    };
  }

  dropped(): Readonly<Record<TraceWatchDropReason, number>> {
    return { ...this.drops };
  }

  private request(to: NodeId, leaseMs: number, now: number): TraceRequestMessage {
    return { type: 'traceRequest', from: this.self, to, leaseId: this.leaseId, leaseMs, sentAt: now };
  }

  private countLosses(member: MemberWatch, seq: number): void {
    const expected = member.nextSeq;
    if (expected === null || seq === 1 || seq >= expected) {
      // seq 1 again: the member restarted and granted a new lease of the same session.
      if (expected !== null && seq > expected) member.lostBatches += seq - expected;
      member.nextSeq = seq + 1;
      return;
    }
    // A batch overtaken by a later one (UDP reorders): it was counted lost when the gap showed.
    if (member.lostBatches > 0) member.lostBatches--;
  }

  private append(record: TraceMessage, observer: NodeId, at: number, now: number): void {
    this.buffer.push({ ...record, at: Math.round(at * 10) / 10, observer, observedAt: record.at, seq: this.nextSeq++ });
    if (this.buffer.length - this.head > KEEP_MAX) this.head++;
    // Evicted entries are dropped from the array in steps, not one by one (each step copies what is kept).
    if (this.head >= 4_096) this.evict(now);
  }

  /** Drops what is beyond KEEP_MAX or older than KEEP_MS (arrival order is nearly time order: from the front). */
  private evict(now: number): void {
    while (this.head < this.buffer.length && (this.buffer.length - this.head > KEEP_MAX || (this.buffer[this.head] as MergedTraceMessage).at < now - KEEP_MS)) this.head++;
    if (this.head > 0) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
  }

  private select(query: ClusterTraceQuery): MergedTraceMessage[] {
    const afterSeq = query.afterSeq ?? 0;
    const sinceMs = query.sinceMs ?? -Infinity;
    const limit = query.limit ?? DEFAULT_TRACE_LIMIT;
    // seq rises along the buffer: the first one after afterSeq by bisection.
    let low = this.head;
    let high = this.buffer.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.buffer[middle] as MergedTraceMessage).seq <= afterSeq) low = middle + 1;
      else high = middle;
    }
    const picked: MergedTraceMessage[] = [];
    for (let i = this.buffer.length - 1; i >= low && picked.length < limit; i--) {
      const message = this.buffer[i] as MergedTraceMessage;
      if (message.at >= sinceMs) picked.push(message);
    }
    return picked.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  private memberView(id: NodeId, now: number): ClusterTraceMember {
    if (id === this.self) return { id, offsetMs: 0, uncertaintyMs: 0, leaseActive: true, skipped: 0, lostBatches: 0 };
    const member = this.members.get(id);
    const estimate = member?.clock.estimate(now) ?? null;
    const answeredAt = member?.lastAnsweredAt ?? null;
    const leaseActive = answeredAt !== null && this.isWatching(now) && now - answeredAt < TRACE_LEASE_MS;
    return {
      id,
      offsetMs: estimate === null ? null : Math.round(estimate.offsetMs * 10) / 10,
      // Rounded up, and widened by the offset's own rounding: never more precise than measured.
      uncertaintyMs: estimate === null ? null : Math.ceil((estimate.uncertaintyMs + 0.05) * 10) / 10,
      leaseActive,
      skipped: member?.skipped ?? 0,
      lostBatches: member?.lostBatches ?? 0,
    };
  }
}
