/**
 * Issue 10's measurement as a test: 64 clients tweet full-size tweets to the leader of 3 real
 * processes; a follower is SIGSTOPped until it is >= 1,000 slots behind; the leader is SIGKILLed and
 * the laggard resumed, in both orders of who campaigns first. No survivor may exit, a survivor must
 * decide again (a write through it is chosen), and every acknowledged write must be in every surviving
 * replica exactly once, with logs that agree.
 *
 * Timing is not asserted here: `npm test` runs many process tests in parallel on 2 cores, so a figure
 * measured here would be the machine's. The bars of the issue (the first write chosen within 2 s of the
 * leader's death, no leadership change while the leader lives) are checked with the machine to itself:
 * `npm run bench:failover` (20 runs) or SYNOD_STRESS=1 (these two runs, asserting them). The figures of
 * each run are printed either way.
 */
import { afterEach, expect, it } from 'vitest';
import { expectSameHistory } from './consistency';
import { ProcessCluster } from './harness';
import { convergeOrExplain, DEFAULT_FAILOVER_OPTIONS, lastWords, runLaggingFailover, unexpectedExits, type CampaignOrder } from './liveness';

const STRESS = process.env.SYNOD_STRESS === '1';
/** etcd fails over in ~1.1 s on this kind of machine; the bar. */
const FAILOVER_BOUND_MS = 2_000;
/** Time for the laggard to catch up after the failover (and for both to converge). */
const CONVERGENCE_TIMEOUT_MS = 30_000;
/** Building the lag takes ~30 s on an idle machine; under the parallel suites it takes longer. */
const LAG_TIMEOUT_MS = 100_000;

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await cluster?.dispose();
  cluster = null;
});

it.each<CampaignOrder>(['laggard-first', 'survivor-first'])(
  'the leader dies while a follower is 1,000 full slots behind (%s): nobody exits, a survivor decides again, nothing acknowledged is lost',
  { timeout: 240_000 },
  async (order) => {
    cluster = await ProcessCluster.start({ size: 3 });
    const run = await runLaggingFailover(cluster, { ...DEFAULT_FAILOVER_OPTIONS, order, lagTimeoutMs: LAG_TIMEOUT_MS });
    const summary = `${order}: lag ${run.lagSlots} slots built in ${run.loadMs.toFixed(0)} ms (${run.slotsPerSecond.toFixed(1)} slots/s, ${run.tweetsPerSlot.toFixed(1)} tweets/slot), failover ${run.failoverMs?.toFixed(0) ?? 'none'} ms, leadership changes while the leader lived: ${run.leadershipChanges.length}`;
    console.log(`lagging failover: ${summary}`);
    expect.soft(run.lagSlots, summary).toBeGreaterThanOrEqual(DEFAULT_FAILOVER_OPTIONS.lagSlots);
    expect.soft(run.exits, summary).toEqual([]);
    const stuck = `no write started within ${DEFAULT_FAILOVER_OPTIONS.failoverTimeoutMs} ms of the leader's death was ever chosen; last log lines (laggard ${run.laggard.spec.id}, survivor ${run.survivor.spec.id}):\n  ${lastWords([run.laggard, run.survivor])}`;
    expect.soft(run.failoverMs, `${summary}: ${stuck}`).not.toBeNull();
    if (STRESS) {
      expect.soft(run.leadershipChanges, `${summary}: leadership changes while the leader was alive`).toEqual([]);
      expect.soft(run.failoverMs ?? Infinity, summary).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
    }
    await convergeOrExplain(cluster, CONVERGENCE_TIMEOUT_MS);
    expect(unexpectedExits([run.laggard, run.survivor]), summary).toEqual([]);
    await expectSameHistory([run.laggard, run.survivor], run.acknowledged, run.pendingAtSurvivors);
  },
);
