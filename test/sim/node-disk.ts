/**
 * A simulated node's disk, as the node's runtime loop sees it. Two implementations: MemoryDisk (fast,
 * for large seed sweeps) and StoreDisk (the real storage code on a fault-injecting file system).
 */
import type { LedgerState } from '../../src-main/core/command-ledger';
import type { MembershipState } from '../../src-main/core/membership';
import type { ChosenEntry, DurableState, PersistBatch, Slot } from '../../src-main/core/types';

export interface RecoveredDisk {
  readonly durable: DurableState;
  /** The state machine reflects a snapshot through `appliedBase`, then `applied` (for the checker). */
  readonly appliedBase: Slot;
  readonly applied: readonly ChosenEntry[];
}

/** A snapshot as a peer transfers it. */
export interface SnapshotImage {
  readonly bytes: Uint8Array;
  /**
   * What a real transfer of this state machine would carry (at least 1): the bytes themselves on real
   * storage; on the in-memory disk, whose snapshot leaves the tweets out, the tweets' bytes too.
   */
  readonly transferBytes: number;
}

export interface NodeDisk {
  /** Recovers after a (re)start. */
  open(): RecoveredDisk;
  /** Stages a turn and writes it without fsync (a crash may keep it, torn, or lose it). */
  write(batch: PersistBatch): void;
  /** The fsync: returns the batches it made durable, in order. */
  sync(): PersistBatch[];
  /** Applies committed slots to the state machine (and checkpoints when due). */
  apply(entries: readonly ChosenEntry[]): void;
  /** Power loss: everything not synced may be lost or torn. The disk must be open()ed again. */
  crash(): void;
  compact(slot: Slot): void;
  /** The state machine at its applied index, for transfer. */
  snapshot(): SnapshotImage;
  /** Installs a peer's snapshot if it is newer; returns what the core needs, or null. */
  installSnapshot(bytes: Uint8Array): { slot: Slot; ledger: LedgerState; membership: MembershipState } | null;
  /** A digest of the state machine, when the disk has a real one (to compare replicas). */
  digest(): string | null;
}
