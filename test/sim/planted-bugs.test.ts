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
});
