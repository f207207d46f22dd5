/**
 * How long this (the fuzzer's) event loop was held back, by time: a probe that answered slowly because
 * the fuzzer itself was busy must not be blamed on the node it probed.
 */
const TICK_MS = 10;
/** Lag samples kept: a few seconds' worth, enough to cover any probe's round trip. */
const KEPT_SAMPLES = 1_000;

interface LagSample {
  /** performance.now() when the late tick ran. */
  readonly atMs: number;
  readonly lagMs: number;
}

export class OwnLagMonitor {
  private readonly samples: LagSample[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private expectedAtMs = 0;

  start(): void {
    this.expectedAtMs = performance.now() + TICK_MS;
    this.timer = setInterval(() => {
      const now = performance.now();
      const lagMs = now - this.expectedAtMs;
      this.expectedAtMs = now + TICK_MS;
      if (lagMs < 1) return;
      this.samples.push({ atMs: now, lagMs });
      if (this.samples.length > KEPT_SAMPLES) this.samples.shift();
    }, TICK_MS);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Milliseconds this loop lost between `fromMs` and `toMs` (performance.now() times). */
  lagBetween(fromMs: number, toMs: number): number {
    let total = 0;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const sample = this.samples[i] as LagSample;
      if (sample.atMs < fromMs) break;
      // The loop was blocked during [atMs - lagMs, atMs]: count the part that overlaps the window.
      total += Math.max(0, Math.min(sample.atMs, toMs) - Math.max(sample.atMs - sample.lagMs, fromMs));
    }
    return total;
  }
}
