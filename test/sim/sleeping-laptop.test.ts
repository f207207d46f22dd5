/**
 * Issue 10's measurement, scripted on the simulated cluster: three replicas under full-size load, a follower
 * that sleeps until it is hundreds of slots behind, and the leader killed for good as it wakes. The
 * checker runs inside every event (safety); the assertions are about progress within livenessBoundMs.
 */
import { describe, expect, it } from 'vitest';
import type { Command, NodeId } from '../../src-main/core/types';
import { SimCluster, TICK_MS } from './cluster';
import { livenessBoundMs } from './liveness-bound';
import type { LinkCapacity } from './network';
import type { PlantedBug } from './planted-bugs';
import { runFullLoad } from './stress';

const LAG_SLOTS = 400;
const CAPACITY: LinkCapacity = { bandwidthBytesPerMs: 12_500, queueLimitMs: 300 };

function sleepThroughLoad(seed: number, capacity: LinkCapacity): { cluster: SimCluster; leader: NodeId; laptop: NodeId; survivor: NodeId } {
  const cluster = new SimCluster({ seed, replicas: 3, linkCapacity: capacity });
  cluster.start();
  expect(cluster.runUntil(() => cluster.leader() !== null, 3_000), 'no leader elected').toBe(true);
  const leader = cluster.leader() as NodeId;
  const [laptop, survivor] = cluster.members.filter((id) => id !== leader) as [NodeId, NodeId];
  let loadUntilMs = Infinity;
  runFullLoad(cluster, cluster.random, cluster.now, () => loadUntilMs);
  cluster.node(laptop).pause();
  const behind = cluster.runUntil(() => cluster.appliedIndex(survivor) - cluster.appliedIndex(laptop) >= LAG_SLOTS, 20_000);
  expect(behind, `${laptop} did not fall ${LAG_SLOTS} slots behind`).toBe(true);
  loadUntilMs = cluster.now;
  return { cluster, leader, laptop, survivor };
}

describe('a sleeping laptop', () => {
  for (const bandwidthBytesPerMs of [12_500, 1_000]) {
    it(`wakes ${LAG_SLOTS} full slots behind as the leader dies for good: a write through the survivor is chosen within the bound (links of ${bandwidthBytesPerMs} bytes/ms)`, () => {
      const capacity = { bandwidthBytesPerMs, queueLimitMs: 300 };
      const { cluster, leader, laptop, survivor } = sleepThroughLoad(1, capacity);
      cluster.crash(leader);
      cluster.node(laptop).resume();
      const boundMs = livenessBoundMs(cluster.submittedBytes, capacity, cluster.protocol, TICK_MS);
      const write = cluster.submit(survivor, 'after the leader died') as Command;
      const diedAt = cluster.now;
      // The survivor needs the laptop for a majority, so the laptop must catch up from the survivor, not
      // from the dead leader it heard from last.
      expect(cluster.runUntil(() => cluster.checker.isChosen(write), boundMs), `not chosen within ${Math.round(boundMs)}ms`).toBe(true);
      const failoverMs = cluster.now - diedAt;
      expect(cluster.runUntil(() => cluster.appliedIndex(laptop) >= cluster.appliedIndex(survivor), boundMs - failoverMs)).toBe(true);
      // The dead leader comes back much later: everything acknowledged is still there, everywhere.
      cluster.restart(leader);
      expect(cluster.runUntil(() => cluster.convergenceGaps().length === 0, boundMs), cluster.convergenceGaps().join('; ')).toBe(true);
      cluster.checker.checkAcknowledgedSurvive();
    });
  }

  /** A leader dies, the first member to campaign dozes off (its grants wait in its inbox), the others move on. */
  function dozeOffWhileCampaigning(seed: number, plantedBug: PlantedBug | null): { cluster: SimCluster; crashed: NodeId; laptop: NodeId; others: NodeId[] } {
    const cluster = new SimCluster({ seed, replicas: 5, linkCapacity: CAPACITY, plantedBug });
    cluster.start();
    expect(cluster.runUntil(() => cluster.leader() !== null, 3_000)).toBe(true);
    let loadUntilMs = Infinity;
    runFullLoad(cluster, cluster.random, cluster.now, () => loadUntilMs);
    cluster.runFor(200);
    const crashed = cluster.leader() as NodeId;
    cluster.crash(crashed);
    const campaigning = (): NodeId | undefined => cluster.members.find((id) => cluster.status(id)?.role === 'candidate');
    expect(cluster.runUntil(() => campaigning() !== undefined, 1_000)).toBe(true);
    const laptop = campaigning() as NodeId;
    cluster.node(laptop).pause();
    const others = cluster.members.filter((id) => id !== laptop && cluster.node(id).isUp);
    const ahead = (): number => Math.max(...others.map((id) => cluster.appliedIndex(id))) - cluster.appliedIndex(laptop);
    expect(cluster.runUntil(() => ahead() >= LAG_SLOTS, 20_000)).toBe(true);
    loadUntilMs = cluster.now;
    return { cluster, crashed, laptop, others };
  }

  it('that dozed off while campaigning wakes with stale pre-vote grants: every promise fits, and the cluster moves on', () => {
    const { cluster, crashed, laptop, others } = dozeOffWhileCampaigning(1, null);
    // It reads the grants and sends prepares from a slot hundreds of slots back: every promise must
    // still fit maxMessageBytes (the checker fails the run otherwise).
    cluster.node(laptop).resume();
    const write = cluster.submit(others[0] as NodeId, 'after the laptop woke') as Command;
    const boundMs = livenessBoundMs(cluster.submittedBytes, CAPACITY, cluster.protocol, TICK_MS);
    expect(cluster.runUntil(() => cluster.checker.isChosen(write), boundMs)).toBe(true);
    cluster.restart(crashed);
    expect(cluster.runUntil(() => cluster.convergenceGaps().length === 0, boundMs), cluster.convergenceGaps().join('; ')).toBe(true);
  });

  it('with acceptors that promise without a bound (planted bug), the same wake-up sends a promise the transport cannot carry', () => {
    const { cluster, laptop } = dozeOffWhileCampaigning(1, 'unbounded-promise');
    cluster.node(laptop).resume();
    expect(() => cluster.runFor(1_000)).toThrow(/sent a promise of \d+ bytes to .*, over maxMessageBytes \d+: the transport cannot carry it/);
  });
});
