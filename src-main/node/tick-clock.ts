/**
 * Protocol ticks from a monotonic clock: how many ticks of `tickMs` have passed since the last ask.
 *
 * A `setInterval` of `tickMs` is not a clock: while a turn applies a batch, a checkpoint flushes or the
 * process is stopped (SIGSTOP, a debugger, a starved VM), the callbacks that fall due are not queued
 * but merged into one. Counting callbacks as ticks made a busy replica's time run slow: a member
 * catching up after a sleep, doing 100 ms turns, counted one tick per turn, so its election timer took
 * ten times its length to notice a dead leader and it refused the survivors' pre-votes meanwhile (the
 * failover benchmark's laggard). Ticks are time, so the core's timeouts mean wall time.
 *
 * After a pause longer than `maxTicksPerAsk` ticks, the ticks beyond it are dropped: by then every
 * timeout of the core has expired (the longest, a follower's adaptive election timeout, is at most
 * (MAX_FACTOR + 1) * electionTicks), and replaying thousands of ticks would only repeat the same timers.
 *
 * Pure: the time is passed in. Invariant: due() never returns more than maxTicksPerAsk, and the sum of
 * what it returns never runs ahead of the time passed.
 */
import { assert } from '../core/assert';

export class TickClock {
  /** The time up to which ticks were handed out. */
  private countedUpToMs: number;

  constructor(
    private readonly tickMs: number,
    private readonly maxTicksPerAsk: number,
    startMs: number,
  ) {
    assert(tickMs > 0 && Number.isInteger(maxTicksPerAsk) && maxTicksPerAsk >= 1, 'a tick lasts some time and an ask may return at least one tick');
    this.countedUpToMs = startMs;
  }

  /** Ticks that passed since the last call (0 when the interval fired early). */
  due(nowMs: number): number {
    const ticks = Math.floor((nowMs - this.countedUpToMs) / this.tickMs);
    if (ticks <= 0) return 0;
    if (ticks > this.maxTicksPerAsk) {
      this.countedUpToMs = nowMs;
      return this.maxTicksPerAsk;
    }
    this.countedUpToMs += ticks * this.tickMs;
    return ticks;
  }
}
