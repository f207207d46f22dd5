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

  it('learns a silence that outlasted the timeout once the same leader speaks again, within the longest useful gap', () => {
    const timer = new ElectionTimer(30, seededRandom(4));
    const timedOutAfter = ticksUntilTimeout(timer);
    timer.reset(); // the follower asks for pre-votes and is refused
    for (let i = 0; i < 5; i++) timer.tick();
    timer.heardFromLeader();
    expect(timer.thresholdTicks).toBe(2 * (timedOutAfter + 5));
    // A follower cut off for minutes learns no more than what gives the longest timeout, which fades.
    const cutOff = new ElectionTimer(30, seededRandom(5));
    for (let i = 0; i < 60_000; i++) if (cutOff.tick()) cutOff.reset();
    cutOff.heardFromLeader();
    expect(cutOff.thresholdTicks).toBe(MAX_FACTOR * 30);
    for (let beat = 0; beat < 1_000; beat++) {
      cutOff.tick();
      cutOff.tick();
      cutOff.heardFromLeader();
    }
    expect(cutOff.thresholdTicks).toBe(30);
  });

  it('counts a new leader\'s gaps from when it is first followed, not the old one\'s silence', () => {
    const timer = new ElectionTimer(30, seededRandom(6));
    for (let i = 0; i < 50; i++) timer.tick();
    timer.followNewLeader();
    timer.tick();
    timer.heardFromLeader();
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
