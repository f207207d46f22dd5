/**
 * The classic Paxos scenarios, scripted on the simulated cluster. The invariant checker runs inside
 * every event, so each scenario also proves safety at every step; the assertions here add what the
 * scenario is about (progress, who leads, what must not be decided).
 */
import { describe, expect, it } from 'vitest';
import type { Command, NodeId } from '../../src-main/core/types';
import { SimCluster, TICK_MS } from './cluster';

function converge(cluster: SimCluster, maxMs = 10_000): void {
  const converged = cluster.runUntil(() => cluster.convergenceGaps().length === 0, maxMs);
  expect(cluster.convergenceGaps(), 'cluster did not converge').toEqual([]);
  expect(converged).toBe(true);
  cluster.checker.checkAcknowledgedSurvive();
}

function electLeader(cluster: SimCluster): NodeId {
  expect(cluster.runUntil(() => cluster.leader() !== null, 3_000), 'no leader elected').toBe(true);
  return cluster.leader() as NodeId;
}

function leaderChanges(cluster: SimCluster, ms: number): number {
  let changes = 0;
  let last = cluster.leader();
  const end = cluster.now + ms;
  while (cluster.now < end) {
    cluster.runFor(TICK_MS);
    const current = cluster.leader();
    if (current !== last) changes++;
    last = current;
  }
  return changes;
}

describe('classic scenarios', () => {
  it('basic agreement: every replica applies the same log, each command exactly once', () => {
    const cluster = new SimCluster({ seed: 1, replicas: 3 });
    cluster.start();
    electLeader(cluster);
    const commands: Command[] = [];
    for (let i = 0; i < 60; i++) commands.push(cluster.submit(cluster.members[i % 3] as NodeId, `tweet ${i}`) as Command);
    converge(cluster);
    expect(cluster.checker.acknowledgedCount).toBe(60);
    const applied = cluster.members.map((id) => cluster.appliedIndex(id));
    expect(new Set(applied).size).toBe(1);
  });

  it('a one-node cluster decides on its own at once', () => {
    const cluster = new SimCluster({ seed: 2, replicas: 1 });
    cluster.start();
    cluster.submit('n1', 'alone');
    converge(cluster, 1_000);
    expect(cluster.checker.acknowledgedCount).toBe(1);
  });

  it('many concurrent proposers: every node campaigns at the same moment, one leader emerges', () => {
    const cluster = new SimCluster({ seed: 3, replicas: 7 });
    // Every node alone: all time out and campaign; then the links heal at the same instant.
    for (const a of cluster.members) for (const b of cluster.members) if (a !== b) cluster.network.cutLink(a, b);
    cluster.start();
    for (const id of cluster.members) for (let i = 0; i < 10; i++) cluster.submit(id);
    cluster.runFor(1_000);
    expect(cluster.members.filter((id) => cluster.status(id)?.role === 'candidate').length).toBeGreaterThan(1);
    cluster.network.heal();
    electLeader(cluster);
    converge(cluster);
    expect(cluster.checker.acknowledgedCount).toBe(70);
  });

  it('a deaf replica neither disrupts the stable leader nor stalls the others, and catches up once it hears again', () => {
    const cluster = new SimCluster({ seed: 4, replicas: 3 });
    cluster.start();
    const leader = electLeader(cluster);
    const deaf = cluster.members.find((id) => id !== leader) as NodeId;
    cluster.network.deafen(deaf, cluster.members);
    for (let i = 0; i < 20; i++) cluster.submit(leader);
    // The deaf node keeps timing out and asking for pre-votes; the leader must stay in place.
    expect(leaderChanges(cluster, 3_000)).toBe(0);
    expect(cluster.leader()).toBe(leader);
    expect(cluster.checker.acknowledgedCount).toBe(20);
    expect(cluster.status(deaf)?.role).not.toBe('leader');
    cluster.network.heal();
    converge(cluster);
  });

  it('an old leader that proposed alone learns the values chosen without it', () => {
    const cluster = new SimCluster({ seed: 5, replicas: 3 });
    cluster.start();
    const old = electLeader(cluster);
    const others = cluster.members.filter((id) => id !== old);
    cluster.network.partition([old], others);
    // The old leader keeps proposing into slots only it accepts...
    const lateCommands = [cluster.submit(old, 'late 1'), cluster.submit(old, 'late 2')];
    cluster.runFor(50);
    // ...while the majority elects a new leader and decides other values for those slots.
    const fresh = others.map((id) => cluster.submit(id, `majority ${id}`));
    expect(cluster.runUntil(() => cluster.leader() !== null && cluster.leader() !== old, 3_000)).toBe(true);
    cluster.runFor(500);
    expect(fresh.every((c) => c !== null && !cluster.node(c.origin).core?.isPending(c))).toBe(true);
    cluster.network.heal();
    converge(cluster);
    // The old leader's commands were not lost: re-proposed by the new leader, chosen once.
    for (const command of lateCommands) expect(cluster.node(old).core?.isPending(command as Command)).toBe(false);
  });

  it('a minority partition does not decide; the majority side does', () => {
    const cluster = new SimCluster({ seed: 6, replicas: 5 });
    cluster.start();
    const leader = electLeader(cluster);
    const minority = [leader, cluster.members.find((id) => id !== leader) as NodeId];
    const majority = cluster.members.filter((id) => !minority.includes(id));
    cluster.network.partition(minority, majority);
    const minorityCommands = minority.map((id) => cluster.submit(id, `from minority ${id}`) as Command);
    const majorityCommands = majority.map((id) => cluster.submit(id, `from majority ${id}`) as Command);
    cluster.runFor(3_000);
    for (const command of minorityCommands) expect(cluster.node(command.origin).core?.isPending(command)).toBe(true);
    for (const command of majorityCommands) expect(cluster.node(command.origin).core?.isPending(command)).toBe(false);
    // The old leader noticed it lost its quorum and stepped down.
    expect(cluster.status(leader)?.role).not.toBe('leader');
    cluster.network.heal();
    converge(cluster);
    for (const command of minorityCommands) expect(cluster.node(command.origin).core?.isPending(command)).toBe(false);
  });

  it('a flapping partition: decisions stay consistent, and all commands land once it stops', () => {
    const cluster = new SimCluster({ seed: 7, replicas: 5 });
    cluster.start();
    for (let round = 0; round < 30; round++) {
      cluster.network.heal();
      if (round % 2 === 0) {
        const side = cluster.random.subset(cluster.members);
        cluster.network.partition(side, cluster.members.filter((id) => !side.includes(id)));
      }
      cluster.submit(cluster.random.pick(cluster.members));
      cluster.runFor(cluster.random.between(50, 300));
    }
    cluster.network.heal();
    converge(cluster);
    expect(cluster.checker.acknowledgedCount).toBe(cluster.submitted);
  });

  it('lots of random repartitioning under message loss', () => {
    const cluster = new SimCluster({ seed: 8, replicas: 7 });
    cluster.network.conditions = { lossRate: 0.2, duplicateRate: 0.1, minDelayMs: 1, maxDelayMs: 40 };
    cluster.start();
    for (let round = 0; round < 60; round++) {
      cluster.network.heal();
      const side = cluster.random.subset(cluster.members);
      cluster.network.partition(side, cluster.members.filter((id) => !side.includes(id)));
      for (let i = 0; i < 3; i++) cluster.submit(cluster.random.pick(cluster.members));
      cluster.runFor(cluster.random.between(20, 200));
    }
    cluster.healEverything();
    converge(cluster);
    expect(cluster.checker.acknowledgedCount).toBe(cluster.submitted);
  });

  it('a paused leader resumes with a stale view and steps down without harm', () => {
    const cluster = new SimCluster({ seed: 9, replicas: 3 });
    cluster.start();
    const leader = electLeader(cluster);
    cluster.node(leader).pause();
    for (const id of cluster.members) if (id !== leader) cluster.submit(id);
    expect(cluster.runUntil(() => cluster.leader() !== null && cluster.leader() !== leader, 3_000)).toBe(true);
    cluster.runFor(300);
    cluster.node(leader).resume();
    cluster.submit(leader, 'after resume');
    converge(cluster);
    expect(cluster.checker.acknowledgedCount).toBe(cluster.submitted);
  });

  it('a crash loses unsynced writes but nothing acknowledged; the node recovers and catches up', () => {
    const cluster = new SimCluster({ seed: 10, replicas: 3 });
    cluster.start();
    const leader = electLeader(cluster);
    for (let i = 0; i < 30; i++) cluster.submit(cluster.members[i % 3] as NodeId);
    cluster.runFor(5);
    cluster.crash(leader);
    for (let i = 0; i < 30; i++) cluster.submit(cluster.random.pick(cluster.members.filter((id) => id !== leader)));
    cluster.runFor(1_000);
    cluster.restart(leader);
    converge(cluster);
  });
});

describe('reconfiguration', () => {
  /** Runs until `id` is (or, with `member` false, is not) in the configuration every up final member uses for its next slot. */
  function inEffect(cluster: SimCluster, id: NodeId, member = true): void {
    const done = (): boolean =>
      cluster.checker.finalMembers().includes(id) === member &&
      cluster.checker.finalMembers().every((m) => !cluster.node(m).isUp || cluster.status(m)?.members?.some((x) => x.id === id) === member);
    expect(cluster.runUntil(done, 3_000), `${id} ${member ? 'added' : 'removed'}`).toBe(true);
  }

  it('adds a member: the newcomer installs a snapshot, becomes a member, and can later lead', () => {
    const cluster = new SimCluster({ seed: 11, replicas: 3 });
    cluster.start();
    const leader = electLeader(cluster);
    for (let i = 0; i < 20; i++) cluster.submit(cluster.members[i % 3] as NodeId);
    cluster.runFor(200);
    const fresh = cluster.addNode();
    cluster.runFor(200);
    expect(cluster.status(fresh)?.members).toBeNull(); // a newcomer knows no configuration yet
    expect(cluster.submitMembershipChange(leader, { type: 'addMember', id: fresh, address: '' })).not.toBeNull();
    inEffect(cluster, fresh);
    expect(cluster.node(fresh).snapshotsInstalled).toBeGreaterThanOrEqual(1);
    expect(cluster.checker.finalMembers()).toEqual([...cluster.members, fresh]);
    converge(cluster);
    // Isolate whoever leads until the newcomer is elected (it is one of the 4; a majority is 3).
    for (let round = 0; round < 20 && cluster.leader() !== fresh; round++) {
      const current = electLeader(cluster);
      cluster.network.partition([current], cluster.nodeIds().filter((id) => id !== current));
      cluster.runUntil(() => cluster.leader() !== null && cluster.leader() !== current, 3_000);
      cluster.network.heal();
    }
    expect(cluster.leader()).toBe(fresh);
    const command = cluster.submit(fresh, 'led by the newcomer') as Command;
    converge(cluster);
    expect(cluster.node(fresh).core?.isPending(command)).toBe(false);
  });

  it('removes a follower: the leader carries on, and the removed node never campaigns again', () => {
    const cluster = new SimCluster({ seed: 12, replicas: 5 });
    cluster.start();
    const leader = electLeader(cluster);
    const removed = cluster.members.find((id) => id !== leader) as NodeId;
    cluster.submitMembershipChange(removed, { type: 'removeMember', id: removed });
    inEffect(cluster, removed, false);
    expect(cluster.leader()).toBe(leader);
    for (let i = 0; i < 20; i++) cluster.submit(cluster.random.pick(cluster.members.filter((id) => id !== removed)));
    converge(cluster);
    // A member cut off from the leader campaigns; a removed node does not (it is no one's candidate).
    cluster.network.partition([removed], cluster.nodeIds().filter((id) => id !== removed));
    for (let t = 0; t < 200; t++) {
      cluster.runFor(TICK_MS);
      expect(cluster.status(removed)?.role).toBe('follower');
    }
    expect(cluster.leader()).toBe(leader);
    expect(cluster.checker.finalMembers()).toEqual(cluster.members.filter((id) => id !== removed));
  });

  it('removes the leader: it hands leadership over at once (no election timeout)', () => {
    const cluster = new SimCluster({ seed: 13, replicas: 3 });
    cluster.start();
    const old = electLeader(cluster);
    for (let i = 0; i < 10; i++) cluster.submit(old);
    cluster.submitMembershipChange(old, { type: 'removeMember', id: old });
    expect(cluster.runUntil(() => cluster.status(old)?.role !== 'leader', 3_000)).toBe(true);
    const steppedDownAt = cluster.now;
    expect(cluster.runUntil(() => cluster.leader() !== null, 200)).toBe(true);
    const successor = cluster.leader() as NodeId;
    expect(successor).not.toBe(old);
    // Well under one election timeout (electionTicks = 10 ticks): a takeover, then one phase 1.
    expect(cluster.now - steppedDownAt).toBeLessThan(10 * TICK_MS);
    expect(cluster.checker.finalMembers()).not.toContain(old);
    const after = cluster.submit(successor, 'after the hand-over') as Command;
    converge(cluster);
    expect(cluster.node(successor).core?.isPending(after)).toBe(false);
    expect(cluster.status(old)?.role).not.toBe('leader');
  });

  it('replaces a crashed member: add a fresh node, then remove the dead one; the new node counts in quorums', () => {
    const cluster = new SimCluster({ seed: 14, replicas: 3 });
    cluster.start();
    const leader = electLeader(cluster);
    const [dead, other] = cluster.members.filter((id) => id !== leader) as [NodeId, NodeId];
    for (let i = 0; i < 15; i++) cluster.submit(leader);
    cluster.crash(dead);
    const fresh = cluster.addNode();
    cluster.submitMembershipChange(leader, { type: 'addMember', id: fresh, address: '' });
    inEffect(cluster, fresh);
    cluster.submitMembershipChange(other, { type: 'removeMember', id: dead });
    inEffect(cluster, dead, false);
    expect(cluster.checker.finalMembers()).toEqual([leader, other, fresh].sort());
    expect(cluster.node(fresh).snapshotsInstalled).toBeGreaterThanOrEqual(1);
    // With `other` down too, the leader and the new node are a majority of the new configuration.
    cluster.crash(other);
    const command = cluster.submit(leader, 'decided by the new configuration') as Command;
    expect(cluster.runUntil(() => !cluster.node(leader).core?.isPending(command), 2_000)).toBe(true);
    cluster.restart(other);
    converge(cluster); // the dead node stays down: it is no longer a member
    expect(cluster.node(dead).isUp).toBe(false);
  });
});
