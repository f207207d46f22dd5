/** The checker must catch known bugs: a simulator that never fails proves nothing. */
import { describe, expect, it } from 'vitest';
import { PLANTED_BUGS } from './sim-node';
import { sweep } from './sweep';

describe('planted bugs are caught within 200 seeds', () => {
  for (const bug of PLANTED_BUGS) {
    it(bug, () => {
      const { failures } = sweep(1, 200, { plantedBug: bug }, true);
      expect(failures.length, `${bug} was not caught`).toBe(1);
      expect(failures[0]?.report).toMatch(/replay: npm run sim -- --seed \d+ --bug /);
    });
  }

  it('ignore-config-boundary is reported as a decision by a quorum of the wrong configuration', () => {
    // A leader that keeps its phase-1 configuration past a membership change decides with majorities of
    // the old member set; the checker judges every slot by its own configuration.
    const { failures } = sweep(1, 20, { plantedBug: 'ignore-config-boundary' }, true);
    expect(failures.length, 'ignore-config-boundary was not caught within 20 seeds').toBe(1);
    expect(failures[0]?.report).toMatch(/decided slot \d+ with a quorum of configuration \{[^}]+\} .*, not of config\(\d+\) \{[^}]+\}: quorums of the two may be disjoint/);
  });
});
