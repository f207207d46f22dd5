import { describe, expect, it } from 'vitest';
import { makeRecovery } from '../../../test/support/renderer/fake-api';
import { recoveredFromDisk, recoverySummary, slotSource } from './recovery-text';

const RESTARTED = makeRecovery({ ms: 142, checkpointSlot: 9_800, checkpointBytes: 12_000_000, journalRecords: 212, replayedSlots: [9_801, 10_012], learnedFromPeers: [10_013, 10_047], caughtUp: true });

describe('the recovery as a person reads it', () => {
  it('says what came from the disk and what from the peers', () => {
    expect(recoverySummary(RESTARTED)).toBe('Recovered from disk in 142 ms: checkpoint at slot 9,800 (12 MB) and 212 journal records (slots 9,801–10,012); 35 slots learned from peers since.');
  });

  it('covers a node still catching up, with a snapshot, a torn tail, and nothing to replay', () => {
    expect(recoverySummary(makeRecovery({ ms: 80, checkpointSlot: 50, checkpointBytes: 300_000, journalRecords: 0, learnedFromPeers: [51, 51], snapshotInstalled: true, caughtUp: false, tornTailTruncated: true }))).toBe(
      'Recovered from disk in 80 ms: checkpoint at slot 50 (0.3 MB) and nothing to replay from the journal; 1 slot learned from peers so far, still catching up (with a snapshot). A write the crash left unfinished at the end of the journal was cut off; it was never acknowledged.',
    );
    expect(recoverySummary(makeRecovery({ journalRecords: 1, replayedSlots: [1, 1], caughtUp: false }))).toBe('Recovered from disk in 12 ms: no checkpoint with slots yet and 1 journal record (slot 1); catching up with peers.');
  });

  it('a brand-new node recovered nothing', () => {
    expect(recoveredFromDisk(makeRecovery())).toBe(false);
    expect(recoveredFromDisk(RESTARTED)).toBe(true);
  });

  it('tells where each slot came from', () => {
    expect([1, 9_800, 9_801, 10_012, 10_013, 10_047, 10_048].map((slot) => slotSource(slot, RESTARTED))).toEqual(['checkpoint', 'checkpoint', 'journal', 'journal', 'peers', 'peers', 'live']);
    expect(slotSource(3, makeRecovery())).toBe('live');
  });
});
