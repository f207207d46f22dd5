/**
 * The learner: the chosen part of the replicated log, the commit index, catch-up and compaction.
 *
 * Invariants:
 *  - A slot's chosen value, once learned, never changes (Paxos guarantees there is only one).
 *  - compactedThrough <= appliedIndex <= emitted <= commitIndex.
 *  - commitIndex is the end of the contiguous chosen prefix: every slot in [1, commitIndex] is known or
 *    compacted (slots <= compactedThrough were applied and are summarized by the snapshot).
 *  - Committed entries are emitted exactly once each, in slot order, starting after appliedIndex.
 */
import type { CommandLedger } from './command-ledger';
import type { Outbox } from './outbox';
import type { ChosenEntry, Command, NodeId, Slot, SlotValue } from './types';

export interface LearnerRecovery {
  readonly chosen: readonly ChosenEntry[];
  readonly appliedIndex: Slot;
  readonly compactedThrough: Slot;
}

export class Learner {
  private readonly chosenBySlot = new Map<Slot, SlotValue>();
  private compacted: Slot;
  private commit: Slot;
  /** Slots <= emitted have been handed to the runtime to apply. */
  private emitted: Slot;
  private applied: Slot;
  /** The most advanced commit index heard from a peer, and who said it: the catch-up source. */
  private peerCommit: Slot = 0;
  private peerCommitSource: NodeId | null = null;
  /** Catch-up requests in flight: first slot of the range -> when it was asked for. */
  private readonly catchupAsked = new Map<Slot, number>();

  constructor(
    private readonly outbox: Outbox,
    private readonly ledger: CommandLedger,
    recovery: LearnerRecovery,
    /** Told about every command in a newly learned slot (not about recovered ones). */
    private readonly onCommandChosen: (command: Command) => void,
    /** Told about every slot joining the contiguous chosen prefix, in order (recovered ones above appliedIndex too). */
    private readonly onCommitted: (entry: ChosenEntry) => void,
  ) {
    if (recovery.appliedIndex < recovery.compactedThrough) {
      throw new Error(`applied index ${recovery.appliedIndex} is below the compaction point ${recovery.compactedThrough}`);
    }
    this.compacted = recovery.compactedThrough;
    this.commit = recovery.compactedThrough;
    for (const entry of recovery.chosen) if (entry.slot > this.compacted) this.store(entry.slot, entry.value);
    this.advanceCommit();
    if (recovery.appliedIndex > this.commit) throw new Error(`applied index ${recovery.appliedIndex} is beyond the recovered chosen prefix ${this.commit}`);
    this.applied = recovery.appliedIndex;
    this.emitted = recovery.appliedIndex;
    this.emitCommitted();
  }

  get commitIndex(): Slot {
    return this.commit;
  }

  get appliedIndex(): Slot {
    return this.applied;
  }

  get compactedThrough(): Slot {
    return this.compacted;
  }

  /** The peer with the most advanced commit index heard of, if it is ahead of us. */
  get aheadPeer(): NodeId | null {
    return this.peerCommit > this.commit ? this.peerCommitSource : null;
  }

  /** Known chosen (compacted slots count as chosen: they were). */
  isChosen(slot: Slot): boolean {
    return slot <= this.compacted || this.chosenBySlot.has(slot);
  }

  /** Records a chosen value (persisted with the turn) and emits any newly contiguous committed slots. */
  learn(slot: Slot, value: SlotValue): void {
    if (this.isChosen(slot)) return;
    this.store(slot, value);
    for (const command of value) this.onCommandChosen(command);
    this.outbox.recordChosen({ slot, value });
    this.advanceCommit();
    this.emitCommitted();
  }

  /**
   * Chosen entries in [fromSlot, toSlot] known here, in order, at most `limit` of them; null when
   * fromSlot is compacted away (the asker needs a snapshot).
   */
  chosenRange(fromSlot: Slot, toSlot: Slot, limit: number): ChosenEntry[] | null {
    if (fromSlot <= this.compacted) return null;
    const entries: ChosenEntry[] = [];
    for (let slot = fromSlot; slot <= toSlot && entries.length < limit; slot++) {
      const value = this.chosenBySlot.get(slot);
      if (value !== undefined) entries.push({ slot, value });
    }
    return entries;
  }

  /** Known chosen entries at or above `fromSlot` (for promises; fromSlot is above the compaction point). */
  chosenFrom(fromSlot: Slot): ChosenEntry[] {
    const entries: ChosenEntry[] = [];
    for (const [slot, value] of this.chosenBySlot) if (slot >= fromSlot) entries.push({ slot, value });
    return entries.sort((a, b) => a.slot - b.slot);
  }

  /** A peer reports that everything up to `commitIndex` is chosen. */
  notePeerCommit(source: NodeId, commitIndex: Slot): void {
    if (commitIndex > this.peerCommit) {
      this.peerCommit = commitIndex;
      this.peerCommitSource = source;
    }
  }

  /** A peer could not serve our catch-up: what we miss is compacted there, so we need its snapshot. */
  notePeerCompaction(source: NodeId, compactedThrough: Slot): void {
    if (compactedThrough > this.commit) this.outbox.requestSnapshot(source);
  }

  /**
   * If behind, keeps up to `maxInflight` consecutive ranges of `maxSlots` asked for from the most
   * advanced known peer: the peer prepares the next range while this replica applies the last one. A
   * range unanswered for `retransmitTicks` is asked for again (replies may be lost).
   */
  requestCatchup(now: number, retransmitTicks: number, maxSlots: number, maxInflight: number): void {
    const source = this.peerCommitSource;
    for (const [from, at] of this.catchupAsked) {
      // Forget ranges that arrived, and those unanswered for too long (they are asked for again below).
      if (from <= this.commit || now - at >= retransmitTicks) this.catchupAsked.delete(from);
    }
    if (source === null || this.peerCommit <= this.commit) return;
    let from = this.commit + 1;
    while (this.catchupAsked.size < maxInflight && from <= this.peerCommit) {
      if (!this.catchupAsked.has(from)) {
        const toSlot = Math.min(this.peerCommit, from + maxSlots - 1);
        this.catchupAsked.set(from, now);
        this.outbox.send(source, { type: 'catchupRequest', fromSlot: from, toSlot });
      }
      from += maxSlots;
    }
  }

  /** The runtime applied everything up to `slot`. */
  markApplied(slot: Slot): void {
    if (slot > this.emitted) throw new Error(`cannot apply slot ${slot}: only ${this.emitted} were committed`);
    if (slot > this.applied) this.applied = slot;
  }

  /** Drops chosen values of slots <= `slot`, which must be applied (the runtime's snapshot covers them). */
  compact(slot: Slot): void {
    if (slot > this.applied) throw new Error(`cannot compact through slot ${slot}: only ${this.applied} are applied`);
    if (slot <= this.compacted) return;
    for (const s of this.chosenBySlot.keys()) if (s <= slot) this.chosenBySlot.delete(s);
    this.compacted = slot;
  }

  /**
   * The runtime installed a snapshot of the state machine at `slot` (> appliedIndex): everything up to
   * it counts as chosen and applied; chosen slots already known above it are emitted next.
   */
  installSnapshot(slot: Slot): void {
    if (slot <= this.applied) return;
    for (const s of this.chosenBySlot.keys()) if (s <= slot) this.chosenBySlot.delete(s);
    this.compacted = slot;
    this.commit = Math.max(this.commit, slot);
    this.emitted = Math.max(this.emitted, slot);
    this.applied = slot;
    this.advanceCommit();
    this.emitCommitted();
  }

  private store(slot: Slot, value: SlotValue): void {
    this.chosenBySlot.set(slot, value);
    for (const command of value) this.ledger.add(command.origin, command.seq);
  }

  private advanceCommit(): void {
    while (this.chosenBySlot.has(this.commit + 1)) this.commit++;
  }

  private emitCommitted(): void {
    while (this.emitted < this.commit) {
      this.emitted++;
      const entry = { slot: this.emitted, value: this.chosenBySlot.get(this.emitted) ?? [] };
      this.onCommitted(entry);
      this.outbox.commit(entry);
    }
  }
}
