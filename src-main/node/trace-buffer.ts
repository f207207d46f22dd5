/**
 * Collects the protocol messages this node sends and receives, for the dashboard's live cluster view,
 * and hands them over in batches. Bounded: under load, messages beyond `maxPerBatch` in one batch are
 * counted, not kept (the view needs the shape of the traffic, not every heartbeat).
 *
 * traceOf() is the one description of a message for every trace: this node's own (here) and the one
 * it sends to members watching it (trace-lease.ts).
 */
import type { ProtocolMessageType, TraceMessage } from '../../shared/domain';
import { isControlTraffic, isTraceTraffic, type WireMessage } from '../net/wire';

export class TraceBuffer {
  private batch: TraceMessage[] = [];
  private skipped = 0;

  constructor(private readonly maxPerBatch: number) {}

  record(message: TraceMessage): void {
    if (this.batch.length >= this.maxPerBatch) {
      this.skipped++;
      return;
    }
    this.batch.push(message);
  }

  /** The messages since the last call, and how many were left out. */
  take(): { messages: TraceMessage[]; skipped: number } {
    const taken = { messages: this.batch, skipped: this.skipped };
    this.batch = [];
    this.skipped = 0;
    return taken;
  }
}

/**
 * A message as the traces describe it (`bytes`: its encoded size), or null for cluster-trace traffic
 * itself: watching must not show up in what is watched (each batch would trace the previous one).
 */
export function traceOf(message: WireMessage, direction: 'in' | 'out', dropped: boolean, at: number, bytes: number): TraceMessage | null {
  if (isTraceTraffic(message) || isControlTraffic(message)) return null;
  const type: ProtocolMessageType = message.type === 'snapshotRequest' || message.type === 'snapshotChunk' ? 'snapshot' : message.type === 'joinReply' ? 'join' : message.type;
  const base = { at, direction, from: message.from, to: message.to, type, bytes, ...(dropped ? { dropped } : {}) };
  switch (message.type) {
    case 'accept':
    case 'accepted':
      return { ...base, slot: message.slot, ballot: message.ballot };
    case 'prepare':
      return { ...base, slot: message.fromSlot, ballot: message.ballot };
    case 'promise': {
      // The slots it reports, from the prepare's first one to the highest it holds.
      const highest = Math.max(message.accepted.at(-1)?.slot ?? 0, message.chosen.at(-1)?.slot ?? 0);
      return { ...base, slot: message.fromSlot, ...(highest > message.fromSlot ? { toSlot: highest } : {}), ballot: message.ballot };
    }
    case 'commit':
    case 'commitAck':
      return { ...base, slot: message.commitIndex, ballot: message.ballot };
    case 'ping':
      return { ...base, slot: message.commitIndex };
    case 'prevote':
    case 'prevoteReply':
    case 'nack':
    case 'takeover':
      return { ...base, ballot: message.ballot };
    case 'catchupRequest':
      return { ...base, slot: message.fromSlot, ...(message.toSlot > message.fromSlot ? { toSlot: message.toSlot } : {}) };
    case 'catchupReply': {
      const first = message.entries[0]?.slot;
      const last = message.entries.at(-1)?.slot;
      if (first === undefined || last === undefined) return base;
      return { ...base, slot: first, ...(last > first ? { toSlot: last } : {}) };
    }
    case 'snapshotChunk':
      return { ...base, slot: message.slot };
    default:
      return base;
  }
}
