/**
 * Start-up's first step: opening the node's data directory. The store recovers whatever the directory
 * holds (one log line says how), a brand-new directory begins with the bootstrap membership (none when
 * joining: the cluster joined brings its own), and joining is refused where it would discard the
 * history of this node's own one-node cluster.
 */
import type { SqlJsStatic } from 'sql.js';
import { bootstrapMembership, latestEpoch, type MembershipState } from '../core/membership';
import type { DurableState, NodeId, Slot } from '../core/types';
import { formatAddress } from '../net/address';
import { StorageError } from '../storage/errors';
import type { FileSystem } from '../storage/file-system';
import { ReplicaStore, type StoreRecovery } from '../storage/replica-store';
import type { Logger } from './logger';
import type { NodeOptions } from './node-options';

export interface OpenedStore {
  readonly store: ReplicaStore;
  /** What the core starts from. */
  readonly durable: DurableState;
  /** The membership the directory held; null for a new directory that joins (it learns one from the cluster). */
  readonly recovered: MembershipState | null;
}

/**
 * Opens the store in `options.dataDir`. On failure nothing stays open: a caller can retry, or move the
 * directory aside (Windows refuses to rename open files).
 */
export function openStore(fs: FileSystem, sqlJs: SqlJsStatic, options: Pick<NodeOptions, 'id' | 'dataDir' | 'listen' | 'peers' | 'join'>, clusterId: string, logger: Logger): OpenedStore {
  const joining = (options.join ?? null) !== null;
  const store = ReplicaStore.open(fs, sqlJs, options.dataDir, {
    nodeId: options.id,
    clusterId,
    onWarning: (message) => logger.event('recovery-warning', { message }),
    bootstrapMembership: joining ? null : bootstrapMembershipOf(options),
  });
  try {
    const durable = store.takeDurableState();
    logRecovery(logger, store.recovery, durable);
    const recovered = durable.membership ?? null;
    if (joining && recovered !== null) refuseToDiscard(options.id, options.dataDir, recovered, store.appliedIndex);
    return { store, durable, recovered };
  } catch (error) {
    store.close();
    throw error;
  }
}

/** The membership a brand-new cluster starts with: this node and the configured peers. */
export function bootstrapMembershipOf(options: Pick<NodeOptions, 'id' | 'listen' | 'peers'>): MembershipState {
  // Addresses in the membership are hints for reaching a member first; the traffic corrects them.
  const ownAddress = options.listen.port === 0 ? '' : formatAddress(options.listen.host, options.listen.port);
  return bootstrapMembership([{ id: options.id, address: ownAddress }, ...[...options.peers].map(([id, address]) => ({ id, address: formatAddress(address.host, address.port) }))]);
}

/**
 * Joining discards whatever cluster this data directory belongs to; a one-node cluster's own history is
 * discarded only with consent (the caller moves the directory aside first). A directory of a cluster
 * this node is a member of with others just restarts it (the join already happened).
 */
export function refuseToDiscard(id: NodeId, dataDir: string, membership: MembershipState, appliedIndex: Slot): void {
  const members = latestEpoch(membership).members;
  if (members.length > 1 || members[0]?.id !== id) return;
  throw new StorageError(
    'holds-own-history',
    `${dataDir} holds ${id}'s own one-node cluster (${appliedIndex} slots). Joining another cluster would discard that history: pass --discard-history to keep it aside (renamed) and join, or use another --data directory.`,
  );
}

/** One line for the log: how the data directory brought the node back (the dashboard's recovery banner says the same). */
export function logRecovery(logger: Logger, recovery: StoreRecovery, durable: DurableState): void {
  const { ms, checkpointSlot, checkpointBytes, journalRecords, replayedSlots, tornTailTruncated } = recovery;
  logger.event('recovered', {
    ms: Math.round(ms),
    checkpoint: checkpointSlot,
    checkpointBytes,
    journalRecords,
    replayed: replayedSlots === null ? 'none' : `${replayedSlots[0]}-${replayedSlots[1]}`,
    ...(tornTailTruncated ? { tornTail: 'truncated' } : {}),
    applied: durable.appliedIndex,
    compacted: durable.compactedThrough,
    retained: durable.chosen.length,
  });
}
