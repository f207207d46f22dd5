/**
 * The one typed API of a Synod node, shared by every side: the service in the main process implements
 * it, the Electron preload exposes it to the renderer over IPC, and the headless node serves it over a
 * local HTTP bridge (+ Server-Sent Events). The renderer talks to it through one client interface and
 * never knows which transport is underneath.
 *
 * Keep this file free of runtime imports from Electron, Node or the DOM.
 */
import type { BallotView, ClusterTrace, CommandReceipt, Discovery, Faults, JoinProgress, RecoveryReport, RemoteFaultView, TraceMessage } from './domain';

// Values the node produces and the API carries unchanged: defined once in domain.ts, exported here too.
export type { BallotView, ClusterTrace, ClusterTraceMember, MergedTraceMessage, TraceServed, CommandReceipt, DiscoveredCluster, Discovery, Faults, HeardMember, JoinProgress, JoinStage, ProtocolMessageType, RecoveryReport, RemoteFaultView, TraceMessage } from './domain';

/** Name under which the preload script exposes the API on `window`. */
export const SYNOD_API_KEY = 'synod';

export type NodeRole = 'follower' | 'candidate' | 'leader';

export interface PeerStatus {
  readonly id: string;
  /** The peer's UDP address `host:port` as last known (it follows the peer when it moves). */
  readonly address: string;
  /** An authenticated datagram arrived from it within the last few election timeouts. */
  readonly reachable: boolean;
  /** Milliseconds since the last authenticated datagram from it, or null if none yet. */
  readonly lastHeardMs: number | null;
  /** The peer's commit index as it last told us (heartbeats, pings), or null if unknown. */
  readonly commitIndex: number | null;
}

export interface NodeStatus {
  readonly id: string;
  readonly name: string;
  readonly clusterId: string;
  /** This node's UDP address `host:port`. */
  readonly address: string;
  readonly version: string;
  readonly role: NodeRole;
  readonly leader: string | null;
  /** The leader's ballot (or this node's own campaign). */
  readonly ballot: BallotView;
  /** This node's acceptor promise. */
  readonly promised: BallotView;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** Slots up to here were compacted (summarized by a snapshot). */
  readonly compactedThrough: number;
  /** Own commands waiting to be chosen. */
  readonly pendingCommands: number;
  readonly peers: readonly PeerStatus[];
  /** Datagrams dropped before reaching the protocol, by reason (malformed, unauthenticated, replayed, ...). */
  readonly dropped: Readonly<Record<string, number>>;
  /** Problems a user should see (a peer with a different member list, ...). */
  readonly warnings: readonly string[];
  /** Leadership changes seen by this node, oldest first (bounded). */
  readonly elections: readonly ElectionRecord[];
  readonly startedAt: number;
  readonly metrics: NodeMetrics;
  readonly membership: MembershipView;
  /** How this node came back when it started: from its disk, then from its peers (the dashboard's recovery banner). */
  readonly recovery: RecoveryReport;
  /** Faults members asked this node to inject for a while (clusterFaults), one set per member that asked. */
  readonly remoteFaults: readonly RemoteFaultView[];
}

/** A member of the replicated configuration. */
export interface MemberView {
  readonly id: string;
  /** `host:port` of its UDP socket, as recorded when it was added. */
  readonly address: string;
}

/**
 * Membership as the replicated log defines it. A change chosen at slot s takes effect at slot s + W
 * (W = `delaySlots`); at most one change is pending at a time.
 */
export interface MembershipView {
  /** Null while this node does not know the membership yet (it is joining). */
  readonly members: readonly MemberView[] | null;
  /** Whether this node is in `members`. */
  readonly isMember: boolean;
  /** A chosen change that has not taken effect yet. */
  readonly pending: { readonly members: readonly MemberView[]; readonly fromSlot: number; readonly changedAt: number } | null;
  readonly delaySlots: number;
  /** Progress of joining a cluster, when this node is doing so. */
  readonly joining: JoinProgress | null;
}

/** Counters since the node started. */
export interface NodeMetrics {
  /** Journal fsyncs (one per turn that had something durable to write). */
  readonly fsyncs: number;
  readonly journalBytes: number;
  readonly datagramsIn: number;
  readonly datagramsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly checkpoints: number;
  /** How long the last checkpoint paused the replica (exporting the database image). */
  readonly lastCheckpointStallMs: number;
  /** Commands applied here (all origins). */
  readonly commandsApplied: number;
  /** Average time from submitting one of this node's commands to its application here, recently (ms). */
  readonly recentCommitLatencyMs: number | null;
  /** The longest the event loop was held back in the last ~10 s (ms): heartbeats wait that long too. */
  readonly eventLoopDelayMaxMs: number;
  /** 99th percentile of the event loop's delay in the last ~10 s (ms). */
  readonly eventLoopDelayP99Ms: number;
  /**
   * The node process's memory (bytes): its resident set, and of the replica's thread the JavaScript heap
   * in use, the memory outside it (sql.js's WebAssembly memory and database file, buffers), and of that
   * the ArrayBuffers. What the resident set holds beyond is the checkpoint thread's, code and the runtime's.
   */
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number; readonly externalBytes: number; readonly arrayBuffersBytes: number };
}

/** A member as configured: its id and UDP address. */
export interface PeerConfig {
  readonly id: string;
  /** `host:port`. */
  readonly address: string;
}

/**
 * This node's local configuration, as the Peers page shows it. Who the members are is not configuration
 * but replicated state (NodeStatus.membership); `peers` is only the list a brand-new cluster started from.
 */
export interface NodeConfig {
  readonly id: string;
  readonly name: string;
  /** This node's UDP address `host:port`. */
  readonly address: string;
  /** The members a brand-new cluster started with (other than this node). */
  readonly peers: readonly PeerConfig[];
  /** Whether updateConfig may rename the user here (a headless node takes its name from its command line). */
  readonly editable: boolean;
  /** Why it is not editable, in words. */
  readonly note: string | null;
  /** This node holds commands of its own cluster's history (joining another cluster would discard them). */
  readonly hasHistory: boolean;
  /** The UDP port peers reach this node on (the firewall must let it in). */
  readonly port: number;
  /** Why the port is not Synod's usual one, in words, when that is worth saying; else null. */
  readonly portNote: string | null;
}

/** Synod's usual UDP port, the one README tells people to open. */
export const DEFAULT_UDP_PORT = 7400;

export interface ConfigUpdate {
  readonly name?: string;
  /** A new UDP port (1..65535): the replica restarts on it, and its peers follow its datagrams there. */
  readonly port?: number;
}

/** What a new machine needs to join this node's cluster, in one string (shared/invite-code.ts). */
export interface InviteCode {
  /** As sensitive as the secret inside it: whoever holds it can join the cluster. */
  readonly code: string;
  /** The member addresses it lists, the ones a new machine will ask. */
  readonly addresses: readonly string[];
}

export interface ElectionRecord {
  /** Wall-clock ms when this node noticed. */
  readonly at: number;
  readonly leader: string | null;
  readonly ballot: BallotView;
}

export type CommandType = 'register' | 'tweet' | 'block' | 'unblock' | 'addMember' | 'removeMember' | 'unknown';

/** A command as the log shows it. */
export interface CommandView {
  /** `origin/seq`. */
  readonly id: string;
  readonly type: CommandType;
  readonly author: string;
  readonly text?: string;
  readonly target?: string;
  readonly name?: string;
  /** addMember: the new member's address. */
  readonly address?: string;
  /** The author's timestamp (ms), when the command carries one. */
  readonly at: number | null;
}

export type LogStatus = 'chosen' | 'accepted' | 'empty';

export interface LogEntryView {
  readonly slot: number;
  readonly status: LogStatus;
  /** The ballot this node accepted the slot at, or null (learned through catch-up, or empty). */
  readonly ballot: BallotView | null;
  /** Empty for a no-op (chosen or accepted) and for an empty slot. */
  readonly commands: readonly CommandView[];
}

export interface LogPage {
  /** The first slot still held in the log (earlier ones were compacted). */
  readonly firstSlot: number;
  readonly commitIndex: number;
  readonly entries: readonly LogEntryView[];
}

export interface TimelineEntry {
  readonly id: string;
  readonly author: string;
  readonly authorName: string | null;
  readonly text: string;
  readonly slot: number;
  readonly position: number;
  readonly at: number;
}

export interface UserView {
  readonly id: string;
  readonly name: string;
  readonly registeredSlot: number;
  /** Whom this user blocks. */
  readonly blocks: readonly string[];
  /** Who blocks this user. */
  readonly blockedBy: readonly string[];
}

export type SynodEvent =
  /** Slots fromSlot..toSlot became chosen and were applied here. */
  | { readonly type: 'chosen'; readonly fromSlot: number; readonly toSlot: number }
  | { readonly type: 'status'; readonly status: NodeStatus }
  | { readonly type: 'trace'; readonly messages: readonly TraceMessage[] }
  /** The node is down for a while (a member asked it to crash): why, and when it starts again. */
  | { readonly type: 'down'; readonly message: string; readonly untilMs: number };

export type ApiErrorCode =
  /** The arguments were invalid; nothing was done. */
  | 'invalid-argument'
  /** No quorum answered in time: the command (its id is given) stays queued and will be chosen exactly once. */
  | 'pending'
  /** The command was chosen but the state machine rejected it (e.g. its target does not exist any more). */
  | 'rejected'
  /** The node is shutting down or not ready. */
  | 'unavailable'
  /** The action would lose something (history, quorum): repeat it with explicit consent (`force`, `discardHistory`). */
  | 'needs-confirmation'
  /** Missing or wrong token (HTTP bridge) or sender (IPC). */
  | 'unauthorized'
  /** No such method. */
  | 'not-found'
  | 'internal';

export interface ApiErrorBody {
  readonly code: ApiErrorCode;
  readonly message: string;
  /** The command id, for `pending` and `rejected`. */
  readonly id?: string;
}

/** How every transport carries a result: exactly one of the two fields. */
export type ApiResponse<T> = { readonly result: T } | { readonly error: ApiErrorBody };

/** What API methods reject with, on every side. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly id: string | undefined;

  constructor(body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.code = body.code;
    this.id = body.id;
  }

  toBody(): ApiErrorBody {
    return this.id === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, id: this.id };
  }
}

export interface TimelineArgs {
  /** 1..500, default 50. */
  readonly limit?: number;
  /** Only entries strictly older than this log position (for paging). */
  readonly before?: { readonly slot: number; readonly position: number };
}

export interface LogArgs {
  /** First slot to return; default: the latest `limit` slots. */
  readonly from?: number;
  /** 1..1000, default 100. */
  readonly limit?: number;
}

export interface JoinArgs {
  /** The UDP address `host:port` of a member of the cluster to join, or several: any one that answers adds this node. */
  readonly address: string | readonly string[];
  /** That cluster's secret (8+ characters). */
  readonly secret: string;
  /** Consent to discard this node's own history (its one-node cluster's tweets); required when it has any. */
  readonly discardHistory?: boolean;
}

export interface RemoveMemberArgs {
  readonly id: string;
  /** Consent to a removal that leaves too few reachable members for a majority (the cluster would stall). */
  readonly force?: boolean;
}

export interface ClusterTraceArgs {
  /** Only messages placed at or after this time (ms, this node's clock). */
  readonly sinceMs?: number;
  /** Only messages that arrived after this one: the `lastSeq` of an earlier answer (polling). */
  readonly afterSeq?: number;
  /** 1..10,000, default 2,000: the newest matching messages. */
  readonly limit?: number;
  /** false: read what is there without starting or renewing the watch. Default true. */
  readonly watch?: boolean;
}

/** The longest a clusterFaults request lasts without renewal (ms): a member whose requester vanished heals itself. */
export const MAX_CLUSTER_FAULT_TTL_MS = 120_000;
/** The most delay clusterFaults may add (ms). */
export const MAX_CLUSTER_FAULT_DELAY_MS = 5_000;

/** The shortest a crashMember request keeps its member down (ms): longer than the request is retransmitted. */
export const MIN_CRASH_DOWN_MS = 3_000;
/** The longest (ms): the member comes back on its own. */
export const MAX_CRASH_DOWN_MS = 60_000;

export interface ClusterFaultsArgs {
  /** The member to inject them (this node's own id works too). */
  readonly member: string;
  /** Replaces whatever this node asked that member before; all zero and empty: none. */
  readonly faults: Faults;
  /** 0..MAX_CLUSTER_FAULT_TTL_MS: they end on their own this long after the request unless asked again; 0 clears them now. */
  readonly ttlMs: number;
}

export interface ClusterFaultsResult {
  readonly member: string;
  /** The faults now held there for this node (none after ttlMs 0), and for how long. */
  readonly faults: Faults;
  readonly ttlMs: number;
}

/** A chosen membership change. */
export interface MembershipReceipt {
  /** The command id, `origin/seq`. */
  readonly id: string;
  /** The slot that holds it. */
  readonly slot: number;
  /** The first slot decided by the new configuration. */
  readonly effectiveSlot: number;
}

/** Every request/response method: its argument type and its result type. */
export interface ApiMethods {
  status: { args: void; result: NodeStatus };
  tweet: { args: { readonly text: string }; result: CommandReceipt };
  block: { args: { readonly user: string }; result: CommandReceipt };
  unblock: { args: { readonly user: string }; result: CommandReceipt };
  timeline: { args: TimelineArgs | undefined; result: readonly TimelineEntry[] };
  users: { args: void; result: readonly UserView[] };
  log: { args: LogArgs | undefined; result: LogPage };
  peers: { args: void; result: readonly PeerStatus[] };
  faults: { args: void; result: Faults };
  setFaults: { args: Partial<Faults>; result: Faults };
  config: { args: void; result: NodeConfig };
  /** Saves the configuration (the display name, the UDP port) and restarts the replica with it. */
  updateConfig: { args: ConfigUpdate; result: NodeConfig };
  /** The cluster secret, for the user to copy to a new member. */
  revealSecret: { args: void; result: { readonly secret: string } };
  /** An invite code: some members' addresses and the secret, for a new machine to join with. */
  inviteCode: { args: void; result: InviteCode };
  /** The other Synod clusters heard on the local network, to pick one to join. */
  discovered: { args: void; result: Discovery };
  /**
   * Makes this node a member of another cluster: saves the secret, discards this node's own history
   * (refused with `needs-confirmation` unless `discardHistory` when it has any) and asks the member at
   * `address` to add it. Resolves once the request is under way; progress shows in status().membership.joining.
   */
  join: { args: JoinArgs; result: NodeConfig };
  /**
   * Removes a member through the log. Refused when it would remove the last member, while another change
   * is pending, and (`needs-confirmation`) when the remaining reachable members are no majority, unless `force`.
   */
  removeMember: { args: RemoveMemberArgs; result: MembershipReceipt };
  /**
   * Every member's recent messages, merged on this node's clock (each member's clock offset measured, with
   * its uncertainty). Calling it is watching: this node then holds a lease on every member's trace for a
   * few seconds, renewed by the next call; when nobody calls, the members trace nothing for it.
   */
  clusterTrace: { args: ClusterTraceArgs | undefined; result: ClusterTrace };
  /**
   * Asks a member (over the authenticated peer channel; members obey members only) to inject faults for
   * `ttlMs`; renew before they lapse to keep them. Resolves once the member acknowledged; `unavailable`
   * when it does not answer within a couple of seconds. The Scenarios panel's tool.
   */
  clusterFaults: { args: ClusterFaultsArgs; result: ClusterFaultsResult };
  /** Asks a member to campaign for leadership now (skipping the pre-vote); resolves once it acknowledged. */
  campaignNow: { args: { readonly member: string }; result: { readonly member: string } };
  /**
   * Asks a member (this node too) to crash: it drops its replica, memory and socket as a crash would,
   * and after `downMs` (MIN_CRASH_DOWN_MS..MAX_CRASH_DOWN_MS) starts again from its data directory: its
   * status().recovery then tells how. Resolves once the member acknowledged (it crashes right after).
   */
  crashMember: { args: { readonly member: string; readonly downMs: number }; result: { readonly member: string; readonly downMs: number } };
}

export type ApiMethodName = keyof ApiMethods;

export const API_METHODS: readonly ApiMethodName[] = [
  'status',
  'tweet',
  'block',
  'unblock',
  'timeline',
  'users',
  'log',
  'peers',
  'faults',
  'setFaults',
  'config',
  'updateConfig',
  'revealSecret',
  'inviteCode',
  'discovered',
  'join',
  'removeMember',
  'clusterTrace',
  'clusterFaults',
  'campaignNow',
  'crashMember',
];

/** The API as callers see it: one async function per method, plus an event subscription. */
export type SynodApi = {
  readonly [M in ApiMethodName]: ApiMethods[M]['args'] extends void ? () => Promise<ApiMethods[M]['result']> : (args: ApiMethods[M]['args']) => Promise<ApiMethods[M]['result']>;
} & {
  /** Calls `listener` for every event until the returned function is called. */
  subscribe(listener: (event: SynodEvent) => void): () => void;
};
