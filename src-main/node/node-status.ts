/**
 * What a running node reports about itself: its NodeState (node-state.ts), gathered from the replica,
 * the transport, the store and the node's parts, and the facts this module alone keeps and logs: the
 * leader changes it noticed, the commit index each peer reported, which peers are reachable (with a log
 * line when one comes up or goes down), the messages the runtime dropped, the commands applied and
 * their commit latency, and when the node caught up after its start.
 *
 * Reachability, the one rule for the API, the log and removeMember (membership-admin.ts): a peer is
 * reachable if an authenticated datagram of it arrived within `reachableWindowMs`.
 */
import type { JoinProgress, RemoteFaultView } from '../../shared/domain';
import { formatBallot } from '../../shared/ballot-text';
import { ballotsEqual } from '../core/ballot';
import { latestEpoch, type MembershipState } from '../core/membership';
import type { NodeId, ReplicaStatus, Slot } from '../core/types';
import type { TransportStats } from '../net/udp-transport';
import type { JournalStats } from '../storage/journal';
import type { Logger } from './logger';
import type { LoopMonitor } from './loop-monitor';
import type { LeaderChange, NodeCounters, NodeState, PeerState } from './node-state';
import type { RecoveryTracker } from './recovery-tracker';

/** Leader changes kept for the inspector (the oldest are dropped). */
export const ELECTIONS_KEPT = 50;
/** Stalls of the event loop longer than this fraction of the minimum election timeout are logged. */
const STALL_WARNING_FRACTION = 0.5;

/** A peer as the transport knows it. */
export interface TransportPeer {
  readonly id: NodeId;
  /** `host:port` as last known. */
  readonly address: string;
  /** Wall-clock ms of its last authenticated datagram, or null if none yet. */
  readonly lastHeardAt: number | null;
}

/** Where the status comes from: the node's identity, and its parts as functions read when asked. */
export interface NodeStatusContext {
  readonly id: NodeId;
  readonly name: string;
  readonly clusterId: string;
  readonly version: string;
  /** The longest drawn election timeout (node-options.ts): the reachability window and the stall warning follow from it. */
  readonly electionTimeoutMaxMs: number;
  /** Wall-clock ms. */
  readonly now: () => number;
  readonly core: () => ReplicaStatus;
  readonly membership: () => MembershipState | null;
  readonly isMember: () => boolean;
  /** This node's UDP address, `host:port`. */
  readonly address: () => string;
  readonly transportPeers: () => readonly TransportPeer[];
  readonly transportStats: () => TransportStats;
  readonly journalStats: () => Pick<JournalStats, 'syncs' | 'bytes'>;
  readonly joining: () => JoinProgress | null;
  /** Drops counted by the node's other parts (transfers, cluster trace and control, bulk sender), by reason. */
  readonly droppedElsewhere: () => Readonly<Record<string, number>>;
  readonly recovery: Pick<RecoveryTracker, 'noteProgress' | 'report'>;
  readonly remoteFaults: () => readonly RemoteFaultView[];
  readonly checkpoints: () => NodeCounters['checkpoints'];
  /** The event loop's delay; the status interval closes its intervals (rotate). */
  readonly loopMonitor: Pick<LoopMonitor, 'rotate' | 'delay'>;
  readonly logger: Logger;
}

/** Whether a peer last heard `lastHeardMs` ago (null: never) counts as reachable. */
export function isReachable(lastHeardMs: number | null, reachableWindowMs: number): boolean {
  return lastHeardMs !== null && lastHeardMs <= reachableWindowMs;
}

/** The reachability window of a node whose drawn election timeouts reach `electionTimeoutMaxMs` (node-options.ts): three of them, at least 1.5 s. */
export function reachableWindowMsFor(electionTimeoutMaxMs: number): number {
  return Math.max(1_500, 3 * electionTimeoutMaxMs);
}

export class NodeStatus {
  /** Wall-clock ms when the node started. */
  readonly startedAt: number;
  private readonly elections: LeaderChange[] = [];
  private lastCore: ReplicaStatus;
  /** The peers the last periodic state found reachable (for the peer-up/peer-down log lines). */
  private reachablePeers = new Set<NodeId>();
  /** The latest commit index each peer reported (pings, heartbeats). */
  private readonly peerCommit = new Map<NodeId, Slot>();
  /** Messages (and forwarded commands) the runtime dropped, by reason: the validation boundary (`invalid-*`), a full inbox. */
  private readonly droppedByRuntime: Record<string, number> = {};
  private commandsApplied = 0;
  /** Exponentially weighted average of own commands' submit-to-applied time. */
  private commitLatencyMs: number | null = null;
  private readonly reachableWindowMs: number;

  constructor(private readonly ctx: NodeStatusContext) {
    this.startedAt = ctx.now();
    this.reachableWindowMs = reachableWindowMsFor(ctx.electionTimeoutMaxMs);
    this.lastCore = ctx.core();
  }

  /** What this node knows about itself now (the service shows it as the API's NodeStatus). */
  state(): NodeState {
    const { ctx } = this;
    const core = ctx.core();
    const membership = ctx.membership();
    const stats = ctx.transportStats();
    const journal = ctx.journalStats();
    const now = ctx.now();
    return {
      id: ctx.id,
      name: ctx.name,
      clusterId: ctx.clusterId,
      address: ctx.address(),
      version: ctx.version,
      startedAt: this.startedAt,
      takenAt: now,
      core,
      isMember: ctx.isMember(),
      latestEpoch: membership === null ? null : latestEpoch(membership),
      joining: ctx.joining(),
      peers: this.peers(now),
      dropped: { ...stats.dropped, ...this.droppedByRuntime, ...ctx.droppedElsewhere() },
      memberMismatch: stats.memberMismatch.map(({ peer, since }) => ({ peer, since })),
      leaderChanges: [...this.elections],
      recovery: ctx.recovery.report(),
      remoteFaults: ctx.remoteFaults(),
      counters: {
        journal: { syncs: journal.syncs, bytes: journal.bytes },
        datagrams: { received: stats.receivedDatagrams, sent: stats.sentDatagrams, receivedBytes: stats.receivedBytes, sentBytes: stats.sentBytes },
        checkpoints: ctx.checkpoints(),
        commandsApplied: this.commandsApplied,
        commitLatencyMs: this.commitLatencyMs,
        loopDelay: ctx.loopMonitor.delay(),
        memory: memoryNow(),
      },
    };
  }

  /**
   * Every status interval: closes the event loop monitor's interval (logging a stall that neared the
   * election timeout), logs the peers that came up or went down since the last interval, and returns
   * the state to publish (last-heard times move on).
   */
  intervalState(): NodeState {
    const { maxMs } = this.ctx.loopMonitor.rotate();
    const { electionTimeoutMaxMs } = this.ctx;
    if (maxMs > (STALL_WARNING_FRACTION * electionTimeoutMaxMs) / 2) this.ctx.logger.event('event-loop-stall', { maxMs, electionTimeoutMs: electionTimeoutMaxMs / 2 });
    const state = this.state();
    const reachable = new Set(state.peers.filter((p) => p.reachable).map((p) => p.id));
    for (const peer of state.peers) {
      if (reachable.has(peer.id) && !this.reachablePeers.has(peer.id)) this.ctx.logger.event('peer-up', { peer: peer.id, address: peer.address });
      if (!reachable.has(peer.id) && this.reachablePeers.has(peer.id)) this.ctx.logger.event('peer-down', { peer: peer.id, address: peer.address });
    }
    this.reachablePeers = reachable;
    return state;
  }

  /** The transport's peers as of `now` (wall-clock ms), with whether each is reachable (heard within the window). */
  peers(now = this.ctx.now()): PeerState[] {
    return this.ctx.transportPeers().map((peer) => {
      const lastHeardMs = peer.lastHeardAt === null ? null : now - peer.lastHeardAt;
      return { id: peer.id, address: peer.address, lastHeardMs, reachable: isReachable(lastHeardMs, this.reachableWindowMs), commitIndex: this.peerCommit.get(peer.id) ?? null };
    });
  }

  /** Peers heard from within the reachability window (this node excluded). */
  reachablePeerIds(): Set<NodeId> {
    const now = this.ctx.now();
    return new Set(
      this.ctx
        .transportPeers()
        .filter((peer) => isReachable(peer.lastHeardAt === null ? null : now - peer.lastHeardAt, this.reachableWindowMs))
        .map((peer) => peer.id),
    );
  }

  /**
   * Logs leadership changes and remembers them for the inspector; true if the leader, its ballot or
   * this node's role changed since the last call (the node then publishes its state).
   */
  noteLeadershipChanges(): boolean {
    const { logger } = this.ctx;
    const now = this.ctx.core();
    const before = this.lastCore;
    this.lastCore = now;
    if (now.leader === before.leader && ballotsEqual(now.ballot, before.ballot) && now.role === before.role) return false;
    if (now.role === 'candidate' && before.role !== 'candidate') logger.event('campaigning', { ballot: formatBallot(now.ballot), leader: now.leader ?? 'none' });
    if (now.role === 'leader' && before.role !== 'leader') logger.event('elected', { ballot: formatBallot(now.ballot) });
    if (before.role === 'leader' && now.role !== 'leader') logger.event('lost-leadership', { ballot: formatBallot(before.ballot) });
    if (now.leader !== before.leader) {
      this.elections.push({ at: this.ctx.now(), leader: now.leader, ballot: now.ballot });
      if (this.elections.length > ELECTIONS_KEPT) this.elections.shift();
      if (now.leader !== null && now.leader !== this.ctx.id) logger.event('following', { leader: now.leader, ballot: formatBallot(now.ballot) });
    }
    return true;
  }

  /** `peer` reported its commit index (a ping, a commit, a commit acknowledgement). */
  notePeerCommit(peer: NodeId, commitIndex: Slot): void {
    this.peerCommit.set(peer, commitIndex);
  }

  /** Until it has caught up after its start, the slots this node applies were learned from its peers. */
  noteRecoveryProgress(): void {
    const { appliedIndex, members } = this.ctx.core();
    const reported = [...this.peerCommit.values()];
    const peersCommit = reported.length === 0 ? null : Math.max(...reported);
    const alone = members !== null && members.every((member) => member.id === this.ctx.id);
    if (!this.ctx.recovery.noteProgress(appliedIndex, peersCommit, alone)) return;
    const { learnedFromPeers, snapshotInstalled } = this.ctx.recovery.report();
    this.ctx.logger.event('caught-up', { learned: learnedFromPeers === null ? 'none' : `${learnedFromPeers[0]}-${learnedFromPeers[1]}`, snapshot: snapshotInstalled, ms: this.ctx.now() - this.startedAt });
  }

  /** The runtime dropped a message (or a forwarded command) for `reason`. */
  countDrop(reason: string): void {
    this.droppedByRuntime[reason] = (this.droppedByRuntime[reason] ?? 0) + 1;
  }

  /** A chosen command (of any origin) was applied here. */
  noteCommandApplied(): void {
    this.commandsApplied++;
  }

  /** One of this node's own commands was applied `tookMs` after it was submitted. */
  noteCommitLatency(tookMs: number): void {
    this.commitLatencyMs = this.commitLatencyMs === null ? tookMs : 0.9 * this.commitLatencyMs + 0.1 * tookMs;
  }
}

function memoryNow(): NodeCounters['memory'] {
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, externalBytes: usage.external, arrayBuffersBytes: usage.arrayBuffers };
}
