import { describe, expect, it } from 'vitest';
import { FreshnessFilter, MAX_RATE_DIFFERENCE, REBASE_AFTER_MS } from './freshness';

/** A sender whose clock reads `offsetMs` more than ours, heard over a link of `latencyMs`. */
function link(filter: FreshnessFilter, offsetMs: number, latencyMs = 1, sender = 'n1', epoch = 1) {
  return (sentAtOurMs: number, readAtMs = sentAtOurMs + latencyMs): boolean => filter.isFresh(sender, epoch, (sentAtOurMs + offsetMs) % 0x1_0000_0000, readAtMs);
}

describe('FreshnessFilter', () => {
  it('drops the backlog a stopped process reads on resuming, then takes fresh datagrams again', () => {
    const filter = new FreshnessFilter(3_000);
    const fromN1 = link(filter, 5_000_000);
    for (let t = 0; t < 1_000; t += 10) expect(fromN1(t)).toBe(true);
    // Stopped at 1 s for 17 s: the buffer holds what was sent in the first 2 s of the pause, read at 18 s.
    for (let t = 1_000; t < 3_000; t += 5) expect(fromN1(t, 18_000 + (t - 1_000) / 100)).toBe(false);
    expect(fromN1(18_100)).toBe(true); // sent after the resume
  });

  it('tells how long each datagram waited beyond the fastest delivery', () => {
    const filter = new FreshnessFilter(3_000);
    expect(filter.ageOf('n1', 1, 1_000, 50)).toBe(0); // the first: nothing to compare with
    expect(filter.ageOf('n1', 1, 1_010, 60)).toBe(0);
    expect(filter.ageOf('n1', 1, 1_020, 570)).toBeCloseTo(500, -1); // read during a 500 ms turn (less the drift allowance)
    expect(filter.ageOf('n1', 1, 1_030, 75)).toBe(0); // faster than any before: the new baseline
    expect(filter.ageOf('n1', 1, 1_040, 4_090)).toBeNull();
  });

  it('keeps what a busy reader takes up to the bound late', () => {
    const filter = new FreshnessFilter(3_000);
    const fromN1 = link(filter, -42);
    expect(fromN1(0)).toBe(true);
    expect(fromN1(100, 2_900)).toBe(true); // read 2.8 s late: a long turn, not a pause
    expect(fromN1(200, 3_300)).toBe(false);
  });

  it('follows drift: a sender whose clock runs slower by the allowed rate never looks stale', () => {
    const filter = new FreshnessFilter(100);
    const dayMs = 86_400_000;
    for (let t = 0; t <= dayMs; t += 60_000) {
      const sentAt = t * (1 - MAX_RATE_DIFFERENCE); // its clock falls behind ours by 86 s over the day
      expect(filter.isFresh('n1', 1, sentAt, t + 1)).toBe(true);
    }
  });

  it('takes a new baseline when the sender clock jumped (its machine slept), after a bounded run of drops', () => {
    const filter = new FreshnessFilter(3_000);
    expect(filter.isFresh('n1', 1, 1_000, 1_000)).toBe(true);
    // The sender slept an hour: its monotonic clock stood still while ours ran.
    const jumpMs = 3_600_000;
    const results: boolean[] = [];
    for (let t = 0; t <= REBASE_AFTER_MS + 200; t += 50) results.push(filter.isFresh('n1', 1, 1_100 + t, 1_100 + jumpMs + t));
    expect(results[0]).toBe(false);
    expect(results.at(-1)).toBe(true);
    expect(results.filter((fresh) => !fresh).length).toBeLessThanOrEqual(REBASE_AFTER_MS / 50 + 2);
  });

  it('does not rebase on a backlog read in a burst, however long the span it was sent over', () => {
    const filter = new FreshnessFilter(3_000);
    expect(filter.isFresh('n1', 1, 0, 0)).toBe(true);
    // 5 s of sending, read within 50 ms, 20 s later.
    for (let i = 0; i < 500; i++) expect(filter.isFresh('n1', 1, i * 10, 20_000 + i / 10)).toBe(false);
  });

  it('handles the sender clock wrapping at 2^32 ms', () => {
    const filter = new FreshnessFilter(3_000);
    const near = 0x1_0000_0000 - 500;
    for (let t = 0; t < 1_000; t += 10) expect(filter.isFresh('n1', 1, (near + t) % 0x1_0000_0000, 7 + t)).toBe(true);
    expect(filter.isFresh('n1', 1, (near + 1_000) % 0x1_0000_0000, 7 + 10_000)).toBe(false);
  });

  it('starts afresh with a new process life of the sender, and does not judge an older one', () => {
    const filter = new FreshnessFilter(3_000);
    expect(filter.isFresh('n1', 1, 0, 0)).toBe(true);
    expect(filter.isFresh('n1', 2, 0, 60_000)).toBe(true); // restarted: its clock began again
    expect(filter.isFresh('n1', 2, 10, 60_010)).toBe(true);
    expect(filter.isFresh('n1', 1, 5, 60_020)).toBe(true); // a late datagram of its previous life
  });

  it('judges nothing when the bound is infinite', () => {
    const filter = new FreshnessFilter(Infinity);
    expect(filter.isFresh('n1', 1, 0, 0)).toBe(true);
    expect(filter.isFresh('n1', 1, 0, 1e9)).toBe(true);
  });
});
