import { describe, expect, it } from 'vitest';
import { formatBallot } from './ballot-text';

describe('formatBallot', () => {
  it('writes round.node, and 0 for no ballot', () => {
    expect(formatBallot({ round: 7, node: 'n2' })).toBe('7.n2');
    expect(formatBallot({ round: 0, node: '' })).toBe('0');
  });
});
