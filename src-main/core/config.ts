/**
 * Tunables of the protocol core, all in ticks, slots, commands or bytes (units last in every name).
 * Every queue and window in the core is bounded by one of these, so memory stays bounded under load.
 */
import { MEMBERSHIP_DELAY_SLOTS } from './membership';
import { MESSAGE_FRAME_BOUND_BYTES } from './message-size';
import { isValidNodeId, NODE_ID_PATTERN } from './node-id';
import type { NodeId } from './types';

export interface ProtocolConfig {
  /** Minimum election timeout; each wait is drawn uniformly from [electionTicks, 2 * electionTicks). */
  readonly electionTicks: number;
  /** The leader sends a heartbeat (commit notification) to every peer this often. */
  readonly heartbeatTicks: number;
  /** Unanswered prepares and accepts are resent this often (catch-up requests every electionTicks). */
  readonly retransmitTicks: number;
  /** At most this many slots past the commit index may be in flight (proposed, not yet chosen). */
  readonly maxInflightSlots: number;
  /** A slot's batch holds at most this many commands... */
  readonly maxBatchCommands: number;
  /** ...and at most this many encoded bytes (commandSizeBound of its commands; any valid command fits one slot). */
  readonly maxBatchBytes: number;
  /** Largest payload accepted by propose(). */
  readonly maxCommandBytes: number;
  /** Commands waiting at the leader, and own commands waiting for a leader, are each capped at this. */
  readonly maxQueuedCommands: number;
  /** A catch-up reply carries at most this many slots... */
  readonly maxCatchupSlots: number;
  /** ...and at most this many encoded bytes (always at least one slot: a slot fits, see validateProtocolConfig). */
  readonly maxCatchupBytes: number;
  /** A lagging replica keeps at most this many catch-up requests in flight. */
  readonly maxCatchupRequests: number;
  /**
   * An acceptor refuses a prepare from a candidate whose first unchosen slot is more than this far behind
   * its own commit index: the candidate must catch up first. This bounds the size of promises.
   */
  readonly maxPromiseLagSlots: number;
  /**
   * An acceptor takes accepts only for slots at most this far above its own commit index: a member
   * this far behind (a laptop that slept, a follower that was stopped) still accepts the leader's new
   * slots and so counts toward a quorum while it catches up; one further behind catches up first. It
   * also bounds how far above a candidate's log a promise can report an accepted slot (promiseSpanSlots
   * in message-check.ts), and so the holes a new leader may have to fill with no-ops.
   */
  readonly acceptWindowSlots: number;
  /**
   * No message the core produces is larger than this (messageSizeBound), so every message fits the transport
   * (MAX_MESSAGE_BYTES, 16 MiB). A promise that would be larger is refused like a candidate too far behind.
   */
  readonly maxMessageBytes: number;
  /**
   * A replica more than this many slots behind the most advanced peer it heard of fetches a snapshot
   * instead of replaying the log slot by slot (a laptop that slept through thousands of slots).
   */
  readonly snapshotCatchupSlots: number;
  /**
   * Ready.committed holds at most this many commands (at least one slot), so a turn that has thousands of
   * slots to apply yields to the event loop between Readys (etcd's MaxCommittedSizePerReady).
   */
  readonly maxCommittedCommandsPerReady: number;
}

export const DEFAULT_PROTOCOL_CONFIG: ProtocolConfig = Object.freeze({
  electionTicks: 10,
  heartbeatTicks: 2,
  retransmitTicks: 3,
  maxInflightSlots: 64,
  maxBatchCommands: 256,
  maxBatchBytes: 32 * 1024,
  maxCommandBytes: 4 * 1024,
  maxQueuedCommands: 10_000,
  maxCatchupSlots: 256,
  maxCatchupBytes: 256 * 1024,
  maxCatchupRequests: 3,
  maxPromiseLagSlots: 1024,
  acceptWindowSlots: 2048,
  maxMessageBytes: 8 * 1024 * 1024,
  snapshotCatchupSlots: 512,
  maxCommittedCommandsPerReady: 512,
});

/** Bytes one slot's entry takes at most in a promise or catch-up reply: its batch plus slot, ballot and count. */
export function slotEntryBoundBytes(config: ProtocolConfig): number {
  return config.maxBatchBytes + SLOT_ENTRY_OVERHEAD_BYTES;
}

/** Slot (8), ballot (8 + 33) and the batch's command count (3): see message-size.ts. */
const SLOT_ENTRY_OVERHEAD_BYTES = 8 + 8 + 33 + 3;
/** A command's bytes besides its payload: origin (33), seq (8), payload length prefix (3). */
const COMMAND_OVERHEAD_BYTES = 33 + 8 + 3;

/**
 * What the accepted part of an honest acceptor's promise takes at most, and what a candidate's budget
 * reserves for it: the slots it accepted and does not know to be chosen are the current leader's
 * pipeline (maxInflightSlots) and what an earlier leader had in flight when it lost the lead. (It can
 * hold more: a member far behind accepts new slots while it catches up, and learns them chosen only
 * when the leader's commit index reaches it. Its promise then may not fit: it refuses the prepare, as
 * replica.ts's onPrepare checks the real size, and is out of elections until it caught up.)
 */
export function maxPromiseAcceptedBytes(config: ProtocolConfig): number {
  return 2 * config.maxInflightSlots * slotEntryBoundBytes(config);
}

/** The transport's MAX_MESSAGE_BYTES (net/fragments.ts): the core never plans for more. */
export const MAX_PROTOCOL_MESSAGE_BYTES = 16 * 1024 * 1024;

export { isValidNodeId } from './node-id';

/** Throws a descriptive error for a configuration the core cannot run safely with. */
export function validateProtocolConfig(config: ProtocolConfig, self: NodeId, bootstrap: readonly NodeId[] | null): void {
  const problems: string[] = [];
  if (!isValidNodeId(self)) problems.push(`node id "${self}" must match ${NODE_ID_PATTERN}`);
  if (bootstrap !== null) {
    for (const m of bootstrap) if (!isValidNodeId(m)) problems.push(`member id "${m}" must match ${NODE_ID_PATTERN}`);
    if (new Set(bootstrap).size !== bootstrap.length) problems.push('member ids must be unique');
    if (!bootstrap.includes(self)) problems.push(`members must include this node ("${self}")`);
  }
  // The leader must know a slot's configuration before proposing there (see membership.ts).
  if (config.maxInflightSlots > MEMBERSHIP_DELAY_SLOTS) problems.push(`maxInflightSlots must not exceed the membership delay of ${MEMBERSHIP_DELAY_SLOTS} slots`);
  for (const [name, value] of Object.entries(config)) {
    if (!Number.isInteger(value) || value < 1) problems.push(`${name} must be a positive integer (got ${String(value)})`);
  }
  if (config.heartbeatTicks >= config.electionTicks) problems.push('heartbeatTicks must be below electionTicks');
  // A follower whose commit index trails the leader's a little must still take the whole pipeline.
  if (config.acceptWindowSlots < 2 * config.maxInflightSlots) problems.push('acceptWindowSlots must be at least 2 * maxInflightSlots');
  // Size bounds: any valid command fits one batch, one slot fits a catch-up reply, and a promise with a full
  // accept window still has room for a catch-up reply's worth of chosen slots (else no candidate could win).
  if (config.maxCommandBytes + COMMAND_OVERHEAD_BYTES > config.maxBatchBytes) problems.push(`maxBatchBytes must hold a command of maxCommandBytes plus ${COMMAND_OVERHEAD_BYTES} bytes`);
  if (slotEntryBoundBytes(config) + MESSAGE_FRAME_BOUND_BYTES > config.maxCatchupBytes) problems.push('maxCatchupBytes must hold one full slot');
  if (config.maxCatchupBytes > config.maxMessageBytes) problems.push('maxCatchupBytes must not exceed maxMessageBytes');
  if (maxPromiseAcceptedBytes(config) + config.maxCatchupBytes + MESSAGE_FRAME_BOUND_BYTES > config.maxMessageBytes) {
    problems.push(`maxMessageBytes must hold two pipelines (${2 * config.maxInflightSlots} slots of maxBatchBytes) plus maxCatchupBytes`);
  }
  if (config.maxMessageBytes > MAX_PROTOCOL_MESSAGE_BYTES) problems.push(`maxMessageBytes must not exceed ${MAX_PROTOCOL_MESSAGE_BYTES} (the transport's limit)`);
  if (problems.length > 0) throw new Error(`invalid protocol configuration: ${problems.join('; ')}`);
}
