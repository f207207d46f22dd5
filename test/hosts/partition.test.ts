/**
 * Partitions made by iptables in the hosts themselves, under load through every node:
 *  - symmetric, five hosts: the leader and one follower are cut off from the other three. The
 *    minority decides nothing (no request sent to it during the partition is acknowledged, its commit
 *    index stands still), the majority elects a leader and goes on; after healing all five converge.
 *  - asymmetric, three hosts: first a follower stops hearing the leader (the leader still hears it),
 *    then the leader stops hearing a follower. Each time the majority goes on, and the rig really
 *    is one-way (the deaf side sees its peer unreachable, the other side still hears it).
 */
import { expect, it } from 'vitest';
import { sleep } from '../process/harness';
import { BackgroundLoad, ClientHistory, type RecordedOperation } from './clients';
import type { HostNode } from './host-node';
import type { Rig } from './rig';
import { block, describeRig, expectScenarioEnd, startRig, step } from './scenario';

/** How long each partition lasts under load. */
const PARTITION_MS = 5_000;
/** Elections take 100-200 ms (10 ms ticks); a request already in flight at the cut may finish. */
const SETTLE_MS = 1_500;

const within = (fromMs: number, toMs: number, nodes: readonly HostNode[]) => (operation: RecordedOperation) =>
  operation.invokedAtMs >= fromMs && operation.completedAtMs <= toMs && nodes.some((node) => node.spec.id === operation.node);

async function commitIndexes(nodes: readonly HostNode[]): Promise<number[]> {
  return Promise.all(nodes.map(async (node) => (await node.status()).commitIndex));
}

/** Whether `observer` currently counts `peer` as reachable (an authenticated datagram arrived lately). */
async function hears(observer: HostNode, peer: HostNode): Promise<boolean> {
  return (await observer.status()).peers.find((p) => p.id === peer.spec.id)?.reachable ?? false;
}

function followersOf(rig: Rig, leader: HostNode): HostNode[] {
  return rig.nodes.filter((node) => node !== leader);
}

describeRig('partitions by iptables', () => {
  it('symmetric, 5 hosts: the minority with the old leader decides nothing, the majority goes on, all converge after healing', async () => {
    const rig = await startRig('symmetric partition', { hosts: ['h1', 'h2', 'h3', 'h4', 'h5'].map((name) => ({ name })), build: 'peers' });
    await block(rig.node('h4'), 'h1');
    const history = new ClientHistory();
    const load = new BackgroundLoad(history, { clients: 10, label: 'sym', targets: () => rig.nodes });
    await sleep(2_000);

    const oldLeader = await rig.waitForLeader();
    const minority = [oldLeader, followersOf(rig, oldLeader)[0] as HostNode];
    const majority = rig.nodes.filter((node) => !minority.includes(node));
    await rig.network.partition(
      minority.map((node) => node.host),
      majority.map((node) => node.host),
    );
    const cutAtMs = performance.now();
    const newLeader = await rig.waitForLeader(10_000, majority);
    await sleep(SETTLE_MS);
    const minorityCommitAfterCut = await commitIndexes(minority);
    await sleep(PARTITION_MS);
    const minorityCommitAtHeal = await commitIndexes(minority);
    const healAtMs = performance.now();
    await rig.network.heal();
    await sleep(2_000);
    await load.stop();
    step('load stopped');

    expect(newLeader.spec.id, 'the new leader').not.toBe(oldLeader.spec.id);
    expect(minorityCommitAtHeal, 'the minority commit index stands still').toEqual(minorityCommitAfterCut);
    const minorityAcks = history.operations.filter((operation) => operation.outcome.type === 'ok' && within(cutAtMs + SETTLE_MS, healAtMs, minority)(operation));
    expect(
      minorityAcks.map((operation) => operation.value),
      'acknowledged by the minority during the partition',
    ).toEqual([]);
    expect(history.count('ok', within(cutAtMs + SETTLE_MS, healAtMs, majority)), 'acknowledged by the majority during the partition').toBeGreaterThan(20);
    expect(history.count('pending', (operation) => minority.some((node) => node.spec.id === operation.node)), 'minority requests answered pending').toBeGreaterThan(0);
    await expectScenarioEnd(rig, history);
  });

  it('asymmetric, 3 hosts: a follower deaf to the leader, then the leader deaf to a follower; the majority goes on each time', async () => {
    const rig = await startRig('asymmetric partition', { hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }], build: 'peers' });
    await block(rig.node('h2'), 'h1');
    const history = new ClientHistory();
    const load = new BackgroundLoad(history, { clients: 6, label: 'asym', targets: () => rig.nodes });
    await sleep(2_000);

    // Phase 1: B (a follower) does not hear A (the leader); A still hears B.
    const a = await rig.waitForLeader();
    const b = followersOf(rig, a)[0] as HostNode;
    await rig.network.cut(a.host, b.host);
    const firstCutAtMs = performance.now();
    await sleep(PARTITION_MS);
    expect(await hears(b, a), `${b.spec.id} hears ${a.spec.id}`).toBe(false);
    expect(await hears(a, b), `${a.spec.id} hears ${b.spec.id}`).toBe(true);
    const firstHealAtMs = performance.now();
    await rig.network.heal();
    expect(history.count('ok', within(firstCutAtMs + SETTLE_MS, firstHealAtMs, rig.nodes)), `acknowledged while ${b.spec.id} was deaf to the leader`).toBeGreaterThan(20);
    await sleep(2_000);

    // Phase 2: the leader L does not hear a follower F; F still hears L.
    const leader = await rig.waitForLeader();
    const follower = followersOf(rig, leader)[0] as HostNode;
    await rig.network.cut(follower.host, leader.host);
    const secondCutAtMs = performance.now();
    await sleep(PARTITION_MS);
    expect(await hears(leader, follower), `${leader.spec.id} hears ${follower.spec.id}`).toBe(false);
    expect(await hears(follower, leader), `${follower.spec.id} hears ${leader.spec.id}`).toBe(true);
    const secondHealAtMs = performance.now();
    await rig.network.heal();
    expect(history.count('ok', within(secondCutAtMs + SETTLE_MS, secondHealAtMs, rig.nodes)), `acknowledged while the leader was deaf to ${follower.spec.id}`).toBeGreaterThan(20);
    await sleep(2_000);
    await load.stop();
    step('load stopped');

    await expectScenarioEnd(rig, history);
  });
});
