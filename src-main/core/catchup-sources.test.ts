import { describe, expect, it } from 'vitest';
import { CatchupSources, PATIENCE_TICKS } from './catchup-sources';

describe('CatchupSources', () => {
  it('catches up from the peer that claims the most, and a restarted peer\'s lower claim replaces its old one', () => {
    const sources = new CatchupSources();
    sources.note('b', 50);
    sources.note('c', 80);
    expect(sources.select(10, 0)).toEqual({ peer: 'c', commitIndex: 80 });
    sources.note('c', 30);
    expect(sources.select(10, 1)).toEqual({ peer: 'b', commitIndex: 50 });
    expect(sources.select(60, 2)).toBeNull();
  });

  it('benches a peer that claims to be far ahead but lets nothing through, and falls back to the next claim', () => {
    const sources = new CatchupSources();
    sources.note('leader', 219);
    sources.note('liar', 2 ** 50);
    expect(sources.select(214, 0)?.peer).toBe('liar');
    expect(sources.select(214, PATIENCE_TICKS - 1)?.peer).toBe('liar');
    // No progress for PATIENCE_TICKS: the liar is benched, even while it keeps claiming.
    sources.note('liar', 2 ** 51);
    expect(sources.select(214, PATIENCE_TICKS)).toEqual({ peer: 'leader', commitIndex: 219 });
    expect(sources.select(219, PATIENCE_TICKS + 1)?.peer).toBeUndefined();
  });

  it('keeps a source that makes progress, however long catching up takes', () => {
    const sources = new CatchupSources();
    sources.note('b', 100_000);
    for (let tick = 0, commit = 0; tick < 10 * PATIENCE_TICKS; tick += PATIENCE_TICKS / 2, commit += 100) {
      expect(sources.select(commit, tick)?.peer).toBe('b');
    }
  });
});
