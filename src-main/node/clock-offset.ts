/**
 * How far another machine's clock is from ours, measured NTP's way from request/reply round trips.
 *
 *   watcher  t0 ──── traceRequest ────▶ t1  member
 *            t3 ◀──── traceClock ─────── t2
 *
 * t0 and t3 are stamped by our clock, t1 and t2 by the member's. With θ the member's clock minus ours:
 *   t1 − θ ≥ t0   (the request arrived after it left)    ⇒ θ ≤ t1 − t0
 *   t2 − θ ≤ t3   (the reply arrived after it left)      ⇒ θ ≥ t2 − t3
 * so θ lies in [t2 − t3, t1 − t0]: its middle, ((t1 − t0) + (t2 − t3)) / 2, is the estimate and half its
 * width, rtt / 2 with rtt = (t3 − t0) − (t2 − t1), the uncertainty. Nothing is assumed about the two legs
 * being equally long: the interval holds however asymmetric they are, as long as each stamp is taken no
 * earlier than the arrival it marks (t1, t3) and no later than the departure it marks (t0, t2). Both
 * sides stamp conservatively for that reason (cluster-trace.ts).
 *
 * A measurement ages: two quartz clocks drift apart by up to MAX_DRIFT_PPM, so a sample's interval
 * widens by that much per millisecond since it was taken. The estimate is the sample whose interval is
 * narrowest now (NTP's clock filter: the shortest round trip usually had the least queueing). A new
 * sample whose interval does not meet an older one's (a clock was stepped: NTP daemon, the user) makes
 * the older ones worthless: they are forgotten.
 *
 * Pure: times are passed in (ms). Invariant: uncertaintyMs >= 0, and never less than half the round trip
 * of the sample it comes from.
 */

/** Samples kept per member (at the lease's 2 s renewal, the last 16 s). */
export const CLOCK_SAMPLES_KEPT = 8;
/**
 * Drift allowed between two clocks, in parts per million: ordinary crystals are within ±50 ppm each,
 * so two of them within 100 ppm.
 */
export const MAX_DRIFT_PPM = 100;

export interface ClockSample {
  /** Our clock when the sample was complete (t3). */
  readonly takenAt: number;
  readonly offsetMs: number;
  readonly rttMs: number;
}

export interface OffsetEstimate {
  /** The member's clock minus ours (θ): a member time minus this is our time. */
  readonly offsetMs: number;
  /** θ lies within offsetMs ± uncertaintyMs. */
  readonly uncertaintyMs: number;
}

export type SampleRejection = 'negative-rtt' | 'not-finite';

/** One exchange as a sample, or why it cannot be one (the member says it held the request longer than the round trip). */
export function sampleOf(t0: number, t1: number, t2: number, t3: number): ClockSample | SampleRejection {
  if (![t0, t1, t2, t3].every(Number.isFinite)) return 'not-finite';
  const rttMs = t3 - t0 - (t2 - t1);
  if (rttMs < 0) return 'negative-rtt';
  return { takenAt: t3, offsetMs: (t1 - t0 + (t2 - t3)) / 2, rttMs };
}

function halfWidthAt(sample: ClockSample, now: number): number {
  return sample.rttMs / 2 + (Math.max(0, now - sample.takenAt) * MAX_DRIFT_PPM) / 1e6;
}

export class ClockOffset {
  private samples: ClockSample[] = [];
  private rejected = 0;

  /** Adds the exchange (t0 sent, t1 received there, t2 answered there, t3 received here); false if it was unusable. */
  add(t0: number, t1: number, t2: number, t3: number): boolean {
    const sample = sampleOf(t0, t1, t2, t3);
    if (typeof sample === 'string') {
      this.rejected++;
      return false;
    }
    // A clock that was stepped: older samples describe a clock that no longer exists.
    this.samples = this.samples.filter((old) => Math.abs(old.offsetMs - sample.offsetMs) <= halfWidthAt(old, sample.takenAt) + sample.rttMs / 2);
    this.samples.push(sample);
    if (this.samples.length > CLOCK_SAMPLES_KEPT) this.samples.shift();
    return true;
  }

  /** The best estimate at `now` (our clock), or null before the first usable sample. */
  estimate(now: number): OffsetEstimate | null {
    let best: OffsetEstimate | null = null;
    for (const sample of this.samples) {
      const uncertaintyMs = halfWidthAt(sample, now);
      if (best === null || uncertaintyMs < best.uncertaintyMs) best = { offsetMs: sample.offsetMs, uncertaintyMs };
    }
    return best;
  }

  /** Exchanges that could not be used (see sampleOf). */
  get rejectedSamples(): number {
    return this.rejected;
  }
}
