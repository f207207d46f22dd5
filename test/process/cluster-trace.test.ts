/**
 * "The whole cluster from any member", on three real synod-node processes: n1's clusterTrace shows the
 * `accepted` votes n3 sends the leader n2 (a message n1 neither sent nor received), every member's clock
 * measured; and once nobody asks n1 for longer than its watch and the members' leases, the members
 * trace nothing more for it (their counters stay flat while traffic goes on).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterTrace, TraceServed } from '../../shared/api';
import { expectConsistentCluster } from './consistency';
import { ProcessCluster, sleep, waitFor, type ProcessNode } from './harness';

/** trace-watch.ts: WATCH_MS after the last call, then TRACE_LEASE_MS for a lease whose release is lost; plus slack. */
const QUIET_AFTER_MS = 6_000 + 6_000 + 1_000;

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await cluster?.dispose();
  cluster = null;
});

/** Moves leadership to `id`: another member asks it to campaign now (a higher ballot than any it saw). */
async function makeLeader(processes: ProcessCluster, id: string): Promise<void> {
  const asker = processes.nodes.find((node) => node.spec.id !== id) as ProcessNode;
  for (let attempt = 0; attempt < 5; attempt++) {
    if ((await processes.waitForLeader()).spec.id === id) return;
    await asker.call('campaignNow', { member: id });
    try {
      await waitFor(async () => (await processes.waitForLeader()).spec.id === id, 5_000, `${id} to lead`);
      return;
    } catch {
      // Preempted by a concurrent election: ask again.
    }
  }
  throw new Error(`${id} never became the leader`);
}

function served(node: ProcessNode): Promise<TraceServed> {
  return node.call('clusterTrace', { watch: false, limit: 1 }).then((trace) => trace.served);
}

describe('the cluster trace of real processes', () => {
  it('shows at n1 the accepted votes n3 sends n2, and costs the members nothing once nobody watches', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    const [n1, n2, n3] = cluster.nodes as [ProcessNode, ProcessNode, ProcessNode];
    await cluster.waitForConvergence();
    await makeLeader(cluster, 'n2');
    // Nobody watched yet: nobody traces for anyone.
    for (const node of [n2, n3]) expect(await served(node)).toEqual({ leases: 0, batches: 0, records: 0, bytes: 0, skipped: 0 });

    await n1.call('clusterTrace');
    const acknowledged = new Map<string, number>();
    let trace: ClusterTrace | null = null;
    await waitFor(
      async () => {
        const receipt = await n1.call('tweet', { text: `watched from n1 ${acknowledged.size}` });
        acknowledged.set(receipt.id, receipt.slot);
        trace = await n1.call('clusterTrace', { sinceMs: Date.now() - 60_000, limit: 10_000 });
        // Both sides of a vote: each member's batches arrive on their own schedule.
        const vote = (observer: string): boolean => (trace as ClusterTrace).messages.some((m) => m.type === 'accepted' && m.from === 'n3' && m.to === 'n2' && m.observer === observer);
        return trace.members.every((m) => m.leaseActive) && vote('n3') && vote('n2');
      },
      20_000,
      "n3's accepted votes to n2 in n1's cluster trace",
    );
    const seen = trace as unknown as ClusterTrace;
    expect(seen.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
    for (const member of seen.members.slice(1)) {
      expect(member.offsetMs).not.toBeNull();
      // One machine: the clocks agree, and a loopback round trip is short (generous for a busy 2-core machine).
      expect(Math.abs(member.offsetMs ?? Infinity)).toBeLessThanOrEqual((member.uncertaintyMs ?? 0) + 1);
      expect(member.uncertaintyMs).toBeLessThan(50);
    }
    const vote = seen.messages.find((m) => m.type === 'accepted' && m.from === 'n3' && m.to === 'n2' && m.observer === 'n3');
    expect(vote).toMatchObject({ direction: 'out', ballot: { node: 'n2' } });
    expect(vote?.bytes).toBeGreaterThan(0);
    // n2 saw the same votes arrive; n1's own messages are in too.
    expect(seen.messages.some((m) => m.type === 'accepted' && m.from === 'n3' && m.to === 'n2' && m.observer === 'n2' && m.direction === 'in')).toBe(true);
    expect(seen.messages.some((m) => m.observer === 'n1')).toBe(true);
    expect(seen.messages.map((m) => m.at)).toEqual([...seen.messages.map((m) => m.at)].sort((a, b) => a - b));
    for (const node of [n2, n3]) expect((await served(node)).leases).toBe(1);

    // Nobody asks any more. Traffic goes on (heartbeats, pings, tweets), but the members trace nothing for n1.
    await sleep(QUIET_AFTER_MS);
    const before = await Promise.all([served(n2), served(n3)]);
    for (const counters of before) expect(counters).toMatchObject({ leases: 0, batches: expect.any(Number) as number });
    for (const counters of before) expect(counters.batches).toBeGreaterThan(0);
    console.log(
      `cluster trace at n1: ${seen.messages.length} messages; ${seen.members.map((m) => `${m.id} offset ${m.offsetMs} ms ± ${m.uncertaintyMs} ms`).join(', ')}; served ${before.map((c, i) => `n${i + 2}: ${c.batches} batches, ${c.records} records, ${c.bytes} bytes, ${c.skipped} skipped`).join('; ')}`,
    );
    for (let i = 0; i < 20; i++) {
      const receipt = await n3.call('tweet', { text: `unwatched ${i}` });
      acknowledged.set(receipt.id, receipt.slot);
    }
    await sleep(3_000);
    expect(await Promise.all([served(n2), served(n3)])).toEqual(before);
    expect((await n1.call('clusterTrace', { watch: false, limit: 1 })).members.map((m) => m.leaseActive)).toEqual([true, false, false]);
    // Every member's requests reached only members: nothing dropped as a stranger's.
    for (const node of cluster.nodes) expect((await node.status()).dropped['trace-request-not-member'] ?? 0).toBe(0);
    await expectConsistentCluster(cluster, acknowledged);
  });
});
