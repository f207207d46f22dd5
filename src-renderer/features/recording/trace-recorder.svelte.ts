/**
 * The dashboard's recording of protocol messages: the last few minutes of the trace it receives, so
 * the Cluster view can replay them in slow motion and the Inspector can tell the story of a slot.
 *
 * It is written against `ObservedMessage`, the shape both feeds share: this node's own `trace` events
 * (TraceMessage, seen by this node) and a cluster-wide merged trace (the same plus `observer`, the
 * member that saw it). Which member saw a message matters because in a merged trace each message may
 * appear twice, once as its sender's `out` and once as its receiver's `in`: the second copy recorded
 * is marked `echo` (pairing.ts).
 *
 * Invariants:
 *  - `messages` is sorted by `at` (stable: equal times keep their arrival order);
 *  - it spans at most KEEP_MS (the newest `at` minus the oldest) and holds at most KEEP_MAX messages:
 *    the dashboard may stay open for days, and under load a node traces ~4,000 messages a second,
 *    so the count, not the age, is usually the bound that bites;
 *  - `serial` rises with arrival, so views can key on it (a merged trace's own `seq` numbers another
 *    node's arrivals and is not used); `lostBefore` is the newest `at` ever evicted
 *    (a view knows that anything earlier is gone, not absent).
 */
import type { TraceMessage } from '../../../shared/api';
import { EchoPairing } from './pairing';

/** Five minutes: long enough to scrub back over an election, short enough to stay small. */
export const KEEP_MS = 5 * 60_000;
/** About 10 MB of small objects at most; at full trace rate this is ~12 s, at idle the whole 5 min. */
export const KEEP_MAX = 50_000;
/**
 * Bound on the per-link memory that tells heartbeats apart (a few members, a few directions each: far
 * more than any real cluster; when it is exceeded the memory is simply reset).
 */
const LINKS_MAX = 1_024;

/** A protocol message as a feed delivers it; `observer` defaults to the member that sent or received it. */
export interface ObservedMessage extends TraceMessage {
  readonly observer?: string;
}

export interface RecordedMessage extends TraceMessage {
  /** Arrival order in this recording (unique, rising). */
  readonly serial: number;
  /** The member whose trace holds this observation. */
  readonly observer: string;
  /**
   * A message that says nothing new: every ping, and a commit or commitAck repeating the commit index
   * the same link already carried (the leader's idle heartbeat and its answers).
   */
  readonly heartbeat: boolean;
  /** The second copy of a message both its sender and its receiver traced: views skip it (pairing.ts). */
  readonly echo: boolean;
}

export interface RecorderLimits {
  readonly keepMs?: number;
  readonly keepMax?: number;
}

export class TraceRecorder {
  /** Sorted by `at`; replaced (never mutated) on every change, so `$derived` readers see each change. */
  messages = $state.raw<readonly RecordedMessage[]>([]);
  /** Wall-clock ms of the first message ever recorded, or null before any. */
  startedAt = $state<number | null>(null);
  /** The newest `at` evicted so far (older messages are gone), or null while nothing was evicted. */
  lostBefore = $state<number | null>(null);

  readonly keepMs: number;
  readonly keepMax: number;
  #nextSerial = 1;
  /** Last commit index carried per observer, direction, link and type: what makes a commit news. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping of `record`, never shown: deliberately not reactive
  readonly #lastCommit = new Map<string, number>();
  readonly #pairing = new EchoPairing();
  /** Serials of earlier copies to show as dropped: their partner, recorded in this batch, was dropped on arrival. */
  #dropEarlier: number[] = [];

  constructor(limits: RecorderLimits = {}) {
    this.keepMs = limits.keepMs ?? KEEP_MS;
    this.keepMax = limits.keepMax ?? KEEP_MAX;
    if (!(this.keepMs > 0 && Number.isInteger(this.keepMax) && this.keepMax > 0)) throw new RangeError('recorder limits must be positive');
  }

  /** Adds a batch of new observations (each given once; a feed passes only what it had not passed before). */
  record(batch: readonly ObservedMessage[]): void {
    if (batch.length === 0) return;
    const added = batch.map((message) => this.#stamp(message));
    const last = this.messages.at(-1);
    const inOrder = isSorted(added) && (last === undefined || (added[0] as RecordedMessage).at >= last.at);
    // A single node's trace arrives in order; a merged one from several clocks may not: merge then.
    let next = inOrder ? [...this.messages, ...added] : [...this.messages, ...added].sort((a, b) => a.at - b.at || a.serial - b.serial);
    if (this.#dropEarlier.length > 0) {
      // Rare (a fault dropped a message on arrival): copy the few earlier copies that now show it.
      const dropped = this.#dropEarlier;
      this.#dropEarlier = [];
      next = next.map((m) => (dropped.includes(m.serial) ? { ...m, dropped: true } : m));
    }
    this.startedAt ??= (next[0] as RecordedMessage).at;
    next = this.#evict(next);
    this.messages = next;
  }

  #stamp(message: ObservedMessage): RecordedMessage {
    const observer = observerOf(message);
    const stamped = { ...message, serial: this.#nextSerial++, observer, heartbeat: this.#isHeartbeat(message, observer) };
    const { echo, dropEarlier } = this.#pairing.match(stamped);
    if (dropEarlier !== null) this.#dropEarlier.push(dropEarlier);
    return { ...stamped, echo };
  }

  #isHeartbeat(message: ObservedMessage, observer: string): boolean {
    if (message.type === 'ping') return true;
    if ((message.type !== 'commit' && message.type !== 'commitAck') || message.slot === undefined) return false;
    const link = `${observer}|${message.direction}|${message.from}>${message.to}|${message.type}`;
    const before = this.#lastCommit.get(link);
    if (before === undefined && this.#lastCommit.size >= LINKS_MAX) this.#lastCommit.clear();
    this.#lastCommit.set(link, Math.max(before ?? -1, message.slot));
    return before !== undefined && message.slot <= before;
  }

  /** Drops what is older than keepMs before the newest message, then the oldest beyond keepMax. */
  #evict(sorted: RecordedMessage[]): RecordedMessage[] {
    const newest = (sorted.at(-1) as RecordedMessage).at;
    let drop = 0;
    while (drop < sorted.length && (sorted[drop] as RecordedMessage).at < newest - this.keepMs) drop++;
    drop = Math.max(drop, sorted.length - this.keepMax);
    if (drop === 0) return sorted;
    this.lostBefore = Math.max(this.lostBefore ?? -Infinity, (sorted[drop - 1] as RecordedMessage).at);
    return sorted.slice(drop);
  }
}

/** Who saw a message: as given, else its sender for an `out` and its receiver for an `in`. */
export function observerOf(message: ObservedMessage): string {
  return message.observer ?? (message.direction === 'out' ? message.from : message.to);
}

function isSorted(messages: readonly RecordedMessage[]): boolean {
  for (let i = 1; i < messages.length; i++) if ((messages[i] as RecordedMessage).at < (messages[i - 1] as RecordedMessage).at) return false;
  return true;
}
