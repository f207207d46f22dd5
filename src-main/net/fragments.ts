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
 *  - Reassembly memory is bounded, counting what fragments really cost, not only their bytes: each
 *    buffered fragment is charged its length plus PIECE_OVERHEAD_BYTES (an empty fragment is not free:
 *    its view and map entry take a few hundred bytes) and each partial message PARTIAL_OVERHEAD_BYTES.
 *    There are two budgets, each in partial messages and in charged bytes: one per sender and one for
 *    all senders together.
 *  - A sender's partial messages can only evict that sender's own older partials, never another
 *    sender's: a sender over its budget loses its oldest partials; when all senders together are over
 *    theirs, the fragment is refused ('busy') unless the sender can make room from its own partials.
 *  - Fragments of a message of several fragments are never empty (splitMessage), and a message whose
 *    fragments could never fit the sender's budget is refused at its first fragment.
 *  - A partial expires `timeoutMs` after its first fragment. Time comes from the caller (`nowMs`): no
 *    timers in here.
 *
 * A member that holds the secret can still send as any sender id, so the per-sender budget protects the
 * others from a buggy sender, not from a hostile member; the global budget bounds memory in any case.
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

/**
 * What one buffered fragment costs beyond its bytes: the Uint8Array (its object and backing store) and
 * its Map entry. Measured on Node 20 at about 200 bytes of heap and 400 to 650 bytes of RSS per empty
 * fragment; charged generously so that the budgets bound real memory.
 */
export const PIECE_OVERHEAD_BYTES = 512;
/** What one partial message costs before any fragment: its record, key and Map. */
export const PARTIAL_OVERHEAD_BYTES = 1024;

export interface ReassemblerOptions {
  /** Partial messages kept at once, all senders together. */
  readonly maxPartialMessages?: number;
  /** Charged bytes (fragment bytes plus overheads) kept at once, all senders together. */
  readonly maxMemoryBytes?: number;
  /** Partial messages one sender may have at once. */
  readonly maxPartialMessagesPerSender?: number;
  /** Charged bytes one sender's partial messages may take. */
  readonly maxMemoryBytesPerSender?: number;
  /** The largest message reassembled, in bytes of the message itself. */
  readonly maxMessageBytes?: number;
  /** A partial message is dropped this long after its first fragment arrived. */
  readonly timeoutMs?: number;
}

/**
 * Defaults. A sender's budget holds one message of MAX_MESSAGE_BYTES in fragments of 512 bytes or more
 * (a 1400-byte datagram carries well over 1 KiB), or several smaller ones at once.
 */
const DEFAULT_MAX_PARTIAL_MESSAGES = 256;
const DEFAULT_MAX_PARTIAL_MESSAGES_PER_SENDER = 32;
const DEFAULT_MAX_MEMORY_BYTES_PER_SENDER = 2 * MAX_MESSAGE_BYTES;
const DEFAULT_MAX_MEMORY_BYTES = 2 * DEFAULT_MAX_MEMORY_BYTES_PER_SENDER;

export type ReassemblyResult =
  | { readonly status: 'complete'; readonly message: Uint8Array }
  | { readonly status: 'pending' }
  | { readonly status: 'duplicate' }
  /**
   * 'inconsistent': the fragment contradicts its siblings' count, or is empty; 'too-large': the message
   * can never fit the bounds; 'busy': all senders together are at their budget and this sender has no
   * older partial of its own to give up. The partial message is dropped in every case.
   */
  | { readonly status: 'rejected'; readonly reason: 'inconsistent' | 'too-large' | 'busy' };

interface Partial {
  readonly key: string;
  readonly sender: SenderPartials;
  readonly count: number;
  readonly startedAtMs: number;
  readonly pieces: Map<number, Uint8Array>;
  bytes: number;
  memoryBytes: number;
}

/** One sender's partial messages, oldest first, and what they cost. */
interface SenderPartials {
  readonly name: string;
  readonly partials: Map<string, Partial>;
  memoryBytes: number;
}

export interface ReassemblerStats {
  readonly partialMessages: number;
  /** Fragment bytes buffered. */
  readonly bufferedBytes: number;
  /** What the budgets count: fragment bytes plus overheads. */
  readonly memoryBytes: number;
  /** Senders with at least one partial message. */
  readonly senders: number;
  /** Partial messages given up (expired, or evicted by their own sender's newer ones) since creation. */
  readonly expired: number;
  readonly evicted: number;
}

/** The sender of a source `<sender>@<epoch>` (the transport's naming); a source without "@" is its own sender. */
function senderOf(source: string): string {
  const at = source.lastIndexOf('@');
  return at < 0 ? source : source.slice(0, at);
}

export class Reassembler {
  private readonly maxPartialMessages: number;
  private readonly maxMemoryBytes: number;
  private readonly maxPartialMessagesPerSender: number;
  private readonly maxMemoryBytesPerSender: number;
  private readonly maxMessageBytes: number;
  private readonly timeoutMs: number;
  /** Every partial, all senders; insertion order is start order: the first entry is the oldest. */
  private readonly partials = new Map<string, Partial>();
  private readonly senders = new Map<string, SenderPartials>();
  private bufferedBytes = 0;
  private memoryBytes = 0;
  private expired = 0;
  private evicted = 0;

  constructor(options: ReassemblerOptions = {}) {
    this.maxPartialMessages = options.maxPartialMessages ?? DEFAULT_MAX_PARTIAL_MESSAGES;
    this.maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    this.maxPartialMessagesPerSender = options.maxPartialMessagesPerSender ?? DEFAULT_MAX_PARTIAL_MESSAGES_PER_SENDER;
    this.maxMemoryBytesPerSender = options.maxMemoryBytesPerSender ?? DEFAULT_MAX_MEMORY_BYTES_PER_SENDER;
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /**
   * Adds one fragment from `source`, `<sender>@<epoch>` (message ids restart with each epoch; budgets
   * are per sender). `data` is kept, not copied: the caller must not reuse it.
   */
  add(source: string, fragment: FragmentHeader, data: Uint8Array, nowMs: number): ReassemblyResult {
    this.expire(nowMs);
    // The common case: one datagram, one message, nothing to buffer.
    if (fragment.count === 1) return { status: 'complete', message: data };
    const key = `${source}/${fragment.messageId}`;
    const existing = this.partials.get(key);
    if (existing !== undefined && (existing.count !== fragment.count || data.length === 0)) return this.reject(existing, 'inconsistent');
    if (existing === undefined && data.length === 0) return { status: 'rejected', reason: 'inconsistent' };
    if (existing?.pieces.has(fragment.index) === true) return { status: 'duplicate' };
    const pieceCost = data.length + PIECE_OVERHEAD_BYTES;
    if (existing === undefined) {
      // Every fragment holds at least one byte: a count that could never fit is refused now, not after its fragments filled the budget.
      const leastCost = PARTIAL_OVERHEAD_BYTES + fragment.count * (1 + PIECE_OVERHEAD_BYTES);
      if (fragment.count > this.maxMessageBytes || leastCost > this.maxMemoryBytesPerSender) return { status: 'rejected', reason: 'too-large' };
    } else if (existing.bytes + data.length > this.maxMessageBytes || existing.memoryBytes + pieceCost > this.maxMemoryBytesPerSender) {
      return this.reject(existing, 'too-large');
    }
    const partial = existing ?? this.open(key, senderOf(source), fragment.count, nowMs);
    if (!this.makeRoom(partial, pieceCost)) return this.reject(partial, 'busy');
    partial.pieces.set(fragment.index, data);
    partial.bytes += data.length;
    this.charge(partial, pieceCost);
    this.bufferedBytes += data.length;
    if (partial.pieces.size < partial.count) return { status: 'pending' };
    this.remove(partial);
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
    for (const partial of this.partials.values()) {
      // Clocks may step back: treat a start "in the future" as starting now rather than keeping it forever.
      if (nowMs - partial.startedAtMs < this.timeoutMs && partial.startedAtMs <= nowMs) break;
      this.remove(partial);
      this.expired++;
    }
  }

  stats(): ReassemblerStats {
    return {
      partialMessages: this.partials.size,
      bufferedBytes: this.bufferedBytes,
      memoryBytes: this.memoryBytes,
      senders: this.senders.size,
      expired: this.expired,
      evicted: this.evicted,
    };
  }

  /** A new, empty partial message of `senderName`, charged its own overhead. */
  private open(key: string, senderName: string, count: number, nowMs: number): Partial {
    let sender = this.senders.get(senderName);
    if (sender === undefined) {
      sender = { name: senderName, partials: new Map(), memoryBytes: 0 };
      this.senders.set(senderName, sender);
    }
    const partial: Partial = { key, sender, count, startedAtMs: nowMs, pieces: new Map(), bytes: 0, memoryBytes: 0 };
    this.partials.set(key, partial);
    sender.partials.set(key, partial);
    this.charge(partial, PARTIAL_OVERHEAD_BYTES);
    return partial;
  }

  /**
   * Evicts the oldest partials of `partial`'s own sender (never `partial`, never another sender's)
   * until one more piece costing `pieceCost` fits both the sender's budgets and the global ones.
   * False when it cannot.
   */
  private makeRoom(partial: Partial, pieceCost: number): boolean {
    const sender = partial.sender;
    const fits = (): boolean =>
      sender.partials.size <= this.maxPartialMessagesPerSender &&
      sender.memoryBytes + pieceCost <= this.maxMemoryBytesPerSender &&
      this.partials.size <= this.maxPartialMessages &&
      this.memoryBytes + pieceCost <= this.maxMemoryBytes;
    for (const older of sender.partials.values()) {
      if (fits()) return true;
      if (older === partial) continue;
      this.remove(older);
      this.evicted++;
    }
    return fits();
  }

  private charge(partial: Partial, bytes: number): void {
    partial.memoryBytes += bytes;
    partial.sender.memoryBytes += bytes;
    this.memoryBytes += bytes;
  }

  private reject(partial: Partial, reason: 'inconsistent' | 'too-large' | 'busy'): ReassemblyResult {
    this.remove(partial);
    return { status: 'rejected', reason };
  }

  private remove(partial: Partial): void {
    if (!this.partials.delete(partial.key)) return;
    const sender = partial.sender;
    sender.partials.delete(partial.key);
    sender.memoryBytes -= partial.memoryBytes;
    this.memoryBytes -= partial.memoryBytes;
    this.bufferedBytes -= partial.bytes;
    if (sender.partials.size === 0) this.senders.delete(sender.name);
  }
}
