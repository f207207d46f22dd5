/**
 * The transport's message vocabulary: every protocol message of the core, plus the two messages of
 * snapshot transfer, which only the runtime speaks (the core merely says "fetch a snapshot from X").
 *
 * Snapshot transfer is pull-based so a lagging replica paces it: it asks for one chunk at a time and
 * re-asks on loss. Invariant: like core messages, both carry the envelope (from, to), and the transport
 * delivers a message only when `from` is the authenticated sender and `to` is this node.
 */
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

export type WireMessage = Message | SnapshotRequestMessage | SnapshotChunkMessage | PingMessage | JoinMessage | JoinReplyMessage;

export type WireMessageType = WireMessage['type'];
