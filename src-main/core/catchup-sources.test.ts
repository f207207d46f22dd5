import { describe, expect, it } from 'vitest';
import { CatchupSources, PATIENCE_TICKS } from './catchup-sources';

describe('CatchupSources', () => {
  it('catches up from the peer that claims the most, and a restarted peer\'s lower claim replaces its old one', () => {
    const sources = new CatchupSources(Infinity);
    sources.note('b', 50, 0);
    sources.note('c', 80, 0);
    expect(sources.select(10, 0)).toEqual({ peer: 'c', commitIndex: 80 });
    sources.note('c', 30, 0);
    expect(sources.select(10, 1)).toEqual({ peer: 'b', commitIndex: 50 });
    expect(sources.select(60, 2)).toBeNull();
  });

  it('benches a peer that claims to be far ahead but lets nothing through, and falls back to the next claim', () => {
    const sources = new CatchupSources(Infinity);
    sources.note('leader', 219, 0);
    sources.note('liar', 2 ** 50, 0);
    expect(sources.select(214, 0)?.peer).toBe('liar');
    expect(sources.select(214, PATIENCE_TICKS - 1)?.peer).toBe('liar');
    // No progress for PATIENCE_TICKS: the liar is benched, even while it keeps claiming.
    sources.note('liar', 2 ** 51, 0);
    expect(sources.select(214, PATIENCE_TICKS)).toEqual({ peer: 'leader', commitIndex: 219 });
    expect(sources.select(219, PATIENCE_TICKS + 1)?.peer).toBeUndefined();
  });

  it('keeps a source that makes progress, however long catching up takes', () => {
    const sources = new CatchupSources(Infinity);
    sources.note('b', 100_000, 0);
    for (let tick = 0, commit = 0; tick < 10 * PATIENCE_TICKS; tick += PATIENCE_TICKS / 2, commit += 100) {
      expect(sources.select(commit, tick)?.peer).toBe('b');
    }
  });

  it('does not catch up from a peer it has not heard from lately (a crashed leader)', () => {
    const sources = new CatchupSources(12);
    sources.note('dead-leader', 900, 0);
    sources.note('survivor', 600, 10);
    expect(sources.select(100, 10)?.peer).toBe('dead-leader');
    expect(sources.select(100, 13)?.peer).toBe('survivor');
    expect(sources.select(100, 23)).toBeNull();
  });
});
