import { describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from '../core/random';
import { REPLAY_WINDOW_COUNTERS, ReplayWindow } from './replay-window';

/** The specification, with unbounded memory: what the window must agree with. */
class ModelWindow {
  epoch = -1;
  highest = -1;
  seen = new Set<number>();

  mayAccept(epoch: number, counter: number): boolean {
    if (epoch !== this.epoch) return epoch > this.epoch;
    if (counter <= this.highest - REPLAY_WINDOW_COUNTERS) return false;
    return !this.seen.has(counter);
  }

  record(epoch: number, counter: number): void {
    if (epoch > this.epoch) {
      this.epoch = epoch;
      this.highest = -1;
      this.seen.clear();
    }
    this.highest = Math.max(this.highest, counter);
    this.seen.add(counter);
  }
}

describe('ReplayWindow', () => {
  it('accepts fresh counters once', () => {
    const w = new ReplayWindow();
    expect(w.mayAccept(1, 0)).toBe(true);
    w.record(1, 0);
    expect(w.mayAccept(1, 0)).toBe(false);
    expect(w.mayAccept(1, 5)).toBe(true);
    w.record(1, 5);
    expect(w.mayAccept(1, 3)).toBe(true);
    expect(w.mayAccept(0, 100)).toBe(false);
    expect(w.mayAccept(2, 0)).toBe(true);
  });

  it('slides: the window holds exactly the last REPLAY_WINDOW_COUNTERS counters', () => {
    const w = new ReplayWindow();
    w.record(1, 10_000);
    expect(w.mayAccept(1, 10_000 - REPLAY_WINDOW_COUNTERS)).toBe(false);
    expect(w.mayAccept(1, 10_000 - REPLAY_WINDOW_COUNTERS + 1)).toBe(true);
    w.record(1, 10_000 - 1);
    w.record(1, 10_000 + 2 * REPLAY_WINDOW_COUNTERS);
    // A jump past the whole window forgets every old bit.
    expect(w.mayAccept(1, 10_000 + REPLAY_WINDOW_COUNTERS + 1)).toBe(true);
    expect(w.mayAccept(1, 10_000 + 2 * REPLAY_WINDOW_COUNTERS)).toBe(false);
  });

  it('rejects epochs below its floor, and a raised floor holds even for the current epoch', () => {
    const w = new ReplayWindow(10);
    expect(w.floor).toBe(10);
    expect(w.mayAccept(9, 0)).toBe(false);
    expect(w.mayAccept(10, 0)).toBe(true);
    w.record(10, 0);
    expect(w.newestEpoch).toBe(10);
    expect(w.mayAccept(10, 1)).toBe(true);
    w.raiseFloor(11);
    expect(w.mayAccept(10, 1)).toBe(false);
    expect(w.mayAccept(11, 0)).toBe(true);
    w.raiseFloor(5);
    expect(w.floor).toBe(11);
  });

  it('agrees with an unbounded model on random traffic', () => {
    const rng = seededRandom(17);
    for (let run = 0; run < 20; run++) {
      const w = new ReplayWindow();
      const model = new ModelWindow();
      let epoch = 1;
      let front = 0;
      for (let i = 0; i < 5000; i++) {
        if (rng.next() < 0.002) epoch += rng.next() < 0.8 ? 1 : -1;
        // Mostly near the front, sometimes far behind, sometimes a jump ahead.
        const r = rng.next();
        const counter = r < 0.05 ? front + randomInt(rng, 3 * REPLAY_WINDOW_COUNTERS) : Math.max(0, front - randomInt(rng, r < 0.9 ? 64 : 2 * REPLAY_WINDOW_COUNTERS));
        front = Math.max(front, counter + 1);
        const expected = model.mayAccept(epoch, counter);
        // Compared by hand: expect() on every step would dominate the run time.
        if (w.mayAccept(epoch, counter) !== expected) expect.fail(`run ${run} step ${i}: (${epoch}, ${counter}) should ${expected ? '' : 'not '}be accepted`);
        if (expected && rng.next() < 0.9) {
          w.record(epoch, counter);
          model.record(epoch, counter);
        }
      }
    }
  }, 30_000);
});
