/**
 * Failure detection: a follower that hears nothing from a leader for a randomized timeout starts an
 * election. Randomizing each wait in [base, 2 * base) makes simultaneous candidates (dueling) unlikely;
 * a preempted candidate draws a fresh wait, which is its back-off.
 */
import { randomInt, type RandomSource } from './random';

export class ElectionTimer {
  private elapsedTicks = 0;
  private timeoutTicks: number;

  constructor(
    private readonly baseTicks: number,
    private readonly rng: RandomSource,
  ) {
    this.timeoutTicks = this.draw();
  }

  /** Ticks since the last reset (since the leader was last heard from, for a follower). */
  get elapsed(): number {
    return this.elapsedTicks;
  }

  reset(): void {
    this.elapsedTicks = 0;
    this.timeoutTicks = this.draw();
  }

  /** Advances one tick; returns true when the timeout expired (the caller acts and resets). */
  tick(): boolean {
    this.elapsedTicks++;
    return this.elapsedTicks >= this.timeoutTicks;
  }

  private draw(): number {
    return this.baseTicks + randomInt(this.rng, this.baseTicks);
  }
}
