/**
 * A node's disk in the simulator: writes are buffered until a sync; a crash loses everything not synced.
 * (The storage issue replaces this with the real journal on a fault-injecting file layer.)
 */
import { compareBallots, ZERO_BALLOT, type Ballot } from '../../src-main/core/ballot';
import { commandKey, type AcceptedEntry, type Command, type DurableState, type PersistBatch, type Slot, type SlotValue } from '../../src-main/core/types';

export class SimStorage {
  private promised: Ballot = ZERO_BALLOT;
  private readonly accepted = new Map<Slot, AcceptedEntry>();
  private readonly chosen = new Map<Slot, SlotValue>();
  private readonly proposals = new Map<string, Command>();
  private unsynced: PersistBatch[] = [];
  syncs = 0;

  write(batch: PersistBatch): void {
    this.unsynced.push(batch);
  }

  /** Makes every buffered write durable; returns them (in order) for the checker. */
  sync(): PersistBatch[] {
    const batches = this.unsynced;
    this.unsynced = [];
    for (const batch of batches) {
      if (batch.promised !== null && compareBallots(batch.promised, this.promised) > 0) this.promised = batch.promised;
      for (const entry of batch.accepted) this.accepted.set(entry.slot, entry);
      for (const entry of batch.chosen) this.chosen.set(entry.slot, entry.value);
      for (const command of batch.proposals) this.proposals.set(commandKey(command.origin, command.seq), command);
    }
    this.syncs++;
    return batches;
  }

  crash(): void {
    this.unsynced = [];
  }

  /** The durable state, with the application replayed over the contiguous chosen prefix. */
  recover(): DurableState {
    let appliedIndex = 0;
    while (this.chosen.has(appliedIndex + 1)) appliedIndex++;
    return {
      promised: this.promised,
      accepted: [...this.accepted.values()],
      chosen: [...this.chosen].map(([slot, value]) => ({ slot, value })),
      proposals: [...this.proposals.values()],
      appliedIndex,
    };
  }

  chosenPrefix(): { slot: Slot; value: SlotValue }[] {
    const prefix: { slot: Slot; value: SlotValue }[] = [];
    for (let slot = 1; this.chosen.has(slot); slot++) prefix.push({ slot, value: this.chosen.get(slot) as SlotValue });
    return prefix;
  }
}
