/**
 * The cluster trace as the runtime drives it: "the whole cluster from any member". Both sides live in
 * every node: it serves its own trace to the members that hold a lease on it (trace-lease.ts), and
 * while its dashboard watches it holds leases on the others and merges their traces (trace-watch.ts).
 *
 * Never part of consensus: these messages do not reach the core, and they never delay its traffic.
 * Trace batches leave as bulk traffic (`push`: the BulkSender sends them after each turn's protocol
 * messages, paced per peer). Requests and clock replies are ping-sized and sent at once (`send`): a reply
 * waiting in the bulk queue would widen the clock's uncertainty by its wait. Arrivals are handled as
 * they come off the socket (ReplicaNode.receive), not after the turn's fsync, for the same reason: each
 * side stamps its clock on arrival and right before sending, as clock-offset.ts needs.
 *
 * Messages reach onMessage() already checked at the validation boundary (inbound-check.ts).
 */
import type { ClusterTrace as ClusterTraceView, TraceMessage } from '../../shared/domain';
import type { NodeId } from '../core/types';
import type { TraceBatchMessage, TraceClockMessage, TraceRequestMessage, TraceWireMessage } from '../net/wire';
import { TraceLeases } from './trace-lease';
import { TraceWatch, type ClusterTraceQuery } from './trace-watch';

export type { ClusterTraceQuery } from './trace-watch';

/** How often leases are renewed and batches made. */
export const CLUSTER_TRACE_TICK_MS = 250;

export interface ClusterTraceOptions {
  readonly self: NodeId;
  /** The members of the current configuration (this node among them, or not if it is not a member). */
  readonly members: () => readonly NodeId[];
  /** Sends at once (requests and clock replies: small). */
  readonly send: (message: TraceRequestMessage | TraceClockMessage) => void;
  /** Queues as bulk traffic (trace batches). */
  readonly push: (batch: TraceBatchMessage) => void;
  readonly now: () => number;
  /** This node's trace budget for all its watchers together (default trace-lease.ts's). */
  readonly bytesPerSec?: number;
}

export class ClusterTrace {
  private readonly leases: TraceLeases;
  private readonly watch: TraceWatch;

  constructor(private readonly options: ClusterTraceOptions) {
    this.leases = new TraceLeases({ self: options.self, ...(options.bytesPerSec === undefined ? {} : { bytesPerSec: options.bytesPerSec }) });
    this.watch = new TraceWatch(options.self);
  }

  /** A message this node sent or received (traceOf): for its watchers, and for its own merged trace while it watches. */
  record(record: TraceMessage): void {
    this.leases.record(record);
    this.watch.recordLocal(record);
  }

  /** A cluster-trace message, as it arrives. */
  onMessage(message: TraceWireMessage): void {
    const now = this.options.now();
    switch (message.type) {
      case 'traceRequest': {
        const reply = this.leases.onRequest(message, now, (id) => this.isMember(id));
        // t2 as late as possible before it leaves (it only widens the interval if taken early: clock-offset.ts).
        if (reply !== null) this.options.send({ ...reply, sentAt: Math.max(reply.receivedAt, this.options.now()) });
        return;
      }
      case 'traceClock':
        return this.watch.onClock(message, now);
      case 'traceBatch':
        return this.watch.onBatch(message, now);
    }
  }

  /** Every CLUSTER_TRACE_TICK_MS: lease renewals (or releases), then batches of this node's trace. */
  tick(): void {
    const now = this.options.now();
    for (const request of this.watch.tick(now, this.options.members())) this.options.send(request);
    if (!this.leases.active) return;
    for (const batch of this.leases.flush(now, (id) => this.isMember(id))) this.options.push(batch);
  }

  /** The merged trace (and, unless query.watch is false, watching starts or goes on). */
  view(query: ClusterTraceQuery): ClusterTraceView {
    const now = this.options.now();
    // A new session asks the members at once rather than at the next tick: the caller wants the trace now.
    if (query.watch !== false && this.watch.watch(now)) for (const request of this.watch.tick(now, this.options.members())) this.options.send(request);
    return this.watch.view(query, now, this.options.members(), this.leases.served());
  }

  /** Requests and replies dropped by the lease and the watcher, by reason (status().dropped). */
  dropped(): Record<string, number> {
    return { ...this.leases.dropped(), ...this.watch.dropped() };
  }

  private isMember(id: NodeId): boolean {
    return this.options.members().includes(id);
  }
}
