/** The quick sweep in `npm test`, half two: 5- and 7-replica clusters. */
import { expect, it } from 'vitest';
import { sweep } from './sweep';

it('600 seeded runs of 5 and 7 replicas under every fault: no invariant violated, every run converges', () => {
  const five = sweep(10_001, 400, { replicas: 5 });
  const seven = sweep(20_001, 200, { replicas: 7 });
  const failures = [...five.failures, ...seven.failures];
  expect(failures.map((f) => f.report).join('\n\n')).toBe('');
  expect([...five.results, ...seven.results].every((r) => r.stats.convergeTicks > 0)).toBe(true);
});
