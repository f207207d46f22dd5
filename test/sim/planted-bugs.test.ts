/** The checker must catch known bugs: a simulator that never fails proves nothing. */
import { describe, expect, it } from 'vitest';
import { PLANTED_BUGS } from './planted-bugs';
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

  it('unbounded-promise is reported as a message the transport cannot carry, with the seed that replays it', () => {
    // An acceptor that reports every slot a far-behind candidate misses (a sleeping laptop that wakes with
    // stale pre-vote grants) sends a promise over maxMessageBytes: a violation, not a silent drop.
    const { failures } = sweep(1, 200, { plantedBug: 'unbounded-promise' }, true);
    expect(failures.length, 'unbounded-promise was not caught within 200 seeds').toBe(1);
    expect(failures[0]?.report).toMatch(/^seed \d+: \S+ sent a promise of \d+ bytes to \S+ \(\d+ accepted and \d+ chosen slots from slot \d+\), over maxMessageBytes \d+/);
    expect(failures[0]?.report).toMatch(/replay: npm run sim -- --seed \d+ --bug unbounded-promise/);
  });
});
