/**
 * Tunables of the protocol core, all in ticks, slots, commands or bytes (units last in every name).
 * Every queue and window in the core is bounded by one of these, so memory stays bounded under load.
 */
import { MEMBERSHIP_DELAY_SLOTS } from './membership';
import type { NodeId } from './types';

export interface ProtocolConfig {
  /** Minimum election timeout; each wait is drawn uniformly from [electionTicks, 2 * electionTicks). */
  readonly electionTicks: number;
  /** The leader sends a heartbeat (commit notification) to every peer this often. */
  readonly heartbeatTicks: number;
  /** Unanswered prepares, accepts, forwards and catch-up requests are resent this often. */
  readonly retransmitTicks: number;
  /** At most this many slots past the commit index may be in flight (proposed, not yet chosen). */
  readonly maxInflightSlots: number;
  /** A slot's batch holds at most this many commands... */
  readonly maxBatchCommands: number;
  /** ...and at most this many payload bytes (a single larger command still gets a slot of its own). */
  readonly maxBatchBytes: number;
  /** Largest payload accepted by propose(). */
  readonly maxCommandBytes: number;
  /** Commands waiting at the leader, and own commands waiting for a leader, are each capped at this. */
  readonly maxQueuedCommands: number;
  /** A catch-up reply carries at most this many slots. */
  readonly maxCatchupSlots: number;
  /** A lagging replica keeps at most this many catch-up requests in flight. */
  readonly maxCatchupRequests: number;
  /**
   * An acceptor refuses a prepare from a candidate whose first unchosen slot is more than this far behind
   * its own commit index: the candidate must catch up first. This bounds the size of promises.
   */
  readonly maxPromiseLagSlots: number;
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
  maxCatchupRequests: 3,
  maxPromiseLagSlots: 1024,
});

/** Node ids travel in ballots, command ids and datagrams: keep them short and unambiguous. */
const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export function isValidNodeId(id: string): boolean {
  return NODE_ID_PATTERN.test(id);
}

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
  if (problems.length > 0) throw new Error(`invalid protocol configuration: ${problems.join('; ')}`);
}
