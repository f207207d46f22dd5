/** Five real processes: two random members killed and restarted, again and again, under load. */
import { afterEach, expect, it } from 'vitest';
import { seededRandom } from '../../src-main/core/random';
import { expectConsistentCluster } from './consistency';
import { ProcessCluster, sleep } from './harness';
import { newLoadResult, tweetLoad } from './load';

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await cluster?.dispose();
  cluster = null;
});

it('a 5-node cluster survives repeated SIGKILLs of two random members under load', async () => {
  cluster = await ProcessCluster.start({ size: 5 });
  await cluster.waitForConvergence();
  const random = seededRandom(2026);
  const result = newLoadResult();
  let stop = false;
  const load = tweetLoad(() => cluster!.nodes, 6, () => stop, result);
  for (let round = 0; round < 3; round++) {
    await sleep(600);
    const victims = [...cluster.nodes].sort(() => random.next() - 0.5).slice(0, 2);
    await Promise.all(victims.map((victim) => victim.kill()));
    await sleep(800);
    await cluster.waitForLeader(15_000);
    await Promise.all(victims.map((victim) => victim.start()));
  }
  await sleep(500);
  stop = true;
  await load;
  expect(result.acknowledged.size).toBeGreaterThan(50);
  await expectConsistentCluster(cluster, result.acknowledged);
});
