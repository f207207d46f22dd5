/** The quick sweep in `npm test`, half two: 5- and 7-replica clusters (600 seeds before issue 10's stress; see sweep-small). */
import { expect, it } from 'vitest';
import { sweep } from './sweep';

it('420 seeded runs of 5 and 7 replicas under every fault and the stress of issue 10: no invariant violated, every run converges', () => {
  const five = sweep(10_001, 280, { replicas: 5 });
  const seven = sweep(20_001, 140, { replicas: 7 });
  const failures = [...five.failures, ...seven.failures];
  expect(failures.map((f) => f.report).join('\n\n')).toBe('');
  const results = [...five.results, ...seven.results];
  expect(results.every((r) => r.stats.convergeTicks > 0)).toBe(true);
  expect(results.filter((r) => r.sleepingLaptop).length).toBeGreaterThan(50);
});
