/**
 * Follows how a restarted node comes back: the store's account of its disk (checkpoint, journal), then
 * the slots it learns from its peers until it has caught up with them. "Caught up" means its applied
 * index reached the highest commit index a peer reported (or it has no peers); from then on, slots are
 * decided with this node taking part and no longer count as learned.
 */
import type { RecoveryReport } from '../../shared/domain';
import type { Slot } from '../core/types';
import type { StoreRecovery } from '../storage/replica-store';

export class RecoveryTracker {
  /** The applied index right after the disk was read. */
  private readonly fromDiskThrough: Slot;
  private learnedThrough: Slot;
  private snapshotInstalled = false;
  private caughtUp = false;

  constructor(
    private readonly disk: StoreRecovery,
    private readonly at: number,
    appliedAtStart: Slot,
  ) {
    this.fromDiskThrough = appliedAtStart;
    this.learnedThrough = appliedAtStart;
  }

  /**
   * The node applied through `applied`; its peers reported commit indexes up to `peersCommit` (null:
   * none heard yet, or no peers when `alone`). Returns true the one time it finds the node caught up.
   */
  noteProgress(applied: Slot, peersCommit: Slot | null, alone: boolean): boolean {
    if (this.caughtUp) return false;
    this.learnedThrough = Math.max(this.learnedThrough, applied);
    if (alone || (peersCommit !== null && applied >= peersCommit)) {
      this.caughtUp = true;
      return true;
    }
    return false;
  }

  noteSnapshotInstalled(): void {
    if (!this.caughtUp) this.snapshotInstalled = true;
  }

  report(): RecoveryReport {
    const { ms, checkpointSlot, checkpointBytes, journalRecords, replayedSlots, tornTailTruncated } = this.disk;
    return {
      at: this.at,
      ms,
      checkpointSlot,
      checkpointBytes,
      journalRecords,
      replayedSlots,
      tornTailTruncated,
      learnedFromPeers: this.learnedThrough > this.fromDiskThrough ? [this.fromDiskThrough + 1, this.learnedThrough] : null,
      snapshotInstalled: this.snapshotInstalled,
      caughtUp: this.caughtUp,
    };
  }
}
