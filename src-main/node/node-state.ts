/**
 * What a running node reports about itself and announces to its listeners: plain facts in the node's
 * own terms (core ballots, wall-clock times, counters by where they come from). The node layer never
 * builds the API's views: the service turns these into NodeStatus and SynodEvent (service/views.ts).
 *
 * Every value is a snapshot: nothing here changes after the node handed it out.
 */
import type { JoinProgress, RecoveryReport, RemoteFaultView, TraceMessage } from '../../shared/domain';
import type { Ballot } from '../core/ballot';
import type { MembershipEpoch } from '../core/membership';
import type { NodeId, ReplicaStatus, Slot } from '../core/types';
import type { LoopDelay } from './loop-monitor';

/** A peer of the transport, as this node sees it. */
export interface PeerState {
  readonly id: NodeId;
  /** Its UDP address `host:port` as last known (the transport follows a peer that moves). */
  readonly address: string;
  /** Milliseconds since the last authenticated datagram from it (when this was taken), or null if none yet. */
  readonly lastHeardMs: number | null;
  /** Heard from within the reachability window (node-status.ts's rule, the one removeMember uses too). */
  readonly reachable: boolean;
  /** Its commit index as it last reported it (heartbeats, pings), or null if unknown. */
  readonly commitIndex: Slot | null;
}

/** A change of the leader this node follows, as it noticed it. */
export interface LeaderChange {
  /** Wall-clock ms. */
  readonly at: number;
  readonly leader: NodeId | null;
  readonly ballot: Ballot;
}

/** Counters since the node started, by where they come from. */
export interface NodeCounters {
  readonly journal: { readonly syncs: number; readonly bytes: number };
  readonly datagrams: { readonly received: number; readonly sent: number; readonly receivedBytes: number; readonly sentBytes: number };
  /** Checkpoints started, and how long the last one paused the replica (ms). */
  readonly checkpoints: { readonly started: number; readonly lastStallMs: number };
  /** Commands applied here (all origins). */
  readonly commandsApplied: number;
  /** Exponentially weighted average of own commands' submit-to-applied time (ms), null before the first. */
  readonly commitLatencyMs: number | null;
  /** The event loop's delay over the last few status intervals. */
  readonly loopDelay: LoopDelay;
  /** The process's memory now (process.memoryUsage(): the heap and external figures are the replica's thread's). */
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number; readonly externalBytes: number; readonly arrayBuffersBytes: number };
}

export interface NodeState {
  readonly id: NodeId;
  readonly name: string;
  readonly clusterId: string;
  /** This node's UDP address `host:port`. */
  readonly address: string;
  readonly version: string;
  /** Wall-clock ms when the node started. */
  readonly startedAt: number;
  /** Wall-clock ms when this state was taken. */
  readonly takenAt: number;
  readonly core: ReplicaStatus;
  /** This node is in the configuration of the first unchosen slot (core.members). */
  readonly isMember: boolean;
  /** The newest configuration chosen (it may take effect later); null while this node does not know the membership. */
  readonly latestEpoch: MembershipEpoch | null;
  /** How joining goes, when this node is joining or joined a cluster. */
  readonly joining: JoinProgress | null;
  readonly peers: readonly PeerState[];
  /** Datagrams and messages dropped before reaching the protocol, by reason (transport, runtime, transfers). */
  readonly dropped: Readonly<Record<string, number>>;
  /** Peers whose latest datagrams advertised a member set other than ours, since when (wall-clock ms). */
  readonly memberMismatch: readonly { readonly peer: NodeId; readonly since: number }[];
  /** Leader changes noticed, oldest first (bounded). */
  readonly leaderChanges: readonly LeaderChange[];
  /** How this node came back when it started (from its disk, then from its peers). */
  readonly recovery: RecoveryReport;
  /** Faults members asked this node to hold for a while (cluster-control.ts). */
  readonly remoteFaults: readonly RemoteFaultView[];
  readonly counters: NodeCounters;
}

/** What a node tells its listeners. */
export type NodeEvent =
  /** Slots fromSlot..toSlot became chosen and were applied here. */
  | { readonly type: 'chosen'; readonly fromSlot: Slot; readonly toSlot: Slot }
  /** The leadership changed, or time passed (sent every status interval). */
  | { readonly type: 'state'; readonly state: NodeState }
  | { readonly type: 'trace'; readonly messages: readonly TraceMessage[] }
  /** The replica stopped for a while (a crash a member asked for) and starts again from disk at `untilMs` (Date.now() ms). */
  | { readonly type: 'down'; readonly untilMs: number };
