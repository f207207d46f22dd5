/**
 * The learner: the chosen part of the replicated log, the commit index, catch-up and compaction.
 *
 * Invariants:
 *  - A slot's chosen value, once learned, never changes (Paxos guarantees there is only one).
 *  - compactedThrough <= appliedIndex <= emitted <= commitIndex, and tracked == commitIndex between calls.
 *  - Every slot joining the chosen prefix is reported to onCommitted at once, in order (the membership
 *    must follow the commit index), but handed to the runtime to apply (emitted) at most
 *    `maxEmitCommands` commands per Ready, so a replica that learned thousands of slots applies them
 *    over many turns and its event loop keeps serving timers and datagrams in between.
 *  - commitIndex is the end of the contiguous chosen prefix: every slot in [1, commitIndex] is known or
 *    compacted (slots <= compactedThrough were applied and are summarized by the snapshot).
 *  - Committed entries are emitted exactly once each, in slot order, starting after appliedIndex.
 */
import { assert } from './assert';
import { CatchupSources, type CatchupTarget } from './catchup-sources';
import type { CommandLedger } from './command-ledger';
import { chosenEntrySizeBound } from './message-size';
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
  /** Slots <= tracked have been reported to onCommitted. */
  private tracked: Slot;
  private applied: Slot;
  /** Commands emitted since the runtime last took a Ready (see readyTaken). */
  private emittedCommandsInReady = 0;
  /** Peers' claims about their commit indexes, and whom to catch up from. */
  private readonly sources: CatchupSources;
  /** The source chosen at the last requestCatchup (null: nobody claims to be ahead). */
  private target: CatchupTarget | null = null;
  /** Catch-up requests in flight: first slot of the range -> when it was asked for, and in which Ready it left. */
  private readonly catchupAsked = new Map<Slot, { readonly at: number; readonly ready: number }>();
  /** Readys the runtime took (readyTaken): a request asked for since the last one has not left yet. */
  private readiesTaken = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly ledger: CommandLedger,
    recovery: LearnerRecovery,
    /** Told about every command in a newly learned slot (not about recovered ones). */
    private readonly onCommandChosen: (command: Command) => void,
    /** Told about every slot joining the contiguous chosen prefix, in order (recovered ones above appliedIndex too). */
    private readonly onCommitted: (entry: ChosenEntry) => void,
    /** At most this many commands are emitted per Ready (at least one slot). */
    private readonly maxEmitCommands: number,
    /** A peer silent this long is no catch-up source (see CatchupSources). */
    catchupStaleTicks: number,
  ) {
    this.sources = new CatchupSources(catchupStaleTicks);
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
    this.tracked = recovery.appliedIndex;
    this.trackCommitted();
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

  /** The runtime took a Ready: the next one may carry maxEmitCommands more commands. */
  readyTaken(): void {
    this.readiesTaken++;
    this.emittedCommandsInReady = 0;
    this.emitCommitted();
  }

  /** Chooses whom to catch up from now (see CatchupSources); aheadPeer follows it. */
  refreshTarget(now: number): CatchupTarget | null {
    this.target = this.sources.select(this.commit, now);
    return this.target;
  }

  /** The peer chosen to catch up from, if it is ahead of us. */
  get aheadPeer(): NodeId | null {
    return this.target !== null && this.target.commitIndex > this.commit ? this.target.peer : null;
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
    this.trackCommitted();
    this.emitCommitted();
    this.checkIndexes();
  }

  /**
   * Chosen entries known here among the `maxSlots` slots from fromSlot (and <= toSlot), in order, of at
   * most `maxBytes` encoded bytes but always the first one found; null when fromSlot is compacted away
   * (the asker needs a snapshot). The scan is bounded by maxSlots whatever range is asked for.
   */
  chosenRange(fromSlot: Slot, toSlot: Slot, maxSlots: number, maxBytes: number): ChosenEntry[] | null {
    if (fromSlot <= this.compacted) return null;
    const entries: ChosenEntry[] = [];
    let bytes = 0;
    const last = Math.min(toSlot, fromSlot + maxSlots - 1);
    for (let slot = fromSlot; slot <= last; slot++) {
      const value = this.chosenBySlot.get(slot);
      if (value === undefined) continue;
      const entry = { slot, value };
      bytes += chosenEntrySizeBound(entry);
      if (entries.length > 0 && bytes > maxBytes) break;
      entries.push(entry);
    }
    return entries;
  }

  /**
   * Known chosen entries at or above `fromSlot` (for promises; fromSlot is above the compaction point),
   * or null when they take more than `maxBytes` encoded bytes.
   */
  chosenFrom(fromSlot: Slot, maxBytes: number): ChosenEntry[] | null {
    const entries: ChosenEntry[] = [];
    let bytes = 0;
    for (const [slot, value] of this.chosenBySlot) {
      if (slot < fromSlot) continue;
      const entry = { slot, value };
      bytes += chosenEntrySizeBound(entry);
      if (bytes > maxBytes) return null;
      entries.push(entry);
    }
    return entries.sort((a, b) => a.slot - b.slot);
  }

  /** A peer reports that everything up to `commitIndex` is chosen. */
  notePeerCommit(source: NodeId, commitIndex: Slot, now: number): void {
    this.sources.note(source, commitIndex, now);
  }

  /** A peer could not serve our catch-up: what we miss is compacted there, so we need its snapshot. */
  notePeerCompaction(source: NodeId, compactedThrough: Slot): void {
    if (compactedThrough > this.commit) this.outbox.requestSnapshot(source);
  }

  /**
   * If behind, keeps up to `maxInflight` consecutive ranges of `maxSlots` asked for from the most
   * advanced known peer: the peer prepares the next range while this replica applies the last one. A
   * range unanswered for `retransmitTicks` is asked for again (replies may be lost), but never before
   * the Ready that carries it was taken: after a stall the runtime feeds many ticks in one turn, in
   * which no answer can arrive, and each retransmission would queue one more copy of a large reply.
   */
  requestCatchup(now: number, retransmitTicks: number, maxSlots: number, maxInflight: number, snapshotBeyondSlots: number): void {
    const target = this.refreshTarget(now);
    // Far behind (a laptop that slept): one snapshot is much cheaper than thousands of slots, for both sides.
    if (target !== null && target.commitIndex - this.commit > snapshotBeyondSlots) {
      this.outbox.requestSnapshot(target.peer);
      return;
    }
    for (const [from, asked] of this.catchupAsked) {
      // Forget ranges that arrived, and those unanswered for too long since they left (asked for again below).
      if (from <= this.commit || (asked.ready < this.readiesTaken && now - asked.at >= retransmitTicks)) this.catchupAsked.delete(from);
    }
    if (target === null) return;
    let from = this.commit + 1;
    while (this.catchupAsked.size < maxInflight && from <= target.commitIndex) {
      if (!this.catchupAsked.has(from)) {
        const toSlot = Math.min(target.commitIndex, from + maxSlots - 1);
        this.catchupAsked.set(from, { at: now, ready: this.readiesTaken });
        this.outbox.send(target.peer, { type: 'catchupRequest', fromSlot: from, toSlot });
      }
      from += maxSlots;
    }
  }

  /** The runtime applied everything up to `slot`. */
  markApplied(slot: Slot): void {
    if (slot > this.emitted) throw new Error(`cannot apply slot ${slot}: only ${this.emitted} were committed`);
    if (slot > this.applied) this.applied = slot;
    this.checkIndexes();
  }

  /** Drops chosen values of slots <= `slot`, which must be applied (the runtime's snapshot covers them). */
  compact(slot: Slot): void {
    if (slot > this.applied) throw new Error(`cannot compact through slot ${slot}: only ${this.applied} are applied`);
    if (slot <= this.compacted) return;
    for (const s of this.chosenBySlot.keys()) if (s <= slot) this.chosenBySlot.delete(s);
    this.compacted = slot;
    this.checkIndexes();
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
    this.tracked = Math.max(this.tracked, slot);
    this.applied = slot;
    this.advanceCommit();
    this.trackCommitted();
    this.emitCommitted();
    this.checkIndexes();
  }

  private store(slot: Slot, value: SlotValue): void {
    this.chosenBySlot.set(slot, value);
    for (const command of value) this.ledger.add(command.origin, command.seq);
  }

  private advanceCommit(): void {
    while (this.chosenBySlot.has(this.commit + 1)) this.commit++;
  }

  /** compactedThrough <= appliedIndex <= emitted <= tracked <= commitIndex: each stage follows the one before. */
  private checkIndexes(): void {
    assert(
      this.compacted <= this.applied && this.applied <= this.emitted && this.emitted <= this.tracked && this.tracked <= this.commit,
      () => `learner indexes out of order: compacted ${this.compacted}, applied ${this.applied}, emitted ${this.emitted}, tracked ${this.tracked}, commit ${this.commit}`,
    );
  }

  private trackCommitted(): void {
    while (this.tracked < this.commit) {
      this.tracked++;
      this.onCommitted({ slot: this.tracked, value: this.committedValue(this.tracked) });
    }
  }

  private emitCommitted(): void {
    while (this.emitted < this.commit) {
      const value = this.committedValue(this.emitted + 1);
      const commands = Math.max(1, value.length);
      if (this.emittedCommandsInReady > 0 && this.emittedCommandsInReady + commands > this.maxEmitCommands) return;
      this.emitted++;
      this.emittedCommandsInReady += commands;
      this.outbox.commit({ slot: this.emitted, value });
    }
  }

  /** The value of a slot in the chosen prefix above the compaction point: it is known by definition of commitIndex. */
  private committedValue(slot: Slot): SlotValue {
    const value = this.chosenBySlot.get(slot);
    if (value === undefined) throw new Error(`slot ${slot} is in the chosen prefix (commit index ${this.commit}) but its value is unknown`);
    return value;
  }
}
