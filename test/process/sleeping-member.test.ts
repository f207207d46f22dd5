/**
 * The sleeping laptop (issue 10): a follower of 3 real processes is SIGSTOPped for 30 s while clients
 * keep tweeting full-size tweets, then resumes. It must catch up, nobody may exit, leadership must not
 * change (the leader is alive and reachable all along), and every acknowledged write must be in every
 * replica exactly once.
 */
import { afterEach, expect, it } from 'vitest';
import { expectSameHistory } from './consistency';
import { ProcessCluster, sleep, waitFor, type ProcessNode } from './harness';
import { convergeOrExplain, FULL_TWEET, LeadershipWatch, stressLines, unexpectedExits } from './liveness';
import { newLoadResult, tweetLoad } from './load';

const CLIENTS = 8;
/** The floor of this test's duration: long enough to miss thousands of commands. */
const SLEEP_MS = 30_000;
/** Load keeps going for this long after the sleeper wakes, so it catches up against a moving target. */
const AWAKE_LOAD_MS = 3_000;
const CATCH_UP_TIMEOUT_MS = 15_000;

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await cluster?.dispose();
  cluster = null;
});

it('a follower SIGSTOPped for 30 s under load resumes and catches up; nobody exits, nothing flaps, nothing acknowledged is lost', async () => {
  cluster = await ProcessCluster.start({ size: 3 });
  await cluster.waitForConvergence();
  const leader = await cluster.waitForLeader();
  const [sleeper, awake] = cluster.nodes.filter((node) => node !== leader) as [ProcessNode, ProcessNode];
  const watch = await LeadershipWatch.start(cluster.nodes, leader);
  const result = newLoadResult();
  let loading = true;
  // Through the leader and the awake follower (which forwards), never through the sleeper.
  const load = tweetLoad(() => [leader, awake], CLIENTS, () => !loading, result, 'sleep', () => FULL_TWEET);
  try {
    await sleep(1_000);
    sleeper.signal('SIGSTOP');
    const missedFrom = (await leader.status()).commitIndex;
    await sleep(SLEEP_MS);
    const missedTo = (await leader.status()).commitIndex;
    sleeper.signal('SIGCONT');
    const resumedAt = performance.now();
    // Resolves with how long the sleeper took to apply everything it missed, or null if it did not in time.
    const catchUp = waitFor(async () => (await sleeper.status()).appliedIndex >= missedTo, CATCH_UP_TIMEOUT_MS, 'catch-up').then(
      () => performance.now() - resumedAt,
      () => null,
    );
    await sleep(AWAKE_LOAD_MS);
    loading = false;
    await load;
    const caughtUpMs = await catchUp;
    const summary = `${sleeper.spec.id} missed ${missedTo - missedFrom} slots (${result.acknowledged.size} tweets acknowledged in all), caught up ${caughtUpMs === null ? 'not at all' : `in ${caughtUpMs.toFixed(0)} ms`}`;
    expect.soft(missedTo - missedFrom, summary).toBeGreaterThan(0);
    expect.soft(caughtUpMs, `${summary}: not within ${CATCH_UP_TIMEOUT_MS} ms`).not.toBeNull();
    expect.soft(unexpectedExits(cluster.nodes), summary).toEqual([]);
    await convergeOrExplain(cluster, CATCH_UP_TIMEOUT_MS);
    await watch.look();
    await watch.stop();
    expect.soft(watch.changesBefore(Date.now()), `${summary}: leadership changes while the leader was alive; what the members logged:\n  ${stressLines(cluster.nodes)}\n`).toEqual([]);
    expect(unexpectedExits(cluster.nodes), summary).toEqual([]);
    await expectSameHistory(cluster.nodes, result.acknowledged, result.pending);
  } finally {
    loading = false;
    sleeper.signal('SIGCONT');
    await load;
    await watch.stop();
  }
});
