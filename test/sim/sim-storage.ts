/**
 * A node's disk in the fast simulator: writes are buffered until a sync; a crash loses everything not
 * synced. Compaction and snapshot installation are atomic and durable (as a real checkpoint is).
 * (test/sim/store-node.ts runs the real storage code on a fault-injecting file system instead.)
 */
import { compareBallots, ZERO_BALLOT, type Ballot } from '../../src-main/core/ballot';
import { CommandLedger, type LedgerState } from '../../src-main/core/command-ledger';
import { commandKey, type AcceptedEntry, type ChosenEntry, type Command, type DurableState, type PersistBatch, type Slot, type SlotValue } from '../../src-main/core/types';

/** The state machine of the simulator is the applied log itself, so a snapshot is a slot and a ledger. */
export interface SimSnapshot {
  readonly slot: Slot;
  readonly ledger: LedgerState;
}

export class SimStorage {
  private promised: Ballot = ZERO_BALLOT;
  private readonly accepted = new Map<Slot, AcceptedEntry>();
  private readonly chosen = new Map<Slot, SlotValue>();
  private readonly proposals = new Map<string, Command>();
  /** Ids of the commands in compacted slots (never of later slots: see CommandLedger's invariant). */
  private readonly compactedLedger = new CommandLedger();
  private compactedThrough: Slot = 0;
  private unsynced: PersistBatch[] = [];

  write(batch: PersistBatch): void {
    this.unsynced.push(batch);
  }

  /** Makes every buffered write durable; returns them (in order) for the checker. */
  sync(): PersistBatch[] {
    const batches = this.unsynced;
    this.unsynced = [];
    for (const batch of batches) {
      if (batch.promised !== null && compareBallots(batch.promised, this.promised) > 0) this.promised = batch.promised;
      for (const entry of batch.accepted) if (entry.slot > this.compactedThrough) this.accepted.set(entry.slot, entry);
      for (const entry of batch.chosen) this.storeChosen(entry.slot, entry.value);
      for (const command of batch.proposals) this.proposals.set(commandKey(command.origin, command.seq), command);
    }
    return batches;
  }

  crash(): void {
    this.unsynced = [];
  }

  /** The durable state, with the application replayed over the contiguous chosen prefix. */
  recover(): DurableState {
    return {
      promised: this.promised,
      accepted: [...this.accepted.values()],
      chosen: [...this.chosen].map(([slot, value]) => ({ slot, value })),
      proposals: [...this.proposals.values()].filter((c) => !this.compactedLedger.hasCommand(c)),
      appliedIndex: this.appliedIndex(),
      compactedThrough: this.compactedThrough,
      ledger: this.compactedLedger.export(),
    };
  }

  /** The compaction point and the applied slots after it, as a restart replays them. */
  appliedLog(): { base: Slot; entries: ChosenEntry[] } {
    const entries: ChosenEntry[] = [];
    for (let slot = this.compactedThrough + 1; this.chosen.has(slot); slot++) entries.push({ slot, value: this.chosen.get(slot) as SlotValue });
    return { base: this.compactedThrough, entries };
  }

  appliedIndex(): Slot {
    let slot = this.compactedThrough;
    while (this.chosen.has(slot + 1)) slot++;
    return slot;
  }

  /** Drops durable log entries through `slot` (which must be applied). */
  compact(slot: Slot): void {
    if (slot > this.appliedIndex()) throw new Error(`cannot compact past the applied index`);
    this.dropThrough(slot);
  }

  /** The state machine at the applied index: the ledger covers exactly the slots up to it. */
  snapshot(): SimSnapshot {
    const slot = this.appliedIndex();
    const ledger = new CommandLedger(this.compactedLedger.export());
    for (let s = this.compactedThrough + 1; s <= slot; s++) for (const command of this.chosen.get(s) ?? []) ledger.add(command.origin, command.seq);
    return { slot, ledger: ledger.export() };
  }

  installSnapshot(snapshot: SimSnapshot): void {
    this.compactedLedger.merge(snapshot.ledger);
    this.dropThrough(snapshot.slot);
  }

  private dropThrough(slot: Slot): void {
    for (let s = this.compactedThrough + 1; s <= slot; s++) for (const command of this.chosen.get(s) ?? []) this.compactedLedger.add(command.origin, command.seq);
    this.compactedThrough = Math.max(this.compactedThrough, slot);
    for (const s of this.chosen.keys()) if (s <= this.compactedThrough) this.chosen.delete(s);
    for (const s of this.accepted.keys()) if (s <= this.compactedThrough) this.accepted.delete(s);
  }

  private storeChosen(slot: Slot, value: SlotValue): void {
    if (slot > this.compactedThrough) this.chosen.set(slot, value);
  }
}
