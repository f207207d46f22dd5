/**
 * The hostile member in the simulator (hostile-member.ts): the peer fuzzer's generator against the real
 * core, under the checker. Every seed here has one; the quick sweeps meet it in about one seed in eight.
 */
import { expect, it } from 'vitest';
import { drawHostile, HOSTILE_SEED_SHARE } from './hostile-member';
import { sweep } from './sweep';

/** Reasons the validation boundary must have used: hostile messages reached it and were judged on their meaning. */
const EXPECTED_DROP_REASONS = ['invalid-bad-ballot', 'invalid-foreign-ballot', 'invalid-bad-slot', 'invalid-far-slot', 'invalid-bad-range', 'invalid-foreign-command'];

it('a hostile member injecting through the network breaks no invariant, and its messages reach the validation boundary', () => {
  const { results, failures } = sweep(1, 6, { hostile: true });
  expect(failures.map((f) => f.report).join('\n\n')).toBe('');
  expect(results.every((r) => r.hostile && r.stats.convergeTicks > 0)).toBe(true);
  for (const result of results) {
    expect(result.stats.hostileMessages, `seed ${result.seed}`).toBeGreaterThan(100);
    const dropped = Object.values(result.stats.droppedByReason).reduce((a, b) => a + b, 0);
    // A good share is dropped, not all: the rest are meaningful lies the core itself must withstand.
    expect(dropped, `seed ${result.seed}`).toBeGreaterThan(result.stats.hostileMessages / 5);
    expect(dropped, `seed ${result.seed}`).toBeLessThan(result.stats.hostileMessages);
  }
  const reasons = new Set(results.flatMap((r) => Object.keys(r.stats.droppedByReason)));
  for (const reason of EXPECTED_DROP_REASONS) expect(reasons).toContain(reason);
});

it('the same seeds without it drop nothing: the check admits every message a correct replica sends', () => {
  const { results, failures } = sweep(1, 6, { hostile: false });
  expect(failures.map((f) => f.report).join('\n\n')).toBe('');
  expect(results.map((r) => r.stats.droppedByReason)).toEqual(results.map(() => ({})));
});

it('about one seed in eight draws a hostile member when the options do not say', () => {
  const drawn = Array.from({ length: 800 }, (_, i) => drawHostile(i + 1, undefined)).filter(Boolean).length;
  expect(drawn).toBeGreaterThan(800 * HOSTILE_SEED_SHARE * 0.7);
  expect(drawn).toBeLessThan(800 * HOSTILE_SEED_SHARE * 1.3);
  expect(drawHostile(1, true) && !drawHostile(1, false)).toBe(true);
});
