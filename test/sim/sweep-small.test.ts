/** The quick sweep in `npm test`, half one: 3-replica clusters. Long soaks: `npm run sim -- --seeds 10000`. */
import { expect, it } from 'vitest';
import { sweep } from './sweep';

it('1000 seeded runs of 3 replicas under every fault: no invariant violated, every run converges', () => {
  const { results, failures } = sweep(1, 1_000, { replicas: 3 });
  expect(failures.map((f) => f.report).join('\n\n')).toBe('');
  expect(results.every((r) => r.stats.convergeTicks > 0)).toBe(true);
  expect(results.reduce((n, r) => n + r.stats.commandsAcknowledged, 0)).toBeGreaterThan(50_000);
});
