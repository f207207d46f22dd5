/**
 * Pacing of bulk traffic (catch-up replies, snapshot chunks, cluster-trace batches) so it never starves protocol traffic
 * (heartbeats, accepts and their replies) on the same socket, nor the event loop that sends both.
 *
 * Bulk messages are queued per peer and leave only through drain(), which the runtime calls after a
 * turn's protocol messages went out and whenever `wake` asks for it. Each peer has a byte budget (a
 * token bucket: `peerBytesPerMs` refill, at most `peerBurstBytes`), so a peer receives at most one burst
 * at once and bulk bytes at a bounded rate, and one drain sends at most `drainBytes` to all peers
 * together (round-robin). Hence:
 *  - a protocol message sent after a drain waits behind at most `drainBytes` of bulk datagrams in the
 *    socket's send queue, and the event loop runs (timers, received datagrams) between drains;
 *  - the receiver's socket buffer sees at most one burst per refill from us, which it drains long before
 *    it could overflow and drop the heartbeats behind it.
 * Memory is bounded: at most `maxQueuedBytesPerPeer` per peer and `maxQueuedBytes` in all; what does not
 * fit is dropped and counted by reason (a hostile requester cannot make this node queue without bound),
 * as is what waited longer than `maxQueueAgeMs` (its requester asked again long ago or is gone). A
 * message pushed with a key already queued for that peer is a duplicate request's answer: dropped.
 *
 * Pure logic: time comes from `now`, messages leave through `send`, and `wake(delayMs)` asks the caller to
 * call drain() after that delay (the caller owns the timer). Nothing here throws on any input.
 */
import { messageSizeBound } from '../core/message-size';
import type { CatchupReplyMessage, NodeId } from '../core/types';
import type { SnapshotChunkMessage, TraceBatchMessage } from '../net/wire';
import { MAX_TRACE_BATCH_BYTES } from './trace-lease';

export type BulkMessage = CatchupReplyMessage | SnapshotChunkMessage | TraceBatchMessage;

export type BulkDropReason = 'peer-queue-full' | 'queue-full' | 'duplicate' | 'expired' | 'forgotten';

export interface BulkSenderOptions {
  /** Sends messages (in order per peer); the runtime passes its transport's sendAll. */
  readonly send: (messages: readonly BulkMessage[]) => void;
  readonly now: () => number;
  /** Asks for a call of drain() in `delayMs` (0: as soon as possible). Replaces any earlier request. */
  readonly wake: (delayMs: number) => void;
  /** Refill rate of each peer's budget. Default 32 KiB/ms (32 MiB/s). */
  readonly peerBytesPerMs?: number;
  /** A peer's budget when full: the most sent to it at once. Default 256 KiB. */
  readonly peerBurstBytes?: number;
  /** The most bytes one drain() sends to all peers together. Default 512 KiB. */
  readonly drainBytes?: number;
  /** Queued bytes per peer beyond which pushes are dropped. Default 4 MiB. */
  readonly maxQueuedBytesPerPeer?: number;
  /** Queued bytes for all peers together beyond which pushes are dropped. Default 16 MiB. */
  readonly maxQueuedBytes?: number;
  /** A message queued longer than this is dropped instead of sent. Default 5 s. */
  readonly maxQueueAgeMs?: number;
}

export const DEFAULT_BULK_PEER_BYTES_PER_MS = 32 * 1024;
export const DEFAULT_BULK_PEER_BURST_BYTES = 256 * 1024;
export const DEFAULT_BULK_DRAIN_BYTES = 512 * 1024;
export const DEFAULT_BULK_MAX_QUEUED_BYTES_PER_PEER = 4 * 1024 * 1024;
export const DEFAULT_BULK_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
export const DEFAULT_BULK_MAX_QUEUE_AGE_MS = 5_000;

/** Bytes of a snapshot chunk around its data: envelope (two ids of at most 32 bytes), four integers, a length prefix. */
const CHUNK_FRAME_BOUND_BYTES = 2 + 2 * (1 + 32) + 4 * 8 + 8;

/** An upper bound on the encoded size of a bulk message: what it costs against the budgets. */
export function bulkMessageSizeBound(message: BulkMessage): number {
  switch (message.type) {
    case 'snapshotChunk':
      return CHUNK_FRAME_BOUND_BYTES + message.data.length;
    case 'traceBatch':
      // trace-lease.ts packs every batch to this.
      return MAX_TRACE_BATCH_BYTES;
    default:
      return messageSizeBound(message);
  }
}

interface Queued {
  readonly message: BulkMessage;
  readonly bytes: number;
  readonly key: string | undefined;
  readonly queuedAt: number;
}

interface PeerQueue {
  readonly items: Queued[];
  /** Index of the next item to send (items before it are sent; compacted now and then). */
  head: number;
  bytes: number;
  readonly keys: Set<string>;
  /** Budget in bytes; may go negative after a message larger than the burst (a debt paid by refill). */
  tokens: number;
  refilledAt: number;
}

export interface BulkSenderStats {
  readonly queuedBytes: number;
  readonly queuedMessages: number;
  readonly sentBytes: number;
  readonly sentMessages: number;
  readonly dropped: Readonly<Record<BulkDropReason, number>>;
}

export class BulkSender {
  private readonly peers = new Map<NodeId, PeerQueue>();
  /** Peers in round-robin order; the first is served first in the next drain. */
  private order: NodeId[] = [];
  private queuedBytes = 0;
  private queuedMessages = 0;
  private sentBytes = 0;
  private sentMessages = 0;
  private readonly dropped: Record<BulkDropReason, number> = { 'peer-queue-full': 0, 'queue-full': 0, duplicate: 0, expired: 0, forgotten: 0 };
  /** When the pending wake fires (null: none pending). */
  private wakeAt: number | null = null;
  private readonly peerBytesPerMs: number;
  private readonly peerBurstBytes: number;
  private readonly drainBytes: number;
  private readonly maxQueuedBytesPerPeer: number;
  private readonly maxQueuedBytes: number;
  private readonly maxQueueAgeMs: number;

  constructor(private readonly options: BulkSenderOptions) {
    this.peerBytesPerMs = positive(options.peerBytesPerMs, DEFAULT_BULK_PEER_BYTES_PER_MS, 'peerBytesPerMs');
    this.peerBurstBytes = positive(options.peerBurstBytes, DEFAULT_BULK_PEER_BURST_BYTES, 'peerBurstBytes');
    this.drainBytes = positive(options.drainBytes, DEFAULT_BULK_DRAIN_BYTES, 'drainBytes');
    this.maxQueuedBytesPerPeer = positive(options.maxQueuedBytesPerPeer, DEFAULT_BULK_MAX_QUEUED_BYTES_PER_PEER, 'maxQueuedBytesPerPeer');
    this.maxQueuedBytes = positive(options.maxQueuedBytes, DEFAULT_BULK_MAX_QUEUED_BYTES, 'maxQueuedBytes');
    this.maxQueueAgeMs = positive(options.maxQueueAgeMs, DEFAULT_BULK_MAX_QUEUE_AGE_MS, 'maxQueueAgeMs');
  }

  /**
   * Queues `message` for its peer (`message.to`). `key` names what it answers (say, a snapshot chunk's
   * transfer and offset): a message whose key is still queued for the same peer is a duplicate. Returns
   * false when the message was dropped (counted in stats().dropped).
   */
  push(message: BulkMessage, key?: string): boolean {
    const now = this.options.now();
    const peer = this.peer(message.to, now);
    this.expire(peer, now);
    if (key !== undefined && peer.keys.has(key)) return this.drop('duplicate');
    const bytes = bulkMessageSizeBound(message);
    if (peer.bytes + bytes > this.maxQueuedBytesPerPeer) return this.drop('peer-queue-full');
    if (this.queuedBytes + bytes > this.maxQueuedBytes) return this.drop('queue-full');
    peer.items.push({ message, bytes, key, queuedAt: now });
    if (key !== undefined) peer.keys.add(key);
    peer.bytes += bytes;
    this.queuedBytes += bytes;
    this.queuedMessages++;
    this.requestWake(now);
    return true;
  }

  /**
   * Sends what the budgets allow now: round-robin over the peers, one message at a time, each peer in
   * the order its messages were pushed. Call it after the turn's protocol messages were sent.
   */
  drain(): void {
    const now = this.options.now();
    this.wakeAt = null;
    const out: BulkMessage[] = [];
    let budget = this.drainBytes;
    let progress = true;
    while (progress && budget > 0) {
      progress = false;
      for (const id of this.order) {
        const peer = this.peers.get(id) as PeerQueue;
        this.expire(peer, now);
        this.refill(peer, now);
        const next = peer.items[peer.head];
        if (next === undefined || !this.affordable(peer, next.bytes)) continue;
        this.take(peer);
        peer.tokens -= next.bytes;
        budget -= next.bytes;
        this.sentBytes += next.bytes;
        this.sentMessages++;
        out.push(next.message);
        progress = true;
        if (budget <= 0) break;
      }
    }
    // The peer after the last one served goes first next time, so no peer is always served last.
    if (this.order.length > 1) this.order = [...this.order.slice(1), this.order[0] as NodeId];
    for (const [id, peer] of this.peers) if (peer.head === peer.items.length && peer.tokens >= this.peerBurstBytes) this.removePeer(id);
    if (out.length > 0) this.options.send(out);
    this.requestWake(now, budget <= 0);
  }

  /** Drops everything queued for `peer` (it left the membership, or its download is over). */
  forget(peer: NodeId): void {
    const queue = this.peers.get(peer);
    if (queue === undefined) return;
    this.dropped.forgotten += queue.items.length - queue.head;
    this.removePeer(peer);
  }

  /** Bytes queued for `peer` (or for all peers). */
  queued(peer?: NodeId): number {
    return peer === undefined ? this.queuedBytes : (this.peers.get(peer)?.bytes ?? 0);
  }

  stats(): BulkSenderStats {
    return { queuedBytes: this.queuedBytes, queuedMessages: this.queuedMessages, sentBytes: this.sentBytes, sentMessages: this.sentMessages, dropped: { ...this.dropped } };
  }

  private peer(id: NodeId, now: number): PeerQueue {
    let peer = this.peers.get(id);
    if (peer === undefined) {
      peer = { items: [], head: 0, bytes: 0, keys: new Set(), tokens: this.peerBurstBytes, refilledAt: now };
      this.peers.set(id, peer);
      this.order.push(id);
    }
    return peer;
  }

  private removePeer(id: NodeId): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    this.queuedBytes -= peer.bytes;
    this.queuedMessages -= peer.items.length - peer.head;
    this.peers.delete(id);
    this.order = this.order.filter((other) => other !== id);
  }

  private refill(peer: PeerQueue, now: number): void {
    // Time that went backwards refills nothing, and is not counted again when the clock catches up.
    if (now <= peer.refilledAt) return;
    peer.tokens = Math.min(this.peerBurstBytes, peer.tokens + (now - peer.refilledAt) * this.peerBytesPerMs);
    peer.refilledAt = now;
  }

  /** A message larger than the burst goes when the budget is full (and leaves a debt). */
  private affordable(peer: PeerQueue, bytes: number): boolean {
    return peer.tokens >= Math.min(bytes, this.peerBurstBytes);
  }

  private take(peer: PeerQueue): Queued {
    const item = peer.items[peer.head] as Queued;
    peer.head++;
    peer.bytes -= item.bytes;
    this.queuedBytes -= item.bytes;
    this.queuedMessages--;
    if (item.key !== undefined) peer.keys.delete(item.key);
    // Compact once the sent prefix dominates, so a long-lived queue does not keep sent messages alive.
    if (peer.head > 64 && peer.head * 2 > peer.items.length) {
      peer.items.splice(0, peer.head);
      peer.head = 0;
    }
    return item;
  }

  private expire(peer: PeerQueue, now: number): void {
    for (let next = peer.items[peer.head]; next !== undefined && now - next.queuedAt > this.maxQueueAgeMs; next = peer.items[peer.head]) {
      this.take(peer);
      this.dropped.expired++;
    }
  }

  private drop(reason: BulkDropReason): false {
    this.dropped[reason]++;
    return false;
  }

  /**
   * Asks for the next drain: at once if this one ran out of budget, else when the first peer can send a
   * batch. A batch is a quarter of the burst (or all that is queued, if less): waking for every single
   * message would cost a timer per chunk and send datagrams in dribbles.
   */
  private requestWake(now: number, immediately = false): void {
    let delayMs: number | null = null;
    for (const peer of this.peers.values()) {
      const next = peer.items[peer.head];
      if (next === undefined) continue;
      this.refill(peer, now);
      const batchBytes = Math.min(this.peerBurstBytes, Math.max(next.bytes, Math.min(peer.bytes, this.peerBurstBytes / 4)));
      const missing = batchBytes - peer.tokens;
      const waitMs = immediately || missing <= 0 ? 0 : Math.ceil(missing / this.peerBytesPerMs);
      delayMs = delayMs === null ? waitMs : Math.min(delayMs, waitMs);
    }
    if (delayMs === null) return;
    const at = now + delayMs;
    if (this.wakeAt !== null && this.wakeAt <= at) return;
    this.wakeAt = at;
    this.options.wake(delayMs);
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (!(chosen > 0) || !Number.isFinite(chosen)) throw new RangeError(`${name} must be a positive number (got ${String(value)})`);
  return chosen;
}
