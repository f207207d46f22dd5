import { describe, expect, it } from 'vitest';
import { circleLayout, kindOf } from './members';
import { latencySeries, linePath, niceMax, summarize, throughputSeries } from './series';

const sample = (at: number, commandsApplied: number, commitLatencyMs: number | null = null) => ({ at, commitIndex: 0, commandsApplied, commitLatencyMs });

describe('series', () => {
  it('derives commands per second from consecutive samples, with a gap after a restart', () => {
    expect(throughputSeries([sample(0, 10), sample(1_000, 30), sample(3_000, 50), sample(3_000, 60), sample(4_000, 5)])).toEqual([
      { at: 1_000, value: 20 },
      { at: 3_000, value: 10 },
      { at: 4_000, value: null },
    ]);
    expect(latencySeries([sample(0, 0, 5), sample(1, 0)])).toEqual([
      { at: 0, value: 5 },
      { at: 1, value: null },
    ]);
  });

  it('scales, summarizes and draws', () => {
    expect([0, 0.3, 1, 7, 12, 99, 101].map(niceMax)).toEqual([1, 0.5, 1, 10, 20, 100, 200]);
    expect(summarize([{ at: 0, value: 2 }, { at: 1, value: null }, { at: 2, value: 4 }])).toEqual({ latest: 4, peak: 4, average: 3 });
    expect(summarize([])).toEqual({ latest: null, peak: null, average: null });
    const box = { x: 0, y: 0, width: 100, height: 10 };
    expect(linePath([{ at: 0, value: 0 }, { at: 5, value: 10 }, { at: 7, value: null }, { at: 10, value: 5 }], box, { from: 0, to: 10 }, 10)).toBe('M0.0 10.0 L50.0 0.0 M100.0 5.0');
  });
});

describe('layout and colors', () => {
  it('lays members out on a circle from the top, clockwise', () => {
    expect(circleLayout(1, { x: 5, y: 5 }, 3)).toEqual([{ x: 5, y: 5 }]);
    expect(circleLayout(4, { x: 0, y: 0 }, 10)).toEqual([
      { x: 0, y: -10 },
      { x: 10, y: 0 },
      { x: 0, y: 10 },
      { x: -10, y: 0 },
    ]);
  });

  it('colors', () => {
    expect(kindOf('commit')).toBe('commit');
    expect(kindOf('ping')).toBe('other');
  });
});
