/**
 * A short hostile-member fuzz run (`npm run fuzz:peer -- --seconds N` is the long one): a rogue holding
 * the secret attacks a live 3-node cluster while clients tweet; no node may exit or stall, no
 * acknowledged write may be lost, and the logs must agree. The seed is fixed so a failure reproduces
 * with `npm run fuzz:peer -- --seconds 6 --seed <seed>`; FUZZ_SEED picks another.
 */
import { expect, it } from 'vitest';
import { runPeerFuzz, summaryLine } from './peer-fuzz-run';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_129);

it('a hostile member cannot crash, stall or corrupt a live cluster', async () => {
  const report = await runPeerFuzz({ seconds: 6, seed: SEED, ratePerSecond: 150, clients: 3 });
  console.log(summaryLine(report));
  expect(report.rogue.datagramsSent).toBeGreaterThan(500);
  expect(report.failures).toEqual([]);
});
