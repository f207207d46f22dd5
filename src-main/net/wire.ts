/**
 * The transport's message vocabulary: every protocol message of the core, plus the messages only the
 * runtime speaks: snapshot transfer (the core merely says "fetch a snapshot from X"), liveness pings,
 * joins, the cluster trace, and cluster control (a member's dashboard playing a scenario on the others).
 *
 * Snapshot transfer is pull-based so a lagging replica paces it: it asks for one chunk at a time and
 * re-asks on loss. Invariant: like core messages, both carry the envelope (from, to), and the transport
 * delivers a message only when `from` is the authenticated sender and `to` is this node.
 */
import type { TraceMessage } from '../../shared/domain';
import type { Message, NodeId } from '../core/types';

/**
 * "Send me the bytes of snapshot transfer `transferId` starting at byte `offset`". transferId 0 means
 * "start a new transfer of your current snapshot" (the answer names the transfer it started).
 */
export interface SnapshotRequestMessage {
  readonly type: 'snapshotRequest';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly transferId: number;
  readonly offset: number;
}

/**
 * Bytes [offset, offset + data.length) of the snapshot of transfer `transferId`, which summarizes every
 * slot <= `slot` and is `totalBytes` long. The codec checks syntax only; whether the chunk fits the
 * transfer is for the snapshot receiver to judge.
 */
export interface SnapshotChunkMessage {
  readonly type: 'snapshotChunk';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly transferId: number;
  readonly slot: number;
  readonly totalBytes: number;
  readonly offset: number;
  readonly data: Uint8Array;
}

/**
 * Liveness between runtimes: every node pings every peer now and then, so each knows which peers it can
 * reach (followers exchange no protocol messages otherwise) and how far their logs are.
 *
 * The transport also uses pings for path validation (udp-transport.ts): a ping with `challenge` (16 hex
 * digits, 64 random bits) asks a member that wrote from a new address to prove it is there; the answer
 * is a ping with `echo` set to that challenge, sent to the address the challenge came from. A ping
 * carries at most one of the two; the transport consumes both kinds and delivers neither.
 */
export interface PingMessage {
  readonly type: 'ping';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly commitIndex: number;
  readonly challenge?: string;
  readonly echo?: string;
}

/**
 * A node that wants to join the cluster asks a member (whose id it may not know: `to` is then
 * ANY_NODE) to add it. The only message accepted from a sender that is not a member: it still must be
 * sealed with the cluster secret. Retransmitted until the newcomer is a member; idempotent.
 */
export interface JoinMessage {
  readonly type: 'join';
  readonly from: NodeId;
  readonly to: NodeId;
}

/** The `to` of a join sent to an address whose node id is unknown. */
export const ANY_NODE = 'any-member';

export type JoinReplyStatus = 'adding' | 'member' | 'busy' | 'refused';

/**
 * A member's answer to a join: 'adding' (it proposed addMember), 'member' (the newcomer already is
 * one), 'busy' (another change is under way: ask again later) or 'refused' (see `reason`). `members`
 * is the configuration the answering member knows, with addresses, so the newcomer can talk to them.
 */
export interface JoinReplyMessage {
  readonly type: 'joinReply';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly status: JoinReplyStatus;
  readonly reason: string;
  readonly members: readonly { readonly id: NodeId; readonly address: string }[];
}

/**
 * The cluster trace (node/cluster-trace.ts): a member's dashboard watches every member's messages. Like
 * snapshot transfer, these are the runtimes' own and never reach the core. A watcher asks each member
 * for its trace with a lease that lapses `leaseMs` after the request unless renewed (0 ends it at once);
 * `sentAt` is the watcher's clock when it sent the request (t0 of the clock exchange). Only members may
 * hold a lease (node/trace-lease.ts).
 */
export interface TraceRequestMessage {
  readonly type: 'traceRequest';
  readonly from: NodeId;
  readonly to: NodeId;
  /** Names one watching session of the watcher (>= 1): batches of another lease are stale. */
  readonly leaseId: number;
  readonly leaseMs: number;
  readonly sentAt: number;
}

/**
 * A member's answer to a trace request, sent at once (never queued behind bulk traffic, which would
 * widen the uncertainty): the request's t0 echoed, and the member's clock when the request arrived (t1)
 * and when this answer left (t2). The watcher stamps its arrival (t3) and estimates the member's clock
 * offset from the four (node/clock-offset.ts).
 */
export interface TraceClockMessage {
  readonly type: 'traceClock';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly leaseId: number;
  readonly requestSentAt: number;
  readonly receivedAt: number;
  readonly sentAt: number;
}

/**
 * Part of a member's trace for a watcher holding a lease: the messages it sent and received, stamped by
 * its own clock, in the order it recorded them (`at` never decreases), and how many it left out since
 * its previous batch (`skipped`: its byte budget was spent). Batches of one lease are numbered from 1
 * (`seq`), so the watcher counts the lost ones. Sent as bulk traffic, after protocol messages.
 */
export interface TraceBatchMessage {
  readonly type: 'traceBatch';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly leaseId: number;
  readonly seq: number;
  /** The member's clock when it made the batch: no record is later, and none much older. */
  readonly sentAt: number;
  readonly skipped: number;
  readonly records: readonly TraceMessage[];
}

export type TraceWireMessage = TraceRequestMessage | TraceClockMessage | TraceBatchMessage;

/** Whether a message is cluster-trace traffic: observation, never itself traced (it would trace its own tracing). */
export function isTraceTraffic(message: WireMessage): message is TraceWireMessage {
  return message.type === 'traceRequest' || message.type === 'traceClock' || message.type === 'traceBatch';
}

/**
 * Cluster control (node/cluster-control.ts): a member asks another to inject faults for a while (the
 * dashboard's Scenarios panel plays the classic situations on the real cluster). Faults as on the wire:
 * the drop rate in parts per million (an integer, so it encodes exactly), the extra delay in ms, the
 * peers to isolate. The faults last `ttlMs` (at most MAX_REMOTE_FAULT_TTL_MS) from the request unless
 * renewed; ttlMs 0 clears them at once. One set per requester: a new request replaces the previous one.
 * Only members are obeyed; never reaches the core. Answered by a controlAck with the same requestId.
 */
export interface FaultRequestMessage {
  readonly type: 'faultRequest';
  readonly from: NodeId;
  readonly to: NodeId;
  /** >= 1; the requester's numbering, echoed by the ack. */
  readonly requestId: number;
  readonly ttlMs: number;
  readonly dropPpm: number;
  readonly delayMs: number;
  readonly isolate: readonly NodeId[];
}

/**
 * "Campaign for leadership now", skipping the pre-vote (a live leader is known, so the pre-vote would be
 * refused): the runtime feeds the core's pure `campaign()` input. Retransmitted until acked; a repeated
 * requestId from the same requester is acked again without campaigning again.
 */
export interface CampaignRequestMessage {
  readonly type: 'campaignRequest';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly requestId: number;
}

/**
 * "Crash now and come back in `downMs`": the member drops its replica as a crash would (everything in
 * memory is gone, its socket closes) and starts again from its data directory after `downMs`, which
 * shows recovery on a live cluster. Acked before the crash; `downMs` outlasts the requester's
 * retransmissions (control-check.ts), so a retransmitted request never reaches the restarted member.
 */
export interface CrashRequestMessage {
  readonly type: 'crashRequest';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly requestId: number;
  readonly downMs: number;
}

/** The answer to a control request: `applied` false when refused (see `reason`, e.g. not a member). */
export interface ControlAckMessage {
  readonly type: 'controlAck';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly requestId: number;
  readonly applied: boolean;
  readonly reason: string;
}

export type ControlWireMessage = FaultRequestMessage | CampaignRequestMessage | CrashRequestMessage | ControlAckMessage;

/**
 * Whether a message is cluster control: never traced, and exempt from injected faults in the transport
 * (a dashboard must be able to heal a member it isolated, and the faults must not eat their own undo).
 */
export function isControlTraffic(message: WireMessage): message is ControlWireMessage {
  return message.type === 'faultRequest' || message.type === 'campaignRequest' || message.type === 'crashRequest' || message.type === 'controlAck';
}

export type WireMessage = Message | SnapshotRequestMessage | SnapshotChunkMessage | PingMessage | JoinMessage | JoinReplyMessage | TraceWireMessage | ControlWireMessage;

export type WireMessageType = WireMessage['type'];
