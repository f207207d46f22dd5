import { describe, expect, it } from 'vitest';
import { ballotsEqual, compareBallots, maxBallot, nextBallotAbove, ZERO_BALLOT } from './ballot';

describe('ballots', () => {
  it('order by round, then by node id', () => {
    expect(compareBallots({ round: 2, node: 'a' }, { round: 1, node: 'z' })).toBeGreaterThan(0);
    expect(compareBallots({ round: 1, node: 'a' }, { round: 1, node: 'b' })).toBeLessThan(0);
    expect(compareBallots({ round: 3, node: 'n1' }, { round: 3, node: 'n1' })).toBe(0);
    expect(compareBallots(ZERO_BALLOT, { round: 1, node: '' })).toBeLessThan(0);
  });

  it('next ballot is the smallest one of this node above the given one', () => {
    expect(nextBallotAbove(ZERO_BALLOT, 'b')).toEqual({ round: 1, node: 'b' });
    expect(nextBallotAbove({ round: 4, node: 'a' }, 'b')).toEqual({ round: 4, node: 'b' });
    expect(nextBallotAbove({ round: 4, node: 'c' }, 'b')).toEqual({ round: 5, node: 'b' });
    expect(nextBallotAbove({ round: 4, node: 'b' }, 'b')).toEqual({ round: 5, node: 'b' });
  });

  it('helpers', () => {
    expect(maxBallot({ round: 1, node: 'x' }, { round: 2, node: 'a' })).toEqual({ round: 2, node: 'a' });
    expect(ballotsEqual({ round: 1, node: 'x' }, { round: 1, node: 'x' })).toBe(true);
  });
});
