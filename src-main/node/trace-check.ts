/**
 * The validation boundary for cluster-trace messages (net/wire.ts): what no correct member could have
 * sent is dropped whole, counted as `invalid-<rejection>` (inbound-check.ts), before the lease or the
 * watcher looks at it. The codec already checked syntax (safe integers, ids, at most
 * MAX_TRACE_BATCH_RECORDS records, `at` never decreasing); this checks meaning:
 *  - a request's lease is at most MAX_TRACE_LEASE_MS (0 ends it), its leaseId >= 1;
 *  - a clock reply's member held the request for a plausible time (receivedAt <= sentAt, within
 *    MAX_TRACE_HOLD_MS): anything else would yield a nonsense round trip;
 *  - a batch's seq and leaseId are >= 1, its skipped count is one a member can reach between batches,
 *    and each record is one its sender could have made: it sent the message ('out', from itself) or
 *    received it ('in', to itself or to any member, as a join is), within MAX_TRACE_RECORD_AGE_MS before
 *    the batch and not after it, a range only above its first slot, a size the transport carries.
 * Slots and ballots in records are not checked against the protocol's bounds: a member traces what it
 * received before checking it, so a correct member honestly reports a hostile peer's far slots. Readers
 * of a trace must not loop over a record's slot range.
 */
import { MAX_MESSAGE_BYTES } from '../net/fragments';
import { ANY_NODE, type TraceWireMessage } from '../net/wire';
import { MAX_TRACE_LEASE_MS } from './trace-lease';

export type TraceRejection = 'trace-request' | 'trace-clock' | 'trace-batch' | 'trace-record';

/** A member holds a request only while its turn runs: seconds would mean a clock that jumped. */
export const MAX_TRACE_HOLD_MS = 10_000;
/** Records wait for a flush (a fraction of a second) before a batch is made: a minute old is nonsense. */
export const MAX_TRACE_RECORD_AGE_MS = 60_000;
/** Far more messages than a member can see between two of its batches. */
export const MAX_TRACE_SKIPPED_PER_BATCH = 10_000_000;

export function checkTraceMessage(message: TraceWireMessage): TraceRejection | null {
  switch (message.type) {
    case 'traceRequest':
      return message.leaseId >= 1 && message.leaseMs <= MAX_TRACE_LEASE_MS ? null : 'trace-request';
    case 'traceClock':
      return message.leaseId >= 1 && message.receivedAt <= message.sentAt && message.sentAt - message.receivedAt <= MAX_TRACE_HOLD_MS ? null : 'trace-clock';
    case 'traceBatch': {
      if (message.leaseId < 1 || message.seq < 1 || message.skipped > MAX_TRACE_SKIPPED_PER_BATCH) return 'trace-batch';
      for (const record of message.records) {
        const own = record.direction === 'out' ? record.from === message.from : record.to === message.from || record.to === ANY_NODE;
        if (!own || record.from === record.to) return 'trace-record';
        if (record.at > message.sentAt || message.sentAt - record.at > MAX_TRACE_RECORD_AGE_MS) return 'trace-record';
        if (record.toSlot !== undefined && (record.slot === undefined || record.toSlot <= record.slot)) return 'trace-record';
        if (record.bytes !== undefined && record.bytes > MAX_MESSAGE_BYTES) return 'trace-record';
      }
      return null;
    }
  }
}
