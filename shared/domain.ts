/**
 * Plain values a Synod node produces that the API carries unchanged: the node's runtime (src-main/node,
 * src-main/net) builds them without depending on the API, and shared/api.ts re-exports them, so every
 * side (service, transports, renderer) still finds the whole API there. Defined once, here.
 *
 * Keep this file free of runtime imports from Electron, Node or the DOM.
 */

/** A Paxos ballot (round, node), shown as `round.node`. */
export interface BallotView {
  readonly round: number;
  readonly node: string;
}

export type JoinStage =
  /** Asking the contact member to add this node. */
  | 'contacting'
  /** The contact accepted; waiting for the addMember command to be chosen. */
  | 'adding'
  /** Added: fetching the snapshot and the log tail. */
  | 'catching-up'
  /** A full member with the whole history. */
  | 'member'
  /** The contact refused (see message). */
  | 'refused';

export interface JoinProgress {
  /** The member contacted, `host:port`. */
  readonly contact: string;
  readonly stage: JoinStage;
  /** What is happening, in words. */
  readonly message: string;
}

/** A member of another cluster heard announcing itself on the local network. */
export interface HeardMember {
  readonly id: string;
  /** Its display name, as it announces it. */
  readonly name: string;
  /** `host:port`: the address its announcement came from and the UDP port it names. */
  readonly address: string;
}

/**
 * A Synod cluster heard on the local network (mDNS/DNS-SD). Announcements are unauthenticated: this is a
 * list to pick from, nothing more; joining still needs the cluster's secret.
 */
export interface DiscoveredCluster {
  /** Groups the announcements of one cluster: derived from the cluster id, never the secret. */
  readonly tag: string;
  /** How many members the cluster says it has. */
  readonly members: number;
  /** The members heard, at most a few. */
  readonly heard: readonly HeardMember[];
  /** Milliseconds since the latest announcement. */
  readonly lastHeardMs: number;
}

export interface Discovery {
  /** Whether this node announces itself and listens for others on the local network. */
  readonly enabled: boolean;
  /** Why it is off or not working, in words; else null. */
  readonly note: string | null;
  /** Other clusters heard lately, the most recently heard first (never this node's own). */
  readonly clusters: readonly DiscoveredCluster[];
}

/** Faults injected on purpose at this node (all reversible). */
export interface Faults {
  /** Fraction of datagrams dropped, in and out, 0..1. */
  readonly dropRate: number;
  /** Extra delay added to every outgoing datagram, in ms. */
  readonly delayMs: number;
  /** Peers this node neither sends to nor hears from. */
  readonly isolate: readonly string[];
}

/**
 * Faults another member (or this node's own dashboard, through clusterFaults) asked this node to inject
 * for a while: they end on their own `expiresInMs` from now unless renewed (at most 120 s).
 */
export interface RemoteFaultView {
  /** The member that asked. */
  readonly from: string;
  readonly faults: Faults;
  readonly expiresInMs: number;
}

/** A chosen command: its id and the slot that holds it. */
export interface CommandReceipt {
  readonly id: string;
  readonly slot: number;
}

export type ProtocolMessageType =
  | 'prevote'
  | 'prevoteReply'
  | 'prepare'
  | 'promise'
  | 'nack'
  | 'accept'
  | 'accepted'
  | 'commit'
  | 'commitAck'
  | 'forward'
  | 'catchupRequest'
  | 'catchupReply'
  | 'takeover'
  | 'snapshot'
  | 'ping'
  | 'join';

/** One protocol message as the dashboard's cluster view animates it. */
export interface TraceMessage {
  /** Wall-clock ms at this node. */
  readonly at: number;
  readonly direction: 'in' | 'out';
  readonly from: string;
  readonly to: string;
  readonly type: ProtocolMessageType;
  readonly slot?: number;
  /** The last slot of the range the message covers (slot..toSlot), when it covers more than one. */
  readonly toSlot?: number;
  readonly ballot?: BallotView;
  /** Its encoded size in bytes (before sealing and fragmentation). */
  readonly bytes?: number;
  /** Dropped by an injected fault (present only when true). */
  readonly dropped?: boolean;
}

/**
 * A message in the trace of the whole cluster (ClusterTrace): recorded by `observer`, the member that sent
 * or received it, stamped by that member's clock (`observedAt`), and placed on the watching node's clock
 * (`at` = observedAt − the member's offsetMs, good to ± its uncertaintyMs). A message between two traced
 * members appears twice: once as its sender saw it ('out'), once as its receiver did ('in').
 */
export interface MergedTraceMessage extends TraceMessage {
  readonly observer: string;
  /** Wall-clock ms at the observer, by the observer's own clock. */
  readonly observedAt: number;
  /** Order of arrival at the watching node, from 1: the cursor of ClusterTraceArgs.afterSeq. */
  readonly seq: number;
}

/** A member as the watching node's cluster trace sees it. */
export interface ClusterTraceMember {
  readonly id: string;
  /**
   * How far the member's clock is ahead of this node's, in ms (NTP's θ, from request/reply round trips:
   * docs/protocol.md "The cluster trace"); null until measured. 0 for this node itself.
   */
  readonly offsetMs: number | null;
  /** The true offset lies within offsetMs ± this (half the best recent round trip, plus drift since); null until measured. */
  readonly uncertaintyMs: number | null;
  /** The member answered this node's trace lease lately: its messages are arriving. Always true for this node. */
  readonly leaseActive: boolean;
  /** Records the member left out (its trace byte budget was spent, or they could not be placed in time). */
  readonly skipped: number;
  /** Batches of its trace lost on the way (gaps in their numbering). */
  readonly lostBatches: number;
}

/** What this node sends to the members that watch it (its own side of their cluster traces), since it started. */
export interface TraceServed {
  /** Members whose trace lease on this node is active now. */
  readonly leases: number;
  readonly batches: number;
  readonly records: number;
  readonly bytes: number;
  /** Records left out: over the byte budget, or pending when a lease ended. */
  readonly skipped: number;
}

/** The messages of every member, merged on this node's clock (shared/api.ts `clusterTrace`). */
export interface ClusterTrace {
  /** Every member, this node included; offsets relative to this node's clock. */
  readonly members: readonly ClusterTraceMember[];
  /** Ordered by `at`, then `seq`; at most the `limit` newest matching ones. */
  readonly messages: readonly MergedTraceMessage[];
  /** Records the members left out in all (the sum of members[].skipped). */
  readonly skipped: number;
  /** The newest seq held: pass it as afterSeq next time to get only what arrived since. */
  readonly lastSeq: number;
  /** How far back the trace is kept here (ms), at most; fewer under heavy traffic (it is bounded in messages too). */
  readonly keptMs: number;
  /** This node's own serving side: what it sends to members watching it. */
  readonly served: TraceServed;
}

/**
 * How a node came back when it started (status().recovery): what it read from its own disk, then what
 * it learned from its peers about the slots decided while it was away. Slots up to `checkpointSlot`
 * came from the checkpoint, `replayedSlots` from the journal, `learnedFromPeers` from the cluster (it
 * grows until `caughtUp`); later slots were decided with this node taking part.
 */
export interface RecoveryReport {
  /** Wall-clock ms when the disk was read. */
  readonly at: number;
  /** Time to open the data directory: load the checkpoint, replay the journal. */
  readonly ms: number;
  /** The applied index of the checkpoint loaded (0: none yet), and its file's size. */
  readonly checkpointSlot: number;
  readonly checkpointBytes: number;
  /** Journal records replayed after the checkpoint. */
  readonly journalRecords: number;
  /** Slots applied from the journal, after the checkpoint's; null when none. */
  readonly replayedSlots: readonly [number, number] | null;
  /** A torn write a crash left at the journal's end was cut off (nothing acknowledged is in it). */
  readonly tornTailTruncated: boolean;
  /** Slots applied since the start that the cluster had decided meanwhile, learned from peers; null when none. */
  readonly learnedFromPeers: readonly [number, number] | null;
  /** A peer's snapshot was installed to catch up. */
  readonly snapshotInstalled: boolean;
  /** This node has caught up with the commit index its peers report. */
  readonly caughtUp: boolean;
}
