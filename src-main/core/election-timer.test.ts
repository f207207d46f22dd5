import { describe, expect, it } from 'vitest';
import { ElectionTimer, MAX_FACTOR } from './election-timer';
import { seededRandom } from './random';

function ticksUntilTimeout(timer: ElectionTimer): number {
  for (let ticks = 1; ticks < 10_000; ticks++) if (timer.tick()) return ticks;
  throw new Error('never timed out');
}

describe('ElectionTimer', () => {
  it('times out within [min, 2 * min) while the leader heartbeats regularly', () => {
    const timer = new ElectionTimer(30, seededRandom(1));
    for (let beat = 0; beat < 100; beat++) {
      timer.tick();
      timer.tick();
      timer.heardFromLeader();
    }
    expect(timer.thresholdTicks).toBe(30);
    const ticks = ticksUntilTimeout(timer);
    expect(ticks).toBeGreaterThanOrEqual(30);
    expect(ticks).toBeLessThan(60);
  });

  it('tolerates a leader that stalls: gaps it saw raise the timeout, and fade later', () => {
    const timer = new ElectionTimer(30, seededRandom(2));
    for (let i = 0; i < 28; i++) expect(timer.tick()).toBe(false);
    timer.heardFromLeader();
    expect(timer.thresholdTicks).toBe(56);
    for (let i = 0; i < 40; i++) expect(timer.tick()).toBe(false);
    timer.heardFromLeader();
    expect(timer.thresholdTicks).toBe(80);
    expect(ticksUntilTimeout(timer)).toBeGreaterThanOrEqual(80);
    timer.reset(); // the follower campaigned; a new leader's heartbeats follow
    // Two thousand ticks of regular heartbeats later, the minimum is back.
    for (let beat = 0; beat < 1_000; beat++) {
      timer.tick();
      timer.tick();
      timer.heardFromLeader();
    }
    expect(timer.thresholdTicks).toBe(30);
  });

  it(`never waits more than ${MAX_FACTOR} times the minimum, so a crashed leader is always replaced`, () => {
    const timer = new ElectionTimer(30, seededRandom(3));
    for (let i = 0; i < 1_000; i++) timer.tick();
    timer.heardFromLeader();
    expect(timer.thresholdTicks).toBe(MAX_FACTOR * 30);
    expect(ticksUntilTimeout(timer)).toBeLessThan(MAX_FACTOR * 30 + 30);
  });
});
