import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api';
import { NodeError } from '../node/node-error';
import type { NodeState } from '../node/node-state';
import { apiErrorOf, asApi } from './api-errors';
import { nodeStatusView, synodEventOf } from './views';

function state(overrides: Partial<NodeState> = {}): NodeState {
  const members = [
    { id: 'n1', address: '10.0.0.1:7400' },
    { id: 'n2', address: '10.0.0.2:7400' },
  ];
  return {
    id: 'n1',
    name: 'Ann',
    clusterId: 'c0ffee',
    address: '10.0.0.1:7400',
    version: 'test',
    startedAt: 1_000,
    takenAt: 60_000,
    core: { id: 'n1', role: 'leader', leader: 'n1', ballot: { round: 3, node: 'n1' }, promised: { round: 3, node: 'n1' }, commitIndex: 10, appliedIndex: 10, compactedThrough: 0, pendingCommands: 1, members },
    isMember: true,
    latestEpoch: { fromSlot: 1, members, changedAt: 0 },
    joining: null,
    peers: [{ id: 'n2', address: '10.0.0.2:7400', lastHeardMs: 40, reachable: true, commitIndex: 9 }],
    dropped: { 'invalid-slot': 2 },
    memberMismatch: [],
    leaderChanges: [{ at: 2_000, leader: 'n1', ballot: { round: 3, node: 'n1' } }],
    recovery: { at: 1_000, ms: 140, checkpointSlot: 8, checkpointBytes: 4_096, journalRecords: 3, replayedSlots: [9, 10], tornTailTruncated: false, learnedFromPeers: null, snapshotInstalled: false, caughtUp: true },
    remoteFaults: [],
    counters: {
      journal: { syncs: 5, bytes: 900 },
      datagrams: { received: 7, sent: 8, receivedBytes: 700, sentBytes: 800 },
      checkpoints: { started: 1, lastStallMs: 3 },
      commandsApplied: 10,
      commitLatencyMs: 2.5,
      loopDelay: { maxMs: 12, p99Ms: 4 },
      memory: { rssBytes: 90e6, heapUsedBytes: 20e6, externalBytes: 40e6, arrayBuffersBytes: 38e6 },
    },
    ...overrides,
  };
}

describe('the node state as the API shows it', () => {
  it('maps every part of NodeStatus', () => {
    expect(nodeStatusView(state())).toEqual({
      id: 'n1',
      name: 'Ann',
      clusterId: 'c0ffee',
      address: '10.0.0.1:7400',
      version: 'test',
      role: 'leader',
      leader: 'n1',
      ballot: { round: 3, node: 'n1' },
      promised: { round: 3, node: 'n1' },
      commitIndex: 10,
      appliedIndex: 10,
      compactedThrough: 0,
      pendingCommands: 1,
      peers: [{ id: 'n2', address: '10.0.0.2:7400', reachable: true, lastHeardMs: 40, commitIndex: 9 }],
      dropped: { 'invalid-slot': 2 },
      warnings: [],
      elections: [{ at: 2_000, leader: 'n1', ballot: { round: 3, node: 'n1' } }],
      startedAt: 1_000,
      membership: { members: state().core.members, isMember: true, pending: null, delaySlots: expect.any(Number) as number, joining: null },
      recovery: state().recovery,
      remoteFaults: [],
      metrics: {
        fsyncs: 5,
        journalBytes: 900,
        datagramsIn: 7,
        datagramsOut: 8,
        bytesIn: 700,
        bytesOut: 800,
        checkpoints: 1,
        lastCheckpointStallMs: 3,
        commandsApplied: 10,
        recentCommitLatencyMs: 2.5,
        eventLoopDelayMaxMs: 12,
        eventLoopDelayP99Ms: 4,
        memory: { rssBytes: 90e6, heapUsedBytes: 20e6, externalBytes: 40e6, arrayBuffersBytes: 38e6 },
      },
    });
  });

  it('shows a chosen change as pending until the first slot it governs, and warns only of a lasting member-list mismatch', () => {
    const next = [{ id: 'n1', address: '10.0.0.1:7400' }];
    const status = nodeStatusView(
      state({
        latestEpoch: { fromSlot: 75, members: next, changedAt: 11 },
        memberMismatch: [
          { peer: 'n2', since: 60_000 - 10_000 },
          { peer: 'n3', since: 60_000 - 9_999 },
        ],
      }),
    );
    expect(status.membership.pending).toEqual({ members: next, fromSlot: 75, changedAt: 11 });
    expect(status.warnings).toEqual([expect.stringMatching(/^Peer n2 has a different member list/) as string]);
  });

  it('turns node events into API events', () => {
    expect(synodEventOf({ type: 'chosen', fromSlot: 3, toSlot: 4 })).toEqual({ type: 'chosen', fromSlot: 3, toSlot: 4 });
    expect(synodEventOf({ type: 'state', state: state() })).toEqual({ type: 'status', status: nodeStatusView(state()) });
  });
});

describe('node errors as API errors', () => {
  it('gives each kind its code, keeping the message and the command id', () => {
    const cases = [
      ['invalid', 'invalid-argument'],
      ['unavailable', 'unavailable'],
      ['needs-consent', 'needs-confirmation'],
      ['pending', 'pending'],
      ['rejected', 'rejected'],
      ['failed', 'internal'],
    ] as const;
    for (const [kind, code] of cases) expect(apiErrorOf(new NodeError(kind, 'why')).toBody()).toEqual({ code, message: 'why' });
    expect(apiErrorOf(new NodeError('pending', 'no quorum', 'n1/7')).toBody()).toEqual({ code: 'pending', message: 'no quorum', id: 'n1/7' });
  });

  it('maps what a method throws or rejects with, and passes anything else through', async () => {
    await expect(asApi(() => Promise.reject(new NodeError('rejected', 'gone', 'n1/2')))).rejects.toMatchObject({ constructor: ApiError, code: 'rejected', id: 'n1/2' });
    await expect(
      asApi(() => {
        throw new NodeError('invalid', 'bad');
      }),
    ).rejects.toBeInstanceOf(ApiError);
    const other = new Error('disk on fire');
    await expect(asApi(() => Promise.reject(other))).rejects.toBe(other);
    await expect(asApi(() => 42)).resolves.toBe(42);
  });
});
