/**
 * Replay of the recording (features/recording): a position in recorded time that plays at 1×, 1/10 or
 * 1/100 of real time, pauses, steps from message to message and returns to live. While it plays, each
 * message the position passes is handed to `onLaunch` with the page-clock time its dot should set off,
 * so the Cluster diagram animates the replay instead of the live trace.
 *
 * The position is a time plus a count of the messages at exactly that time that are behind it, since a
 * leader sends the same accept to every follower in one millisecond and stepping must show each one:
 *   passed = (messages before `position`) + min(`tie`, messages at `position`)
 * Seeking and playing pass every message at the new time (`tie` = Infinity); stepping passes one more or
 * one fewer. Time, not an index, is what is kept, so the position survives new messages arriving, old
 * ones being evicted and heartbeats being hidden or shown.
 *
 * Time is injected (`now`, the page's clock, performance.now() by default) and the playback timer is a
 * plain setInterval, so tests drive both with fake timers.
 */
import { oneSidePerMessage } from '../recording/pairing';
import type { RecordedMessage } from '../recording/trace-recorder.svelte';
import type { Flight } from './trace-animator.svelte';

export type Speed = 1 | 0.1 | 0.01;

export const SPEEDS: readonly { readonly value: Speed; readonly label: string }[] = [
  { value: 1, label: '1×' },
  { value: 0.1, label: '1/10' },
  { value: 0.01, label: '1/100' },
];

/** Playback moves the position 20 times a second: smooth enough for the slider; dots animate on their own frames. */
export const TICK_MS = 50;

export interface ReplayOptions {
  /** The page's clock in ms (the one the dots' `born` times use). */
  readonly now?: () => number;
  /** Messages the position just passed, to animate. */
  readonly onLaunch?: (flights: readonly Flight[]) => void;
}

export class ReplayController {
  mode = $state<'live' | 'replay'>('live');
  playing = $state(false);
  speed = $state<Speed>(1);
  /** Heartbeats (idle commits and their acks) and pings are most of the traffic and none of the story. */
  hideHeartbeats = $state(true);
  /** Recorded time (wall-clock ms at the observer); meaningful only while replaying. */
  position = $state(0);
  #tie = $state(Infinity);

  /** What can be replayed: each message once, heartbeats hidden if asked, in time order. */
  readonly visible = $derived.by(() => {
    const hide = this.hideHeartbeats;
    // One pass over up to 50,000 messages whenever the recording changes (several times a second).
    return hide ? this.source().filter((m) => !m.echo && !m.heartbeat) : oneSidePerMessage(this.source());
  });
  readonly start = $derived(this.visible[0]?.at ?? null);
  readonly end = $derived(this.visible.at(-1)?.at ?? null);
  /** Where the slider stands: the end while live, else the position kept within the recording. */
  readonly shown = $derived(this.mode === 'live' ? this.end : this.#clamp(this.position));
  /** How many of `visible` are behind the position. */
  readonly passed = $derived.by(() => {
    if (this.mode === 'live') return this.visible.length;
    const before = lowerBound(this.visible, this.position);
    return Math.min(before + this.#tie, upperBound(this.visible, this.position));
  });
  /** The last message behind the position (the one a step showed), or null. */
  readonly current = $derived(this.visible[this.passed - 1] ?? null);
  /**
   * How many of the whole recording (heartbeats and echoes too) are behind the position: what the
   * replayed moment is derived from (replay-moment.svelte.ts), so that hiding heartbeats does not change
   * it. Those at the position's own time count up to `current` when a step put the position there.
   */
  readonly recordedPassed = $derived.by(() => {
    const all = this.source();
    if (this.mode === 'live') return all.length;
    if (this.#tie === Infinity) return upperBound(all, this.position);
    const current = this.current;
    const before = lowerBound(all, this.position);
    if (current === null) return before;
    // `visible` holds the recording's own objects: find `current` among those at its time.
    let index = lowerBound(all, current.at);
    while (index < all.length && all[index] !== current) index++;
    return index < all.length ? Math.max(before, index + 1) : upperBound(all, this.position);
  });

  readonly #now: () => number;
  readonly #onLaunch: (flights: readonly Flight[]) => void;
  #timer: ReturnType<typeof setInterval> | null = null;
  #lastTick = 0;

  constructor(
    private readonly source: () => readonly RecordedMessage[],
    options: ReplayOptions = {},
  ) {
    this.#now = options.now ?? (() => performance.now());
    this.#onLaunch = options.onLaunch ?? (() => undefined);
  }

  /** Stops following live at the newest message (or stops playing); nothing happens on an empty recording. */
  pause(): void {
    if (!this.#enter()) return;
    this.#stopTimer();
    this.playing = false;
  }

  /** Plays from the position; from the very end, plays the recording again from its start. */
  play(): void {
    if (this.mode === 'live' || this.start === null) return;
    if (this.passed >= this.visible.length) {
      this.position = this.start;
      this.#tie = 0;
    }
    this.playing = true;
    this.#lastTick = this.#now();
    this.#stopTimer();
    this.#timer = setInterval(() => this.tick(), TICK_MS);
  }

  togglePlay(): void {
    if (this.mode === 'replay' && !this.playing) this.play();
    else this.pause();
  }

  setSpeed(speed: Speed): void {
    this.speed = speed;
  }

  /**
   * Moves to a recorded time (kept within the recording); playback, if on, goes on from there. The
   * start itself means before the first message, so that stepping from there shows it.
   */
  seek(at: number): void {
    if (!this.#enter()) return;
    this.position = this.#clamp(at);
    this.#tie = this.start !== null && at <= this.start ? 0 : Infinity;
    this.#lastTick = this.#now();
  }

  /** Pauses and moves just past the next message, which flies. */
  stepNext(): void {
    if (this.mode === 'live') return;
    this.pause();
    const next = this.visible[this.passed];
    if (next === undefined) return;
    this.#passTo(this.passed + 1, next);
    this.#onLaunch([{ message: next, born: this.#now() }]);
  }

  /** Pauses and moves back one message: the one before the current one becomes current, and flies again. */
  stepPrevious(): void {
    if (!this.#enter()) return;
    this.pause();
    const passed = this.passed;
    if (passed === 0) return;
    const current = this.visible[passed - 2];
    if (current === undefined) {
      // Back before the first message: nothing is current.
      this.position = (this.visible[0] as RecordedMessage).at;
      this.#tie = 0;
      return;
    }
    this.#passTo(passed - 1, current);
    this.#onLaunch([{ message: current, born: this.#now() }]);
  }

  /** Back to real time: the diagram shows live messages again. */
  live(): void {
    this.#stopTimer();
    this.playing = false;
    this.mode = 'live';
  }

  /** One playback step: moves the position by the time elapsed times the speed, launching what it passes. */
  tick(): void {
    if (!this.playing || this.start === null || this.end === null) return;
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#lastTick);
    this.#lastTick = now;
    const from = this.passed;
    const to = Math.min(this.end, this.#clamp(this.position) + elapsed * this.speed);
    const until = upperBound(this.visible, to);
    const flights = this.visible.slice(from, until).map((message) => ({ message, born: now - (to - message.at) / this.speed }));
    this.position = to;
    this.#tie = Infinity;
    if (flights.length > 0) this.#onLaunch(flights);
    if (to >= this.end) this.pause();
  }

  dispose(): void {
    this.#stopTimer();
  }

  /** Enters replay at the newest message if live; false when there is nothing to replay. */
  #enter(): boolean {
    if (this.end === null) return false;
    if (this.mode === 'live') {
      this.position = this.end;
      this.#tie = Infinity;
      this.mode = 'replay';
    }
    return true;
  }

  /** Puts the position on `message` with exactly `passed` messages behind it. */
  #passTo(passed: number, message: RecordedMessage): void {
    this.position = message.at;
    this.#tie = passed - lowerBound(this.visible, message.at);
  }

  #clamp(at: number): number {
    if (this.start === null || this.end === null) return at;
    return Math.min(this.end, Math.max(this.start, at));
  }

  #stopTimer(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/** The index of the first message at or after `at` (messages sorted by time). */
function lowerBound(messages: readonly RecordedMessage[], at: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((messages[mid] as RecordedMessage).at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the first message after `at`. */
function upperBound(messages: readonly RecordedMessage[], at: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((messages[mid] as RecordedMessage).at <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
