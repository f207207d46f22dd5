/**
 * The vocabulary of the protocol core: commands, slot values, messages, and the Ready contract between
 * the pure core and the runtime that does the I/O.
 */
import type { Ballot } from './ballot';
import type { LedgerState } from './command-ledger';
import type { Member, MembershipState } from './membership';

/** A member's identity. Stable for the life of the member; its network address may change. */
export type NodeId = string;

/** A position in the replicated log, starting at 1. Slot 0 means "nothing". */
export type Slot = number;

/**
 * A client command. (origin, seq) is its unique id: `origin` is the node where it was submitted and `seq`
 * that node's counter (1, 2, 3... without gaps, persisted with the command before it is ever sent).
 * `payload` is opaque to the core (the application encodes its operation in it).
 */
export interface Command {
  readonly origin: NodeId;
  readonly seq: number;
  readonly payload: string;
}

/** The value of one slot: a batch of commands in order. The empty batch is a no-op. */
export type SlotValue = readonly Command[];

export function commandKey(origin: NodeId, seq: number): string {
  return `${origin}/${seq}`;
}

/** The inverse of commandKey (node ids never contain '/'). */
export function parseCommandKey(key: string): { readonly origin: NodeId; readonly seq: number } {
  const at = key.lastIndexOf('/');
  return { origin: key.slice(0, at), seq: Number(key.slice(at + 1)) };
}

export interface AcceptedEntry {
  readonly slot: Slot;
  readonly ballot: Ballot;
  readonly value: SlotValue;
}

export interface ChosenEntry {
  readonly slot: Slot;
  readonly value: SlotValue;
}

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
}

/**
 * Pre-vote (as in etcd-io/raft): "would you promise `ballot`?" asked before a real prepare. Granting
 * changes nothing durable. It stops a node that merely lost contact (deaf, paused, partitioned) from
 * raising promises everywhere and deposing a healthy leader.
 */
export interface PrevoteMessage extends Envelope {
  readonly type: 'prevote';
  readonly ballot: Ballot;
  readonly commitIndex: Slot;
}

export interface PrevoteReplyMessage extends Envelope {
  readonly type: 'prevoteReply';
  readonly ballot: Ballot;
  readonly granted: boolean;
  readonly commitIndex: Slot;
}

/** Phase 1a: "promise me `ballot` for every slot >= fromSlot and tell me what you accepted there". */
export interface PrepareMessage extends Envelope {
  readonly type: 'prepare';
  readonly ballot: Ballot;
  readonly fromSlot: Slot;
}

/**
 * Phase 1b. `accepted` lists every slot >= fromSlot the acceptor accepted and does not know to be
 * chosen; `chosen` lists the slots >= fromSlot it knows to be chosen. Together they are complete for
 * all slots >= fromSlot (the proposer relies on that completeness for safety).
 */
export interface PromiseMessage extends Envelope {
  readonly type: 'promise';
  readonly ballot: Ballot;
  readonly fromSlot: Slot;
  readonly accepted: readonly AcceptedEntry[];
  readonly chosen: readonly ChosenEntry[];
  readonly commitIndex: Slot;
}

/**
 * A refusal of a prepare, accept or heartbeat at `ballot`. `promised` is the highest ballot the refuser
 * knows to be promised or leading (a higher one means the sender is preempted). `commitIndex` lets a
 * lagging sender see that it must catch up first.
 */
export interface NackMessage extends Envelope {
  readonly type: 'nack';
  readonly ballot: Ballot;
  readonly promised: Ballot;
  readonly commitIndex: Slot;
}

/** Phase 2a for one slot. Piggybacks the leader's commit index (all slots <= it are chosen). */
export interface AcceptMessage extends Envelope {
  readonly type: 'accept';
  readonly ballot: Ballot;
  readonly slot: Slot;
  readonly value: SlotValue;
  readonly commitIndex: Slot;
}

/** Phase 2b for one slot. */
export interface AcceptedMessage extends Envelope {
  readonly type: 'accepted';
  readonly ballot: Ballot;
  readonly slot: Slot;
}

/**
 * Heartbeat and commit notification from the leader: every slot <= commitIndex is chosen, and for a
 * slot the receiver accepted at exactly `ballot`, the chosen value is the one it accepted.
 */
export interface CommitMessage extends Envelope {
  readonly type: 'commit';
  readonly ballot: Ballot;
  readonly commitIndex: Slot;
}

/** A follower's answer to a heartbeat: proof of life for the leader's quorum check, and its progress. */
export interface CommitAckMessage extends Envelope {
  readonly type: 'commitAck';
  readonly ballot: Ballot;
  readonly commitIndex: Slot;
}

/** Client commands sent from their origin to the leader, retransmitted until they are chosen. */
export interface ForwardMessage extends Envelope {
  readonly type: 'forward';
  readonly commands: readonly Command[];
}

/** A learner that is behind asks for chosen slots [fromSlot, toSlot]. */
export interface CatchupRequestMessage extends Envelope {
  readonly type: 'catchupRequest';
  readonly fromSlot: Slot;
  readonly toSlot: Slot;
}

/**
 * Chosen slots in answer to a catch-up request, plus the responder's commit index. When the requested
 * slots are compacted away (`compactedThrough` >= fromSlot), `entries` is empty and the requester must
 * install a snapshot instead.
 */
export interface CatchupReplyMessage extends Envelope {
  readonly type: 'catchupReply';
  readonly entries: readonly ChosenEntry[];
  readonly commitIndex: Slot;
  readonly compactedThrough: Slot;
}

/**
 * A leader leaving the configuration (it was removed) hands leadership to `to`: campaign at once,
 * without a pre-vote. Only accepted from the leader the receiver follows, at that leader's ballot.
 */
export interface TakeoverMessage extends Envelope {
  readonly type: 'takeover';
  readonly ballot: Ballot;
}

export type Message =
  | PrevoteMessage
  | PrevoteReplyMessage
  | PrepareMessage
  | PromiseMessage
  | NackMessage
  | AcceptMessage
  | AcceptedMessage
  | CommitMessage
  | CommitAckMessage
  | ForwardMessage
  | CatchupRequestMessage
  | CatchupReplyMessage
  | TakeoverMessage;

export type MessageType = Message['type'];

/** Distributes Omit over a union so each message keeps its own fields. */
export type Unaddressed<M> = M extends Message ? Omit<M, 'from' | 'to'> : never;

/**
 * Durable changes the runtime must write (and fsync) before it sends any message of the same Ready.
 * Promises and accepts are what Paxos safety rests on; chosen values and own proposals make recovery
 * fast and keep client commands from being lost or their ids from being reused.
 */
export interface PersistBatch {
  /** The new promised ballot, present only when it rose. */
  readonly promised: Ballot | null;
  readonly accepted: readonly AcceptedEntry[];
  readonly chosen: readonly ChosenEntry[];
  /** Commands submitted at this node, so a crash neither loses them nor reuses their sequence numbers. */
  readonly proposals: readonly Command[];
}

/**
 * One turn's output, in the etcd-io/raft style. The runtime must, in this order:
 *  1. write and fsync `persist` (messages for which mayPrecedePersist() holds may be sent before or
 *     during this step, the others only after it),
 *  2. send the remaining `messages`,
 *  3. apply `committed` to the state machine (in order; they continue exactly after the last applied slot),
 *  4. call `advance(ready)`; the next turn must not start before the fsync of this one returned.
 */
export interface Ready {
  readonly persist: PersistBatch;
  readonly messages: readonly Message[];
  readonly committed: readonly ChosenEntry[];
  /**
   * This replica is behind the compaction point of the peer named here: the runtime should fetch that
   * peer's snapshot, install it in storage, then call installSnapshot(). Null when not needed.
   */
  readonly snapshotFrom: NodeId | null;
}

/** A Ready with nothing to persist, send, apply or fetch (the runtime advances it at once). */
export function isEmptyReady(ready: Ready): boolean {
  return ready.messages.length === 0 && ready.committed.length === 0 && ready.snapshotFrom === null && isEmptyBatch(ready.persist);
}

/** What survived on disk, handed to a restarting replica. */
export interface DurableState {
  readonly promised: Ballot;
  readonly accepted: readonly AcceptedEntry[];
  readonly chosen: readonly ChosenEntry[];
  /** This node's own submitted commands (any order; those already chosen are recognised and skipped). */
  readonly proposals: readonly Command[];
  /** The state machine already reflects every slot <= appliedIndex (those above compactedThrough are in `chosen`). */
  readonly appliedIndex: Slot;
  /** Slots <= compactedThrough were dropped from the log: chosen, applied and summarized by the snapshot. */
  readonly compactedThrough: Slot;
  /**
   * Ids of the commands in compacted slots, so none is ever chosen again. It must not contain ids of
   * slots above compactedThrough: the leader treats every id in its ledger as chosen in a slot it knows,
   * and strips such ids from values it re-proposes elsewhere.
   */
  readonly ledger: LedgerState;
  /**
   * The membership as of appliedIndex (its `through` equals appliedIndex). Null or absent: none stored
   * yet (a new cluster uses its bootstrap configuration; a joining node waits for a snapshot).
   */
  readonly membership?: MembershipState | null;
}

export type Role = 'follower' | 'candidate' | 'leader';

export interface ReplicaStatus {
  readonly id: NodeId;
  readonly role: Role;
  /** The leader this replica follows (itself when leading), or null when none is known. */
  readonly leader: NodeId | null;
  /** The ballot of that leader, or of this replica's own campaign. */
  readonly ballot: Ballot;
  readonly promised: Ballot;
  readonly commitIndex: Slot;
  readonly appliedIndex: Slot;
  readonly compactedThrough: Slot;
  /** Own commands not yet chosen. */
  readonly pendingCommands: number;
  /** The configuration of the first unchosen slot; null while a newcomer does not know it. */
  readonly members: readonly Member[] | null;
}

/**
 * Whether a message may leave before the persist of its own Ready is durable. Only three kinds reveal
 * state that this turn made durable: a promise and an accepted reply (a peer counts them as votes) and a
 * forward (it carries own commands whose sequence numbers must never be reused). Everything else, in
 * particular a leader's accepts and a candidate's prepares, may go first: the sender counts its own
 * vote only in a later turn, which starts after this turn's fsync (etcd's leader writes its log in
 * parallel with replication the same way). Sending accepts early lets the leader's fsync and the
 * followers' run at the same time.
 */
export function mayPrecedePersist(message: Message): boolean {
  return message.type !== 'promise' && message.type !== 'accepted' && message.type !== 'forward';
}

/**
 * Whether a turn's batch must be fsynced before its late messages leave: promises, accepts and own
 * proposals. Chosen values alone need not be (they can be learned again; the next fsync covers them).
 */
export function needsFsync(batch: PersistBatch): boolean {
  return batch.promised !== null || batch.accepted.length > 0 || batch.proposals.length > 0;
}

/** A batch with nothing to persist at all. */
export function isEmptyBatch(batch: PersistBatch): boolean {
  return !needsFsync(batch) && batch.chosen.length === 0;
}
