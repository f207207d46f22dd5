import { describe, expect, it } from 'vitest';
import { TickClock } from './tick-clock';

describe('TickClock', () => {
  it('counts the ticks that passed, however late it is asked', () => {
    const clock = new TickClock(10, 100, 0);
    expect(clock.due(10)).toBe(1);
    expect(clock.due(155)).toBe(14); // a 145 ms turn: 14 ticks, 5 ms carried
    expect(clock.due(160)).toBe(1); // the carried 5 ms count towards the next tick
    expect(clock.due(161)).toBe(0); // an early callback
  });

  it('never runs ahead of the time passed', () => {
    const clock = new TickClock(10, 1_000, 0);
    let handed = 0;
    for (let now = 0; now <= 10_000; now += 7) {
      handed += clock.due(now);
      expect(handed * 10).toBeLessThanOrEqual(now);
      expect(now - handed * 10).toBeLessThan(10);
    }
  });

  it('drops the ticks of a long pause beyond the cap, then counts from the pause end', () => {
    const clock = new TickClock(10, 150, 0);
    expect(clock.due(17_000)).toBe(150); // SIGSTOPped for 17 s: every timeout expired once
    expect(clock.due(17_010)).toBe(1);
  });

  it('refuses a clock that cannot tick', () => {
    expect(() => new TickClock(0, 10, 0)).toThrow(/invariant/);
    expect(() => new TickClock(10, 0, 0)).toThrow(/invariant/);
  });
});
