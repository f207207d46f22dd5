/**
 * Real synod-node processes on loopback under real faults. Each test ends with the full consistency
 * check: every acknowledged command in every log exactly once at its slot, logs equal, timelines
 * matching the blocks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectConsistentCluster } from './consistency';
import { ProcessCluster, sleep, waitFor } from './harness';
import { newLoadResult, tweetLoad } from './load';

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await cluster?.dispose();
  cluster = null;
});

async function expectAllPendingChosen(pending: ReadonlySet<string>): Promise<void> {
  if (pending.size === 0 || cluster === null) return;
  const log = await cluster.running()[0]!.fullLog();
  const ids = new Set(log.flatMap((entry) => entry.commands.map((c) => c.id)));
  for (const id of pending) expect(ids.has(id), `pending command ${id} was never chosen`).toBe(true);
}

describe('a 3-node cluster of real processes', () => {
  it('concurrent tweets and blocks through every node', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    const [n1, n2, n3] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
    await cluster.waitForConvergence(); // every node registered its user
    const result = newLoadResult();
    const deadline = Date.now() + 3_000;
    await Promise.all([
      tweetLoad(() => cluster!.nodes, 6, () => Date.now() > deadline, result),
      (async () => {
        await sleep(500);
        await n1.call('block', { user: 'n2' });
        await n3.call('block', { user: 'n2' });
        await sleep(500);
        await n3.call('unblock', { user: 'n2' });
      })(),
    ]);
    expect(result.acknowledged.size).toBeGreaterThan(100);
    // A tweet by n3 after its unblock, and one by n1, whatever the load happened to route where.
    const fromN3 = await n3.call('tweet', { text: 'n3 after unblocking n2' });
    const fromN1 = await n1.call('tweet', { text: 'n1 still blocking n2' });
    result.acknowledged.set(fromN3.id, fromN3.slot).set(fromN1.id, fromN1.slot);
    await expectConsistentCluster(cluster, result.acknowledged);
    const users = await n2.call('users');
    expect(users.find((u) => u.id === 'n2')?.blockedBy).toEqual(['n1']);
    // n2 does not see n1's tweets; it sees n3's again; n1 and n3 see everyone's.
    const n2Timeline = await n2.call('timeline', { limit: 500 });
    expect(n2Timeline.some((t) => t.author === 'n1')).toBe(false);
    expect(n2Timeline.some((t) => t.id === fromN3.id)).toBe(true);
    expect((await n3.call('timeline', { limit: 5 })).some((t) => t.id === fromN1.id)).toBe(true);
  });

  it('every node sees every peer as reachable, followers included, with its commit index', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    await cluster.waitForConvergence();
    await waitFor(
      async () => {
        const statuses = await Promise.all(cluster!.nodes.map((n) => n.status()));
        return statuses.every((s) => s.peers.length === 2 && s.peers.every((p) => p.reachable && p.commitIndex !== null));
      },
      5_000,
      'all peers reachable',
    );
  });

  it('rejects bad requests with clear errors and loses nothing', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    const node = cluster.nodes[0]!;
    await cluster.waitForConvergence();
    await expect(node.call('tweet', { text: '   ' })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(node.call('tweet', { text: 'x'.repeat(281) })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/280/) });
    await expect(node.call('block', { user: 'n1' })).rejects.toMatchObject({ code: 'invalid-argument', message: 'You cannot block yourself.' });
    await expect(node.call('block', { user: 'nobody' })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/no user/) });
    await expect(node.call('log', { limit: 0 })).rejects.toMatchObject({ code: 'invalid-argument' });
    const receipt = await node.call('tweet', { text: 'still fine' });
    await expectConsistentCluster(cluster, new Map([[receipt.id, receipt.slot]]));
  });

  it('SIGKILL of the leader under load, then of random nodes, each restarted: nothing acknowledged is lost', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    await cluster.waitForConvergence();
    const result = newLoadResult();
    let stop = false;
    const load = tweetLoad(() => cluster!.nodes, 4, () => stop, result);
    for (let round = 0; round < 3; round++) {
      await sleep(700);
      const victim = round === 0 ? await cluster.waitForLeader() : cluster.nodes[(round * 2) % 3]!;
      await victim.kill();
      await sleep(500);
      await cluster.waitForLeader(15_000);
      await victim.start();
    }
    await sleep(500);
    stop = true;
    await load;
    expect(result.acknowledged.size).toBeGreaterThan(50);
    await expectConsistentCluster(cluster, result.acknowledged);
    await expectAllPendingChosen(result.pending);
  });

  it('SIGSTOP and SIGCONT of a node: it comes back with a stale view and catches up', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    await cluster.waitForConvergence();
    const leader = await cluster.waitForLeader();
    const result = newLoadResult();
    leader.signal('SIGSTOP');
    const others = cluster.nodes.filter((n) => n !== leader);
    let stop = false;
    const load = tweetLoad(() => others, 3, () => stop, result);
    await cluster.waitForLeader(15_000, [leader.spec.id]).catch(() => undefined);
    await sleep(1_000);
    leader.signal('SIGCONT');
    await sleep(1_000);
    stop = true;
    await load;
    await expectConsistentCluster(cluster, result.acknowledged);
    await waitFor(async () => (await leader.status()).role !== 'leader' || (await leader.status()).ballot.round > 1, 5_000, 'the stale leader to step down');
  });
});
