/**
 * The simulated network: per-message loss, duplication and random delay (which reorders), directed link
 * cuts, and optionally a bandwidth per directed link.
 *
 * A symmetric partition cuts both directions; a deaf node has all incoming links cut but can still send.
 *
 * With a bandwidth, every link is a FIFO: a datagram of `bytes` occupies its link for bytes / bandwidth
 * virtual milliseconds after every datagram sent on that link before it, then travels for the random
 * delay. So a catch-up reply or a snapshot chunk holds back the heartbeats and accepts queued behind it,
 * as on a real slow link. The queue is bounded like a socket buffer: a datagram that would wait more than
 * `queueLimitMs` behind the others is dropped (and counted), so retransmissions cannot queue forever.
 */
import type { NodeId } from '../../src-main/core/types';
import type { EventQueue } from './event-queue';
import type { SimRandom } from './sim-random';

export interface NetworkConditions {
  lossRate: number;
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const CALM_NETWORK: NetworkConditions = { lossRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 4 };

export interface LinkCapacity {
  /** Bytes a link carries per virtual millisecond. */
  readonly bandwidthBytesPerMs: number;
  /** A datagram that would wait longer than this behind earlier ones on its link is dropped. */
  readonly queueLimitMs: number;
}

export class SimNetwork {
  conditions: NetworkConditions = { ...CALM_NETWORK };
  private readonly cut = new Set<string>();
  /** Per directed link: when it finishes sending what is queued on it. */
  private readonly busyUntil = new Map<string, number>();
  sent = 0;
  bytesSent = 0;
  /** Datagrams dropped because their link's queue was full. */
  overflowed = 0;

  constructor(
    private readonly events: EventQueue,
    private readonly random: SimRandom,
    /** Null: links are infinitely fast (only the random delay applies). */
    readonly capacity: LinkCapacity | null = null,
  ) {}

  /**
   * Sends a datagram of `bytes` from `from` to `to`; `arrive` runs when (and each time) it arrives.
   * Returns false when it is certain not to arrive (cut link, full queue, lost).
   */
  send(from: NodeId, to: NodeId, bytes: number, arrive: () => void): boolean {
    this.sent++;
    const key = link(from, to);
    if (this.cut.has(key)) return false;
    const departsInMs = this.occupy(key, bytes);
    if (departsInMs === null) {
      this.overflowed++;
      return false;
    }
    this.bytesSent += bytes;
    if (this.random.chance(this.conditions.lossRate)) return false;
    const copies = this.random.chance(this.conditions.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) this.events.schedule(departsInMs + this.delayMs(), arrive);
    return true;
  }

  /** Queues `bytes` on the link; returns when they will have left (ms from now), or null if the queue is full. */
  private occupy(key: string, bytes: number): number | null {
    if (this.capacity === null) return 0;
    const now = this.events.now;
    const start = Math.max(now, this.busyUntil.get(key) ?? 0);
    if (start - now > this.capacity.queueLimitMs) return null;
    const end = start + bytes / this.capacity.bandwidthBytesPerMs;
    this.busyUntil.set(key, end);
    return end - now;
  }

  delayMs(): number {
    return this.random.between(this.conditions.minDelayMs, this.conditions.maxDelayMs);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(link(from, to));
  }

  /** Splits the members into two sides that cannot talk to each other. */
  partition(sideA: readonly NodeId[], sideB: readonly NodeId[]): void {
    for (const a of sideA) {
      for (const b of sideB) {
        this.cutLink(a, b);
        this.cutLink(b, a);
      }
    }
  }

  /** `node` can send but receives nothing. */
  deafen(node: NodeId, members: readonly NodeId[]): void {
    for (const other of members) if (other !== node) this.cutLink(other, node);
  }

  heal(): void {
    this.cut.clear();
  }

  get cutLinks(): number {
    return this.cut.size;
  }
}

function link(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}
