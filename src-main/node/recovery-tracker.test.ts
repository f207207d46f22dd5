import { describe, expect, it } from 'vitest';
import { RecoveryTracker } from './recovery-tracker';

const DISK = { ms: 142, checkpointSlot: 9_800, checkpointBytes: 12_000_000, journalRecords: 212, replayedSlots: [9_801, 10_012] as const, tornTailTruncated: false };

describe('RecoveryTracker', () => {
  it('counts the slots applied after the start as learned from peers until the node reaches their commit index', () => {
    const tracker = new RecoveryTracker(DISK, 5_000, 10_012);
    expect(tracker.report()).toMatchObject({ at: 5_000, ms: 142, checkpointSlot: 9_800, replayedSlots: [9_801, 10_012], learnedFromPeers: null, caughtUp: false });
    expect(tracker.noteProgress(10_012, null, false)).toBe(false); // no peer heard yet: not known to be caught up
    expect(tracker.noteProgress(10_030, 10_047, false)).toBe(false);
    expect(tracker.report().learnedFromPeers).toEqual([10_013, 10_030]);
    expect(tracker.noteProgress(10_047, 10_047, false)).toBe(true);
    expect(tracker.report()).toMatchObject({ learnedFromPeers: [10_013, 10_047], caughtUp: true });
    // Decided with this node taking part from now on: the learned range stops growing.
    expect(tracker.noteProgress(10_100, 10_100, false)).toBe(false);
    expect(tracker.report().learnedFromPeers).toEqual([10_013, 10_047]);
  });

  it('a node alone is caught up at once; a snapshot counts only while catching up', () => {
    const alone = new RecoveryTracker(DISK, 0, 10_012);
    alone.noteSnapshotInstalled();
    expect(alone.noteProgress(10_012, null, true)).toBe(true);
    expect(alone.report()).toMatchObject({ learnedFromPeers: null, snapshotInstalled: true, caughtUp: true });
    const later = new RecoveryTracker(DISK, 0, 10_012);
    later.noteProgress(10_012, 10_012, false);
    later.noteSnapshotInstalled();
    expect(later.report().snapshotInstalled).toBe(false);
  });
});
