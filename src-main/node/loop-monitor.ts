/**
 * Measures how long the event loop was held back (perf_hooks.monitorEventLoopDelay): a stall delays
 * heartbeats and answers, and a stall longer than the election timeout would let followers depose a
 * healthy leader. The figures cover a sliding window of recent intervals, so status shows what happens
 * now, not since start, and the election timeout can be checked against what this machine does.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoopDelay {
  /** The longest stall seen in the window (ms). */
  readonly maxMs: number;
  /** 99th percentile of the delay in the window (ms). */
  readonly p99Ms: number;
}

const NANOSECONDS_PER_MS = 1e6;

export class LoopMonitor {
  private readonly histogram: IntervalHistogram;
  /** Figures of the last completed intervals, newest last. */
  private readonly recent: LoopDelay[] = [];

  constructor(
    /** How many rotate() intervals the window spans. */
    private readonly windowIntervals: number,
    resolutionMs = 10,
  ) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  /** Closes the current interval (call it periodically); returns that interval's figures. */
  rotate(): LoopDelay {
    const interval = this.current();
    this.histogram.reset();
    this.recent.push(interval);
    if (this.recent.length > this.windowIntervals) this.recent.shift();
    return interval;
  }

  /** The window's figures, the running interval included. */
  delay(): LoopDelay {
    let maxMs = 0;
    let p99Ms = 0;
    for (const interval of [...this.recent, this.current()]) {
      maxMs = Math.max(maxMs, interval.maxMs);
      p99Ms = Math.max(p99Ms, interval.p99Ms);
    }
    return { maxMs, p99Ms };
  }

  stop(): void {
    this.histogram.disable();
  }

  private current(): LoopDelay {
    // An empty histogram reports huge sentinels: no sample yet means no delay measured.
    if (this.histogram.count === 0) return { maxMs: 0, p99Ms: 0 };
    return { maxMs: Math.round(this.histogram.max / NANOSECONDS_PER_MS), p99Ms: Math.round(this.histogram.percentile(99) / NANOSECONDS_PER_MS) };
  }
}
