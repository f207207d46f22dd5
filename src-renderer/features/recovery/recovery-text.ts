/**
 * How a node's recovery reads to a person (the banner after a restart) and where a slot came from (the
 * inspector's "From" column). Pure functions of status().recovery.
 */
import type { RecoveryReport } from '../../../shared/api';

/** Where this node got a slot's value since it started. */
export type SlotSource = 'checkpoint' | 'journal' | 'peers' | 'live';

export const SLOT_SOURCE_LABEL: Record<SlotSource, string> = {
  checkpoint: 'checkpoint',
  journal: 'journal',
  peers: 'from peers',
  live: 'live',
};

export const SLOT_SOURCE_MEANING: Record<SlotSource, string> = {
  checkpoint: 'read from the checkpoint on disk at the start',
  journal: 'replayed from the journal on disk at the start',
  peers: 'decided while this node was away, learned from its peers',
  live: 'decided with this node taking part',
};

export function slotSource(slot: number, recovery: RecoveryReport): SlotSource {
  if (slot <= recovery.checkpointSlot) return 'checkpoint';
  if (recovery.replayedSlots !== null && slot <= recovery.replayedSlots[1]) return 'journal';
  if (recovery.learnedFromPeers !== null && slot <= recovery.learnedFromPeers[1]) return 'peers';
  return 'live';
}

/** The node read something from its disk (a brand-new node did not: no banner for it). */
export function recoveredFromDisk(recovery: RecoveryReport): boolean {
  return recovery.checkpointSlot > 0 || recovery.journalRecords > 0;
}

const count = (n: number): string => n.toLocaleString('en-US');

function megabytes(bytes: number): string {
  const mb = bytes / 1_000_000;
  return mb >= 10 ? `${Math.round(mb)} MB` : mb >= 0.1 ? `${mb.toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1_000))} kB`;
}

const slots = (n: number): string => `${count(n)} ${n === 1 ? 'slot' : 'slots'}`;
const range = ([from, to]: readonly [number, number]): string => (from === to ? `slot ${count(from)}` : `slots ${count(from)}–${count(to)}`);

/**
 * "Recovered from disk in 142 ms: checkpoint at slot 9,800 (12 MB) and 212 journal records (slots
 * 9,801–10,012); 35 slots learned from peers since."
 */
export function recoverySummary(recovery: RecoveryReport): string {
  const checkpoint = recovery.checkpointSlot > 0 ? `checkpoint at slot ${count(recovery.checkpointSlot)} (${megabytes(recovery.checkpointBytes)})` : 'no checkpoint with slots yet';
  const records = recovery.journalRecords === 1 ? '1 journal record' : `${count(recovery.journalRecords)} journal records`;
  const journal = recovery.journalRecords === 0 ? 'nothing to replay from the journal' : recovery.replayedSlots === null ? records : `${records} (${range(recovery.replayedSlots)})`;
  const learned = recovery.learnedFromPeers === null ? 0 : recovery.learnedFromPeers[1] - recovery.learnedFromPeers[0] + 1;
  const peers =
    learned === 0
      ? recovery.caughtUp
        ? 'nothing was missing from peers'
        : 'catching up with peers'
      : `${slots(learned)} learned from peers ${recovery.caughtUp ? 'since' : 'so far, still catching up'}${recovery.snapshotInstalled ? ' (with a snapshot)' : ''}`;
  const torn = recovery.tornTailTruncated ? ' A write the crash left unfinished at the end of the journal was cut off; it was never acknowledged.' : '';
  return `Recovered from disk in ${count(Math.round(recovery.ms))} ms: ${checkpoint} and ${journal}; ${peers}.${torn}`;
}
