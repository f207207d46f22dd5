/**
 * Fragmentation: an encoded message larger than one datagram travels as up to MAX_FRAGMENT_COUNT
 * fragments, each sealed separately (seal.ts carries the message id, index and count), and the
 * receiver reassembles them.
 *
 * Invariants:
 *  - A message is delivered only whole: every fragment arrived, each counted once (duplicates are
 *    ignored), and the fragments agree on the count. A lost fragment loses the message; the protocol
 *    above retransmits.
 *  - A message too large to send is refused at send time with MessageTooLargeError, never truncated.
 *  - Reassembly memory is bounded: at most `maxPartialMessages` partial messages and `maxBufferedBytes`
 *    buffered bytes (the oldest partials are evicted to make room), and a partial expires
 *    `timeoutMs` after its first fragment. Time comes from the caller (`nowMs`): no timers in here.
 */
import { MAX_FRAGMENT_COUNT, type FragmentHeader } from './seal';

/** The largest encoded message the transport sends or reassembles (a snapshot chunk must stay below it). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class MessageTooLargeError extends Error {
  constructor(
    readonly messageBytes: number,
    readonly maxMessageBytes: number,
  ) {
    super(`message of ${messageBytes} bytes exceeds the ${maxMessageBytes}-byte limit of the transport; send it in smaller parts`);
    this.name = 'MessageTooLargeError';
  }
}

/** The largest message that fits in MAX_FRAGMENT_COUNT fragments of `fragmentPayloadBytes`, capped at MAX_MESSAGE_BYTES. */
export function maxMessageBytes(fragmentPayloadBytes: number): number {
  return Math.min(MAX_MESSAGE_BYTES, fragmentPayloadBytes * MAX_FRAGMENT_COUNT);
}

/** Views (not copies) of `message` in consecutive pieces of at most `fragmentPayloadBytes`; at least one piece. */
export function splitMessage(message: Uint8Array, fragmentPayloadBytes: number): Uint8Array[] {
  if (!Number.isInteger(fragmentPayloadBytes) || fragmentPayloadBytes < 1) throw new RangeError(`invalid fragment size ${fragmentPayloadBytes}`);
  const limit = maxMessageBytes(fragmentPayloadBytes);
  if (message.length > limit) throw new MessageTooLargeError(message.length, limit);
  const count = Math.max(1, Math.ceil(message.length / fragmentPayloadBytes));
  const pieces: Uint8Array[] = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) pieces[i] = message.subarray(i * fragmentPayloadBytes, (i + 1) * fragmentPayloadBytes);
  return pieces;
}

export interface ReassemblerOptions {
  /** Partial messages kept at once (all senders together). */
  readonly maxPartialMessages?: number;
  /** Fragment bytes buffered at once; also the largest message that can be reassembled. */
  readonly maxBufferedBytes?: number;
  /** A partial message is dropped this long after its first fragment arrived. */
  readonly timeoutMs?: number;
}

export type ReassemblyResult =
  | { readonly status: 'complete'; readonly message: Uint8Array }
  | { readonly status: 'pending' }
  | { readonly status: 'duplicate' }
  /** The fragment contradicts its siblings' count, or the message can never fit the bounds. */
  | { readonly status: 'rejected'; readonly reason: 'inconsistent' | 'too-large' };

interface Partial {
  readonly count: number;
  readonly startedAtMs: number;
  readonly pieces: Map<number, Uint8Array>;
  bytes: number;
}

export interface ReassemblerStats {
  readonly partialMessages: number;
  readonly bufferedBytes: number;
  /** Partial messages given up (expired or evicted for room) since creation. */
  readonly expired: number;
  readonly evicted: number;
}

export class Reassembler {
  private readonly maxPartialMessages: number;
  private readonly maxBufferedBytes: number;
  private readonly timeoutMs: number;
  /** Insertion order is start order: the first entry is the oldest partial. */
  private readonly partials = new Map<string, Partial>();
  private bufferedBytes = 0;
  private expired = 0;
  private evicted = 0;

  constructor(options: ReassemblerOptions = {}) {
    this.maxPartialMessages = options.maxPartialMessages ?? 256;
    this.maxBufferedBytes = options.maxBufferedBytes ?? MAX_MESSAGE_BYTES;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /**
   * Adds one fragment from `source` (a sender and its epoch: message ids restart with each epoch).
   * `data` is kept, not copied: the caller must not reuse it.
   */
  add(source: string, fragment: FragmentHeader, data: Uint8Array, nowMs: number): ReassemblyResult {
    this.expire(nowMs);
    // The common case: one datagram, one message, nothing to buffer.
    if (fragment.count === 1) return { status: 'complete', message: data };
    const key = `${source}/${fragment.messageId}`;
    let partial = this.partials.get(key);
    if (partial !== undefined && partial.count !== fragment.count) {
      this.remove(key, partial);
      return { status: 'rejected', reason: 'inconsistent' };
    }
    if (partial?.pieces.has(fragment.index) === true) return { status: 'duplicate' };
    if (partial === undefined) {
      partial = { count: fragment.count, startedAtMs: nowMs, pieces: new Map(), bytes: 0 };
      this.partials.set(key, partial);
    }
    if (partial.bytes + data.length > this.maxBufferedBytes) {
      this.remove(key, partial);
      return { status: 'rejected', reason: 'too-large' };
    }
    this.makeRoom(key, data.length);
    partial.pieces.set(fragment.index, data);
    partial.bytes += data.length;
    this.bufferedBytes += data.length;
    if (partial.pieces.size < partial.count) return { status: 'pending' };
    this.remove(key, partial);
    const message = new Uint8Array(partial.bytes);
    let offset = 0;
    for (let i = 0; i < partial.count; i++) {
      const piece = partial.pieces.get(i) as Uint8Array;
      message.set(piece, offset);
      offset += piece.length;
    }
    return { status: 'complete', message };
  }

  /** Drops partial messages older than the timeout. add() calls it; a caller may call it when idle. */
  expire(nowMs: number): void {
    for (const [key, partial] of this.partials) {
      // Clocks may step back: treat a start "in the future" as starting now rather than keeping it forever.
      if (nowMs - partial.startedAtMs < this.timeoutMs && partial.startedAtMs <= nowMs) break;
      this.remove(key, partial);
      this.expired++;
    }
  }

  stats(): ReassemblerStats {
    return { partialMessages: this.partials.size, bufferedBytes: this.bufferedBytes, expired: this.expired, evicted: this.evicted };
  }

  /** Evicts the oldest partials other than `keep` until one more piece of `incomingBytes` fits both bounds. */
  private makeRoom(keep: string, incomingBytes: number): void {
    for (const [key, partial] of this.partials) {
      if (this.partials.size <= this.maxPartialMessages && this.bufferedBytes + incomingBytes <= this.maxBufferedBytes) return;
      if (key === keep) continue;
      this.remove(key, partial);
      this.evicted++;
    }
  }

  private remove(key: string, partial: Partial): void {
    this.partials.delete(key);
    this.bufferedBytes -= partial.bytes;
  }
}
