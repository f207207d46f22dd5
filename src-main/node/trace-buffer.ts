/**
 * Collects the protocol messages this node sends and receives, for the dashboard's live cluster view,
 * and hands them over in batches. Bounded: under load, messages beyond `maxPerBatch` in one batch are
 * counted, not kept (the view needs the shape of the traffic, not every heartbeat).
 */
import type { ProtocolMessageType, TraceMessage } from '../../shared/api';
import type { WireMessage } from '../net/wire';

export class TraceBuffer {
  private batch: TraceMessage[] = [];
  private skipped = 0;

  constructor(
    private readonly maxPerBatch: number,
    private readonly now: () => number,
  ) {}

  record(direction: 'in' | 'out', message: WireMessage, dropped: boolean): void {
    if (this.batch.length >= this.maxPerBatch) {
      this.skipped++;
      return;
    }
    this.batch.push(traceOf(message, direction, dropped, this.now()));
  }

  /** The messages since the last call, and how many were left out. */
  take(): { messages: TraceMessage[]; skipped: number } {
    const taken = { messages: this.batch, skipped: this.skipped };
    this.batch = [];
    this.skipped = 0;
    return taken;
  }
}

function traceOf(message: WireMessage, direction: 'in' | 'out', dropped: boolean, at: number): TraceMessage {
  const type: ProtocolMessageType = message.type === 'snapshotRequest' || message.type === 'snapshotChunk' ? 'snapshot' : message.type === 'joinReply' ? 'join' : message.type;
  const base = { at, direction, from: message.from, to: message.to, type, ...(dropped ? { dropped } : {}) };
  switch (message.type) {
    case 'accept':
    case 'accepted':
      return { ...base, slot: message.slot, ballot: message.ballot };
    case 'prepare':
    case 'promise':
      return { ...base, slot: message.fromSlot, ballot: message.ballot };
    case 'commit':
    case 'commitAck':
      return { ...base, slot: message.commitIndex, ballot: message.ballot };
    case 'ping':
      return { ...base, slot: message.commitIndex };
    case 'prevote':
    case 'prevoteReply':
    case 'nack':
      return { ...base, ballot: message.ballot };
    case 'catchupRequest':
      return { ...base, slot: message.fromSlot };
    case 'snapshotChunk':
      return { ...base, slot: message.slot };
    default:
      return base;
  }
}
