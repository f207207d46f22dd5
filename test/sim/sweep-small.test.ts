/**
 * The quick sweep in `npm test`, half one: 3-replica clusters. Long soaks: `npm run sim -- --seeds 10000`.
 * 750 seeds (1,000 before issue 10): a quarter of them now carry a sleeping laptop under full-size load,
 * which costs several light seeds, and the sweep keeps its running time.
 */
import { expect, it } from 'vitest';
import { BANDWIDTHS_BYTES_PER_MS } from './stress';
import { sweep } from './sweep';

it('750 seeded runs of 3 replicas under every fault and the stress of issue 10: no invariant violated, every run converges', () => {
  const { results, failures } = sweep(1, 750, { replicas: 3 });
  expect(failures.map((f) => f.report).join('\n\n')).toBe('');
  expect(results.every((r) => r.stats.convergeTicks > 0)).toBe(true);
  expect(results.reduce((n, r) => n + r.stats.commandsAcknowledged, 0)).toBeGreaterThan(50_000);
  expect(results.filter((r) => r.sleepingLaptop).length).toBeGreaterThan(100);
  expect(new Set(results.map((r) => r.bandwidthBytesPerMs))).toEqual(new Set(BANDWIDTHS_BYTES_PER_MS));
});
