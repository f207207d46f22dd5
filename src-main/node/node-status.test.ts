import { describe, expect, it } from 'vitest';
import type { Ballot } from '../core/ballot';
import type { NodeId, ReplicaStatus, Role } from '../core/types';
import type { TransportStats } from '../net/udp-transport';
import type { LogFields } from './logger';
import { ELECTIONS_KEPT, isReachable, NodeStatus, reachableWindowMsFor, type NodeStatusContext, type TransportPeer } from './node-status';
import { RecoveryTracker } from './recovery-tracker';

const DISK = { ms: 10, checkpointSlot: 0, checkpointBytes: 0, journalRecords: 0, replayedSlots: null, tornTailTruncated: false };
const MEMBERS = ['n1', 'n2', 'n3'].map((id) => ({ id, address: `10.0.0.${id.slice(1)}:7400` }));

function coreStatus(role: Role, leader: NodeId | null, ballot: Ballot, positions: Partial<ReplicaStatus> = {}): ReplicaStatus {
  return { id: 'n1', role, leader, ballot, promised: ballot, commitIndex: 0, appliedIndex: 0, compactedThrough: 0, pendingCommands: 0, members: MEMBERS, ...positions };
}

/**
 * A status over fakes: `core` is what the replica reports, `peers` what the transport knows, `loopMaxMs`
 * the longest stall of the interval the loop monitor closes next; `events` is the log.
 */
function status(overrides: Partial<NodeStatusContext> = {}) {
  const world = {
    now: 100_000,
    core: coreStatus('follower', null, { round: 0, node: '' }),
    peers: [] as TransportPeer[],
    loopMaxMs: 0,
    events: [] as { name: string; fields: LogFields | undefined }[],
  };
  const stats: TransportStats = { dropped: { 'bad-mac': 2 }, sentDatagrams: 5, receivedDatagrams: 7, sentBytes: 50, receivedBytes: 70, sendErrors: 0, recvBufferBytes: 0, memberMismatch: [] };
  const recovery = new RecoveryTracker(DISK, 0, 0);
  const node = new NodeStatus({
    id: 'n1',
    name: 'Ann',
    clusterId: 'c1',
    version: 'test',
    electionTimeoutMaxMs: 600,
    now: () => world.now,
    core: () => world.core,
    membership: () => null,
    isMember: () => true,
    address: () => '10.0.0.1:7400',
    transportPeers: () => world.peers,
    transportStats: () => stats,
    journalStats: () => ({ syncs: 3, bytes: 300 }),
    joining: () => null,
    droppedElsewhere: () => ({ 'bulk-queue-full': 1 }),
    recovery,
    remoteFaults: () => [],
    checkpoints: () => ({ started: 2, lastStallMs: 4 }),
    loopMonitor: { rotate: () => ({ maxMs: world.loopMaxMs, p99Ms: 0 }), delay: () => ({ maxMs: world.loopMaxMs, p99Ms: 0 }) },
    logger: { event: (name, fields) => world.events.push({ name, fields }) },
    ...overrides,
  });
  const names = (): string[] => world.events.map((event) => event.name);
  return { node, world, names, recovery };
}

describe('NodeStatus', () => {
  it('logs and remembers leadership changes, and says when the state is worth publishing', () => {
    const { node, world } = status();
    expect(node.noteLeadershipChanges()).toBe(false);
    world.core = coreStatus('candidate', null, { round: 1, node: 'n1' });
    expect(node.noteLeadershipChanges()).toBe(true);
    world.core = coreStatus('leader', 'n1', { round: 1, node: 'n1' });
    expect(node.noteLeadershipChanges()).toBe(true);
    world.now += 1_000;
    world.core = coreStatus('follower', 'n2', { round: 2, node: 'n2' });
    expect(node.noteLeadershipChanges()).toBe(true);
    expect(world.events).toEqual([
      { name: 'campaigning', fields: { ballot: '1.n1', leader: 'none' } },
      { name: 'elected', fields: { ballot: '1.n1' } },
      { name: 'lost-leadership', fields: { ballot: '1.n1' } },
      { name: 'following', fields: { leader: 'n2', ballot: '2.n2' } },
    ]);
    // Only changes of the leader followed count as leader changes (a campaign does not).
    expect(node.state().leaderChanges).toEqual([
      { at: 100_000, leader: 'n1', ballot: { round: 1, node: 'n1' } },
      { at: 101_000, leader: 'n2', ballot: { round: 2, node: 'n2' } },
    ]);
  });

  it('keeps the latest leader changes only', () => {
    const { node, world } = status();
    for (let round = 1; round <= ELECTIONS_KEPT + 5; round++) {
      world.core = coreStatus('follower', round % 2 === 0 ? 'n2' : 'n3', { round, node: round % 2 === 0 ? 'n2' : 'n3' });
      node.noteLeadershipChanges();
    }
    const changes = node.state().leaderChanges;
    expect(changes).toHaveLength(ELECTIONS_KEPT);
    expect(changes[0]?.ballot.round).toBe(6);
  });

  it('counts a peer reachable while heard within three drawn election timeouts, never under 1.5 s', () => {
    expect(reachableWindowMsFor(600)).toBe(1_800);
    expect(reachableWindowMsFor(200)).toBe(1_500);
    expect(isReachable(null, 1_800)).toBe(false);
    expect(isReachable(1_800, 1_800)).toBe(true);
    expect(isReachable(1_801, 1_800)).toBe(false);
    const { node, world } = status();
    world.peers = [
      { id: 'n2', address: '10.0.0.2:7400', lastHeardAt: world.now - 1_800 },
      { id: 'n3', address: '10.0.0.3:7400', lastHeardAt: world.now - 1_801 },
      { id: 'n4', address: '10.0.0.4:7400', lastHeardAt: null },
    ];
    node.notePeerCommit('n2', 42);
    expect(node.peers()).toEqual([
      { id: 'n2', address: '10.0.0.2:7400', lastHeardMs: 1_800, reachable: true, commitIndex: 42 },
      { id: 'n3', address: '10.0.0.3:7400', lastHeardMs: 1_801, reachable: false, commitIndex: null },
      { id: 'n4', address: '10.0.0.4:7400', lastHeardMs: null, reachable: false, commitIndex: null },
    ]);
    expect([...node.reachablePeerIds()]).toEqual(['n2']);
  });

  it('every status interval logs peers that came up or went down, once each, and event-loop stalls near the election timeout', () => {
    const { node, world } = status();
    world.peers = [{ id: 'n2', address: '10.0.0.2:7400', lastHeardAt: world.now }];
    node.intervalState();
    node.intervalState();
    world.now += 5_000;
    world.loopMaxMs = 151; // above half the minimum election timeout (300 ms)
    const state = node.intervalState();
    expect(state.peers[0]?.reachable).toBe(false);
    expect(world.events).toEqual([
      { name: 'peer-up', fields: { peer: 'n2', address: '10.0.0.2:7400' } },
      { name: 'event-loop-stall', fields: { maxMs: 151, electionTimeoutMs: 300 } },
      { name: 'peer-down', fields: { peer: 'n2', address: '10.0.0.2:7400' } },
    ]);
    world.loopMaxMs = 150;
    node.intervalState();
    expect(world.events).toHaveLength(3);
  });

  it('reports drops by reason and the counters behind the state', () => {
    const { node } = status();
    node.countDrop('inbox-full');
    node.countDrop('inbox-full');
    node.noteCommandApplied();
    node.noteCommandApplied();
    node.noteCommitLatency(10);
    node.noteCommitLatency(20);
    const state = node.state();
    expect(state).toMatchObject({ id: 'n1', name: 'Ann', clusterId: 'c1', version: 'test', address: '10.0.0.1:7400', startedAt: 100_000, takenAt: 100_000, isMember: true, latestEpoch: null });
    expect(state.dropped).toEqual({ 'bad-mac': 2, 'inbox-full': 2, 'bulk-queue-full': 1 });
    expect(state.counters).toEqual({
      journal: { syncs: 3, bytes: 300 },
      datagrams: { received: 7, sent: 5, receivedBytes: 70, sentBytes: 50 },
      checkpoints: { started: 2, lastStallMs: 4 },
      commandsApplied: 2,
      commitLatencyMs: 11, // 0.9 * 10 + 0.1 * 20
      loopDelay: { maxMs: 0, p99Ms: 0 },
      memory: { rssBytes: expect.any(Number) as number, heapUsedBytes: expect.any(Number) as number, externalBytes: expect.any(Number) as number, arrayBuffersBytes: expect.any(Number) as number },
    });
    // This process's own figures: the resident set holds the heap in use.
    expect(state.counters.memory.rssBytes).toBeGreaterThan(state.counters.memory.heapUsedBytes);
  });

  it('logs once when the node caught up with the commit index its peers reported', () => {
    const { node, world, names, recovery } = status();
    node.notePeerCommit('n2', 20);
    node.notePeerCommit('n3', 30);
    world.core = coreStatus('follower', 'n2', { round: 1, node: 'n2' }, { appliedIndex: 25 });
    node.noteRecoveryProgress();
    expect(names()).toEqual([]);
    world.now += 700;
    world.core = coreStatus('follower', 'n2', { round: 1, node: 'n2' }, { appliedIndex: 30 });
    node.noteRecoveryProgress();
    node.noteRecoveryProgress();
    expect(world.events).toEqual([{ name: 'caught-up', fields: { learned: '1-30', snapshot: false, ms: 700 } }]);
    expect(recovery.report().caughtUp).toBe(true);
  });
});
