/**
 * One observation per message. In a merged trace a delivered message is seen twice: as `out` by its
 * sender and as `in` by its receiver. Views draw each message once, so the recorder pairs the two copies
 * as they arrive and marks the one recorded second an `echo` (the first may be either side: this node's
 * own observations arrive at once, the other members' about a second later). When only the receiver's
 * copy says the message was dropped (a fault there), the visible copy is marked dropped too. A copy with
 * no partner (always so in one node's own trace, where a member never sees both sides) stays visible.
 *
 * Matching, per signature (from, to, type, slot, ballot), first come first paired: an `in` pairs with an
 * unpaired `out` sent at most PAIR_WINDOW_MS before it or CLOCK_SKEW_MS after it (members' clocks are
 * aligned only so well), and an `out` with an `in` in the same window. A heartbeat repeats its signature
 * many times a second; pairing in order still matches each copy with its own send because a link
 * delivers in order almost always, and swapping two identical heartbeats changes nothing anyone can see.
 *
 * Done once per message when it is recorded (pairing the whole recording on every change cost ~0.3 s for
 * 50,000 messages). Bounded: unpaired copies older than KEEP_UNPAIRED_MS before the newest are forgotten
 * (their partner will not come), and the whole memory is dropped if it ever holds UNPAIRED_MAX.
 */
import type { RecordedMessage } from './trace-recorder.svelte';

/** An injected delay holds a message up to 10 s (fault-form's MAX_DELAY_MS), plus slack. */
export const PAIR_WINDOW_MS = 11_000;
export const CLOCK_SKEW_MS = 1_000;
/** The window plus the time the other members' observations take to arrive (a poll a second), with slack. */
const KEEP_UNPAIRED_MS = PAIR_WINDOW_MS + 5_000;
const UNPAIRED_MAX = 100_000;
/** How many recorded messages between two sweeps of the forgotten copies. */
const SWEEP_EVERY = 2_000;

/** The part of a recorded message that pairing reads. */
type Observation = Omit<RecordedMessage, 'echo'>;

export interface Pairing {
  /** This copy repeats one recorded before: views skip it. */
  readonly echo: boolean;
  /** The serial of the earlier copy that must now show as dropped, or null. */
  readonly dropEarlier: number | null;
}

export class EchoPairing {
  /** Visible copies still waiting for their other side, by signature and direction, oldest first. */
  readonly #waiting = new Map<string, Observation[]>();
  #size = 0;
  #sinceSweep = 0;
  #newest = -Infinity;

  match(message: Observation): Pairing {
    this.#newest = Math.max(this.#newest, message.at);
    if (++this.#sinceSweep >= SWEEP_EVERY) this.#sweep();
    const key = signature(message);
    const other = this.#waiting.get(`${key}|${message.direction === 'in' ? 'out' : 'in'}`);
    const index = other?.findIndex((copy) => copy.observer !== message.observer && inWindow(message, copy)) ?? -1;
    if (other !== undefined && index >= 0) {
      const [partner] = other.splice(index, 1) as [Observation];
      this.#size--;
      return { echo: true, dropEarlier: message.dropped === true && partner.dropped !== true ? partner.serial : null };
    }
    const mine = `${key}|${message.direction}`;
    const list = this.#waiting.get(mine);
    if (list === undefined) this.#waiting.set(mine, [message]);
    else list.push(message);
    if (++this.#size > UNPAIRED_MAX) this.#forgetAll();
    return { echo: false, dropEarlier: null };
  }

  #sweep(): void {
    this.#sinceSweep = 0;
    const cutoff = this.#newest - KEEP_UNPAIRED_MS;
    for (const [key, list] of this.#waiting) {
      const kept = list.filter((copy) => copy.at >= cutoff);
      this.#size -= list.length - kept.length;
      if (kept.length === 0) this.#waiting.delete(key);
      else if (kept.length !== list.length) this.#waiting.set(key, kept);
    }
  }

  #forgetAll(): void {
    this.#waiting.clear();
    this.#size = 0;
  }
}

/** Whether `copy` can be the other side of `message`: the send at most the window before the arrival. */
function inWindow(message: Observation, copy: Observation): boolean {
  const [send, arrival] = message.direction === 'out' ? [message, copy] : [copy, message];
  return send.at >= arrival.at - PAIR_WINDOW_MS && send.at <= arrival.at + CLOCK_SKEW_MS;
}

function signature(message: Observation): string {
  const ballot = message.ballot === undefined ? '' : `${message.ballot.round}.${message.ballot.node}`;
  return `${message.from}>${message.to}|${message.type}|${message.slot ?? ''}|${ballot}`;
}

/** Each message once (see above). */
export function oneSidePerMessage(messages: readonly RecordedMessage[]): readonly RecordedMessage[] {
  return messages.some((m) => m.echo) ? messages.filter((m) => !m.echo) : messages;
}
