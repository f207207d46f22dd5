/**
 * Turns the session's recent protocol messages into dots flying between members. Each new message
 * (one not seen at the previous call) becomes a dot that travels from sender to receiver in FLIGHT_MS;
 * a dropped one stops halfway and fades out under an ×. Bounded to MAX_DOTS (the newest win).
 * Time is passed in (performance.now() from the page), so tests can drive it.
 */
import type { TraceMessage } from '../../../shared/api';
import { kindOf, type MessageKind } from './members';

export const FLIGHT_MS = 600;
export const MAX_DOTS = 60;
/** Messages of one batch start spread over their real spacing, up to this much. */
const STAGGER_MAX_MS = 400;

export interface Dot {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly kind: MessageKind;
  readonly dropped: boolean;
  /** When it sets off (ms, the page's clock). */
  readonly born: number;
}

/** A message to animate and when its dot sets off (ms, the page's clock). */
export interface Flight {
  readonly message: TraceMessage;
  readonly born: number;
}

export interface DotFrame {
  /** 0 at the sender, 1 at the receiver. */
  readonly t: number;
  readonly opacity: number;
  /** Opacity of the × for a dropped message (0 until it stops). */
  readonly cross: number;
}

export class TraceAnimator {
  dots = $state.raw<readonly Dot[]>([]);
  now = $state(0);
  readonly animating = $derived(this.dots.length > 0);

  #primed = false;
  #last: TraceMessage | undefined;
  #nextId = 1;

  /**
   * Takes the messages that arrived since the previous call (the first call only notes where the
   * trace ends: history is not animated) and animates those between known members.
   */
  ingest(trace: readonly TraceMessage[], now: number, animate: boolean, members: ReadonlySet<string>): void {
    const fresh = this.#fresh(trace);
    this.now = now;
    if (!animate) {
      if (this.dots.length > 0) this.dots = [];
      return;
    }
    const shown = fresh.filter((m) => flies(m, members)).slice(-MAX_DOTS);
    const first = shown[0]?.at ?? 0;
    this.launch(
      shown.map((message) => ({ message, born: now + Math.min(STAGGER_MAX_MS, Math.max(0, message.at - first)) })),
      now,
      members,
    );
  }

  /**
   * Sets messages flying, each from the time given (a replay decides when each one sets off), keeping
   * those between two distinct known members.
   */
  launch(flights: readonly Flight[], now: number, members: ReadonlySet<string>): void {
    this.now = now;
    const shown = flights.filter(({ message }) => flies(message, members)).slice(-MAX_DOTS);
    const born = shown.map(
      ({ message, born }): Dot => ({
        id: this.#nextId++,
        from: message.from,
        to: message.to,
        kind: kindOf(message.type),
        dropped: message.dropped === true,
        born,
      }),
    );
    const alive = this.dots.filter((dot) => now - dot.born < FLIGHT_MS);
    if (born.length > 0 || alive.length !== this.dots.length) this.dots = [...alive, ...born].slice(-MAX_DOTS);
  }

  /** Moves time on and forgets the dots that have landed. */
  tick(now: number): void {
    this.now = now;
    const alive = this.dots.filter((dot) => now - dot.born < FLIGHT_MS);
    if (alive.length !== this.dots.length) this.dots = alive;
  }

  #fresh(trace: readonly TraceMessage[]): readonly TraceMessage[] {
    const last = this.#last;
    this.#last = trace.at(-1) ?? last;
    if (!this.#primed) {
      this.#primed = true;
      return [];
    }
    if (trace.at(-1) === last) return [];
    const seen = last === undefined ? -1 : trace.lastIndexOf(last);
    return trace.slice(seen + 1);
  }
}

/** Only a message between two distinct members on the picture has somewhere to fly. */
function flies(message: TraceMessage, members: ReadonlySet<string>): boolean {
  return message.from !== message.to && members.has(message.from) && members.has(message.to);
}

/** Where a dot is at `now`, or null if it has not set off yet or has landed. */
export function dotFrame(dot: Dot, now: number): DotFrame | null {
  const age = now - dot.born;
  if (age < 0 || age >= FLIGHT_MS) return null;
  const progress = age / FLIGHT_MS;
  if (!dot.dropped) return { t: easeInOut(progress), opacity: 1, cross: 0 };
  if (progress < 0.5) return { t: 0.5 * easeInOut(progress * 2), opacity: 1, cross: 0 };
  const fade = (progress - 0.5) * 2;
  return { t: 0.5, opacity: 1 - fade, cross: 1 - fade * 0.5 };
}

function easeInOut(p: number): number {
  return p < 0.5 ? 2 * p * p : 1 - (-2 * p + 2) ** 2 / 2;
}
