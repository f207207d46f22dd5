/**
 * The learner: the chosen part of the replicated log, the commit index, and catch-up.
 *
 * Invariants:
 *  - A slot's chosen value, once learned, never changes (Paxos guarantees there is only one).
 *  - commitIndex is the end of the contiguous chosen prefix: every slot in [1, commitIndex] is known.
 *  - Committed entries are emitted exactly once each, in slot order, starting after appliedIndex.
 */
import type { CommandLedger } from './command-ledger';
import type { Outbox } from './outbox';
import type { ChosenEntry, Command, NodeId, Slot, SlotValue } from './types';

export class Learner {
  private readonly chosenBySlot = new Map<Slot, SlotValue>();
  private commit: Slot = 0;
  /** Slots <= emitted have been handed to the runtime to apply. */
  private emitted: Slot;
  private applied: Slot;
  /** The most advanced commit index heard from a peer, and who said it: the catch-up source. */
  private peerCommit: Slot = 0;
  private peerCommitSource: NodeId | null = null;
  private catchupRequestedAt = -Infinity;

  constructor(
    private readonly outbox: Outbox,
    private readonly ledger: CommandLedger,
    chosen: readonly ChosenEntry[],
    appliedIndex: Slot,
    /** Told about every command in a newly learned slot (not about recovered ones). */
    private readonly onCommandChosen: (command: Command) => void,
  ) {
    for (const entry of chosen) this.store(entry.slot, entry.value);
    this.advanceCommit();
    if (appliedIndex > this.commit) throw new Error(`applied index ${appliedIndex} is beyond the recovered chosen prefix ${this.commit}`);
    this.applied = appliedIndex;
    this.emitted = appliedIndex;
    this.emitCommitted();
  }

  get commitIndex(): Slot {
    return this.commit;
  }

  get appliedIndex(): Slot {
    return this.applied;
  }

  isChosen(slot: Slot): boolean {
    return this.chosenBySlot.has(slot);
  }

  chosenAt(slot: Slot): SlotValue | undefined {
    return this.chosenBySlot.get(slot);
  }

  /** Records a chosen value (persisted with the turn) and emits any newly contiguous committed slots. */
  learn(slot: Slot, value: SlotValue): void {
    if (this.chosenBySlot.has(slot)) return;
    this.store(slot, value);
    for (const command of value) this.onCommandChosen(command);
    this.outbox.recordChosen({ slot, value });
    this.advanceCommit();
    this.emitCommitted();
  }

  /** Chosen entries in [fromSlot, toSlot] that are known here, in order, at most `limit` of them. */
  chosenRange(fromSlot: Slot, toSlot: Slot, limit: number): ChosenEntry[] {
    const entries: ChosenEntry[] = [];
    for (let slot = fromSlot; slot <= toSlot && entries.length < limit; slot++) {
      const value = this.chosenBySlot.get(slot);
      if (value !== undefined) entries.push({ slot, value });
    }
    return entries;
  }

  /** Known chosen entries at or above `fromSlot` (for promises), in slot order. */
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

  isBehind(): boolean {
    return this.peerCommit > this.commit;
  }

  /**
   * If behind, asks the most advanced known peer for the next missing range, at most once per
   * `retransmitTicks` (the reply or a later tick drives the next request).
   */
  requestCatchup(now: number, retransmitTicks: number, maxSlots: number): void {
    if (!this.isBehind() || this.peerCommitSource === null) return;
    if (now - this.catchupRequestedAt < retransmitTicks) return;
    this.catchupRequestedAt = now;
    const fromSlot = this.commit + 1;
    const toSlot = Math.min(this.peerCommit, fromSlot + maxSlots - 1);
    this.outbox.send(this.peerCommitSource, { type: 'catchupRequest', fromSlot, toSlot });
  }

  /** A catch-up reply arrived: the next request may go out at once if still behind. */
  catchupAnswered(): void {
    this.catchupRequestedAt = -Infinity;
  }

  /** The runtime applied everything up to `slot`. */
  markApplied(slot: Slot): void {
    if (slot > this.emitted) throw new Error(`cannot apply slot ${slot}: only ${this.emitted} were committed`);
    if (slot > this.applied) this.applied = slot;
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
      this.outbox.commit({ slot: this.emitted, value: this.chosenBySlot.get(this.emitted) ?? [] });
    }
  }
}
