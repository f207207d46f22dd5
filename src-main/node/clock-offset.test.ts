import { describe, expect, it } from 'vitest';
import { ClockOffset, CLOCK_SAMPLES_KEPT, MAX_DRIFT_PPM, sampleOf } from './clock-offset';

/** One exchange between us and a member whose clock is `theta` ms ahead, with the given leg delays and hold time. */
function exchange(t0: number, theta: number, outMs: number, holdMs: number, backMs: number): [number, number, number, number] {
  const t1 = t0 + outMs + theta;
  const t2 = t1 + holdMs;
  const t3 = t2 - theta + backMs;
  return [t0, t1, t2, t3];
}

describe('sampleOf (NTP: offset = ((t1 - t0) + (t2 - t3)) / 2, ± rtt / 2)', () => {
  it('finds the offset exactly when both legs take as long, whatever the member held the request', () => {
    expect(sampleOf(...exchange(1_000, 250, 3, 40, 3))).toEqual({ takenAt: 1_046, offsetMs: 250, rttMs: 6 });
    expect(sampleOf(...exchange(1_000, -5_000, 1, 0, 1))).toMatchObject({ offsetMs: -5_000, rttMs: 2 });
  });

  it('keeps the true offset within ± rtt / 2 however asymmetric the legs are', () => {
    for (const [outMs, backMs] of [[0, 10], [10, 0], [7, 1], [1, 9]] as const) {
      const sample = sampleOf(...exchange(5_000, 123, outMs, 2, backMs));
      if (typeof sample === 'string') throw new Error(sample);
      expect(sample.rttMs).toBe(outMs + backMs);
      expect(Math.abs(sample.offsetMs - 123)).toBeLessThanOrEqual(sample.rttMs / 2);
    }
  });

  it('rejects a member that says it held the request longer than the round trip took', () => {
    expect(sampleOf(0, 10, 30, 5)).toBe('negative-rtt');
    expect(sampleOf(0, Number.NaN, 1, 2)).toBe('not-finite');
  });
});

describe('ClockOffset', () => {
  it('has no estimate before a usable sample, and counts the unusable ones', () => {
    const clock = new ClockOffset();
    expect(clock.estimate(0)).toBeNull();
    expect(clock.add(0, 10, 30, 5)).toBe(false);
    expect(clock.rejectedSamples).toBe(1);
    expect(clock.estimate(0)).toBeNull();
  });

  it('uses the sample with the shortest round trip, and widens it by the drift since', () => {
    const clock = new ClockOffset();
    clock.add(...exchange(0, 100, 20, 1, 20)); // rtt 40
    clock.add(...exchange(2_000, 100, 1, 1, 2)); // rtt 3, off by 0.5
    clock.add(...exchange(4_000, 100, 15, 1, 5)); // rtt 20
    const now = 4_021;
    const estimate = clock.estimate(now);
    expect(estimate?.offsetMs).toBe(99.5);
    expect(estimate?.uncertaintyMs).toBeCloseTo(1.5 + ((now - 2_004) * MAX_DRIFT_PPM) / 1e6, 9);
    // The true offset is inside, and a minute later the claim is wider, never narrower.
    expect(Math.abs((estimate?.offsetMs ?? 0) - 100)).toBeLessThanOrEqual(estimate?.uncertaintyMs ?? 0);
    expect(clock.estimate(now + 60_000)?.uncertaintyMs).toBeGreaterThan(estimate?.uncertaintyMs ?? Infinity);
  });

  it('forgets the samples of a clock that was stepped', () => {
    const clock = new ClockOffset();
    clock.add(...exchange(0, 100, 1, 0, 1)); // narrow: ± 1 around 100
    clock.add(...exchange(2_000, 900, 5, 0, 5)); // the member's clock jumped 800 ms ahead
    expect(clock.estimate(2_100)?.offsetMs).toBe(900);
  });

  it('keeps a bounded number of samples', () => {
    const clock = new ClockOffset();
    clock.add(...exchange(0, 0, 0, 0, 0)); // the best of all, but it will be pushed out
    for (let i = 1; i <= CLOCK_SAMPLES_KEPT; i++) clock.add(...exchange(i * 2_000, 0, 5, 0, 5));
    expect(clock.estimate(20_000)?.uncertaintyMs).toBeGreaterThanOrEqual(5);
  });
});
