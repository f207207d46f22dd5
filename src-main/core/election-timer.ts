/**
 * Failure detection: a follower that hears nothing from a leader for a randomized timeout starts an
 * election. Randomizing each wait over `minTicks` more ticks makes simultaneous candidates (dueling)
 * unlikely; a preempted candidate draws a fresh wait, which is its back-off.
 *
 * The timeout adapts to the leader it follows (in the spirit of TCP's retransmission timeout): a
 * leader on a saturated machine stalls now and then (garbage collection, a checkpoint's export, a
 * process starved of CPU), and a follower that saw gaps of g ticks between its messages waits at least
 * GAP_FACTOR * g (twice g) before it campaigns, up to MAX_FACTOR * minTicks. A healthy leader's gaps are a
 * heartbeat, so an idle or lightly loaded cluster keeps the minimum and fails over fast; a loaded one
 * stops deposing a leader that is merely slow. Old gaps fade (GAP_DECAY_PER_TICK), so one bad second is
 * forgotten within half a minute of 10 ms ticks.
 *
 * A gap is the silence since the followed leader was last heard, whatever happened meanwhile: when a
 * stall outlasts the timeout, the follower asks for pre-votes (which resets the wait) and is refused,
 * and when that leader speaks again the whole silence is learned. Those are the gaps that matter most;
 * measured from the pre-vote instead, they would never be learned. A gap counts for at most what gives
 * the longest timeout, so a follower cut off for minutes does not keep a long timeout for an hour.
 *
 * Invariant: minTicks <= thresholdTicks <= MAX_FACTOR * minTicks, and every drawn timeout is in
 * [thresholdTicks, thresholdTicks + minTicks).
 */
import { randomInt, type RandomSource } from './random';

/** A follower tolerates gaps this many times longer than the longest it saw lately. */
const GAP_FACTOR = 2;
/** The adaptive timeout never exceeds this many times the minimum (it bounds failover after a crash). */
export const MAX_FACTOR = 4;
/** The remembered gap shrinks by this many ticks per tick. */
const GAP_DECAY_PER_TICK = 1 / 30;

export class ElectionTimer {
  private elapsedTicks = 0;
  private timeoutTicks: number;
  /** The longest recent gap between messages of the followed leader, fading over time. */
  private recentGapTicks = 0;
  /** Ticks since the followed leader was last heard from (reset() leaves it alone). */
  private silenceTicks = 0;

  constructor(
    private readonly minTicks: number,
    private readonly rng: RandomSource,
  ) {
    this.timeoutTicks = this.draw();
  }

  /** Ticks since the last reset (since the leader was last heard from, for a follower). */
  get elapsed(): number {
    return this.elapsedTicks;
  }

  /** How long a silence must last before this follower considers the leader gone. */
  get thresholdTicks(): number {
    return Math.min(MAX_FACTOR * this.minTicks, Math.max(this.minTicks, Math.ceil(GAP_FACTOR * this.recentGapTicks)));
  }

  /** The followed leader was heard from: the silence that just ended is one of its gaps. */
  heardFromLeader(): void {
    const longestUseful = (MAX_FACTOR * this.minTicks) / GAP_FACTOR;
    this.recentGapTicks = Math.max(this.recentGapTicks, Math.min(this.silenceTicks, longestUseful));
    this.silenceTicks = 0;
    this.reset();
  }

  /** Another leader is followed from now on: its gaps are yet to be seen. */
  followNewLeader(): void {
    this.silenceTicks = 0;
    this.reset();
  }

  reset(): void {
    this.elapsedTicks = 0;
    this.timeoutTicks = this.draw();
  }

  /** Advances one tick; returns true when the timeout expired (the caller acts and resets). */
  tick(): boolean {
    this.elapsedTicks++;
    this.silenceTicks++;
    this.recentGapTicks = Math.max(0, this.recentGapTicks - GAP_DECAY_PER_TICK);
    return this.elapsedTicks >= this.timeoutTicks;
  }

  private draw(): number {
    return this.thresholdTicks + randomInt(this.rng, this.minTicks);
  }
}
