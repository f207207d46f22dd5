/**
 * Turns the node's state and stored data into the API's views (shared/api.ts): the node's state into
 * NodeStatus (with its MembershipView and user-facing warnings), its events into SynodEvents, log rows
 * into LogEntryView, command payloads into CommandView (membership commands with the member's id as
 * `target`). A payload nobody can read is shown as type 'unknown' rather than hidden.
 */
import type { BallotView, CommandView, ElectionRecord, LogEntryView, MembershipView, NodeMetrics, NodeStatus, PeerStatus, SynodEvent } from '../../shared/api';
import { decodeCommand } from '../app/commands';
import type { Ballot } from '../core/ballot';
import { decodeMembershipChange, MEMBERSHIP_DELAY_SLOTS } from '../core/membership';
import { commandKey, type Command } from '../core/types';
import type { LeaderChange, NodeCounters, NodeEvent, NodeState, PeerState } from '../node/node-state';
import type { LogRow } from '../storage/store-tables';

/** Member lists may differ this long (a change spreading through the cluster) before it is a warning. */
const MEMBER_MISMATCH_GRACE_MS = 10_000;

export function ballotView(ballot: Ballot): BallotView {
  return { round: ballot.round, node: ballot.node };
}

export function commandView(command: Command): CommandView {
  const base = { id: commandKey(command.origin, command.seq), author: command.origin };
  const change = decodeMembershipChange(command.payload);
  if (change !== null) {
    return change.type === 'addMember' ? { ...base, type: change.type, target: change.id, address: change.address, at: null } : { ...base, type: change.type, target: change.id, at: null };
  }
  const decoded = decodeCommand(command.payload);
  if (decoded === null) return { ...base, type: 'unknown', at: null };
  switch (decoded.type) {
    case 'register':
      return { ...base, type: 'register', name: decoded.name, at: decoded.at };
    case 'tweet':
      return { ...base, type: 'tweet', text: decoded.text, at: decoded.at };
    case 'block':
    case 'unblock':
      return { ...base, type: decoded.type, target: decoded.target, at: decoded.at };
  }
}

/** A slot of the log page: chosen, accepted (not known chosen yet), or empty (nothing known here). */
export function logEntryView(slot: number, row: LogRow | undefined): LogEntryView {
  if (row === undefined) return { slot, status: 'empty', ballot: null, commands: [] };
  const value = row.chosen ?? row.accepted?.value ?? [];
  return {
    slot,
    status: row.chosen !== null ? 'chosen' : 'accepted',
    ballot: row.accepted === null ? null : ballotView(row.accepted.ballot),
    commands: value.map(commandView),
  };
}

export function nodeStatusView(state: NodeState): NodeStatus {
  const { core } = state;
  return {
    id: state.id,
    name: state.name,
    clusterId: state.clusterId,
    address: state.address,
    version: state.version,
    role: core.role,
    leader: core.leader,
    ballot: ballotView(core.ballot),
    promised: ballotView(core.promised),
    commitIndex: core.commitIndex,
    appliedIndex: core.appliedIndex,
    compactedThrough: core.compactedThrough,
    pendingCommands: core.pendingCommands,
    peers: peerViews(state.peers),
    dropped: state.dropped,
    // A membership change makes views differ for a moment; only a lasting difference is a problem.
    warnings: state.memberMismatch
      .filter(({ since }) => state.takenAt - since >= MEMBER_MISMATCH_GRACE_MS)
      .map(({ peer }) => `Peer ${peer} has a different member list than this node. A new cluster's nodes must all start with the same --peer entries; add machines later with --join.`),
    elections: state.leaderChanges.map(electionView),
    recovery: state.recovery,
    remoteFaults: state.remoteFaults,
    startedAt: state.startedAt,
    membership: membershipView(state),
    metrics: metricsView(state.counters),
  };
}

export function peerViews(peers: readonly PeerState[]): PeerStatus[] {
  return peers.map((peer) => ({ id: peer.id, address: peer.address, reachable: peer.reachable, lastHeardMs: peer.lastHeardMs, commitIndex: peer.commitIndex }));
}

/** Membership as the log defines it: a chosen change is pending until the first slot it governs is reached. */
export function membershipView(state: NodeState): MembershipView {
  const latest = state.latestEpoch;
  return {
    members: state.core.members,
    isMember: state.isMember,
    pending: latest !== null && latest.fromSlot > state.core.commitIndex + 1 ? { members: latest.members, fromSlot: latest.fromSlot, changedAt: latest.changedAt } : null,
    delaySlots: MEMBERSHIP_DELAY_SLOTS,
    joining: state.joining,
  };
}

function electionView(change: LeaderChange): ElectionRecord {
  return { at: change.at, leader: change.leader, ballot: ballotView(change.ballot) };
}

function metricsView(counters: NodeCounters): NodeMetrics {
  return {
    fsyncs: counters.journal.syncs,
    journalBytes: counters.journal.bytes,
    datagramsIn: counters.datagrams.received,
    datagramsOut: counters.datagrams.sent,
    bytesIn: counters.datagrams.receivedBytes,
    bytesOut: counters.datagrams.sentBytes,
    checkpoints: counters.checkpoints.started,
    lastCheckpointStallMs: counters.checkpoints.lastStallMs,
    commandsApplied: counters.commandsApplied,
    recentCommitLatencyMs: counters.commitLatencyMs,
    eventLoopDelayMaxMs: counters.loopDelay.maxMs,
    eventLoopDelayP99Ms: counters.loopDelay.p99Ms,
    memory: counters.memory,
  };
}

/** A node event as the API's subscribers see it. */
export function synodEventOf(event: NodeEvent): SynodEvent {
  switch (event.type) {
    case 'chosen':
      return { type: 'chosen', fromSlot: event.fromSlot, toSlot: event.toSlot };
    case 'state':
      return { type: 'status', status: nodeStatusView(event.state) };
    case 'trace':
      return { type: 'trace', messages: event.messages };
    case 'down':
      return { type: 'down', untilMs: event.untilMs, message: `This node crashed on a member's request (the Scenarios panel) and starts again from its disk at ${new Date(event.untilMs).toLocaleTimeString()}.` };
  }
}
