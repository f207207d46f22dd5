/**
 * A node's disk in the fast simulator: writes are buffered until a sync; a crash loses everything not
 * synced. Compaction and snapshot installation are atomic and durable (as a real checkpoint is). The
 * state machine is the applied log itself, so a snapshot is a slot and a ledger, plus the size a real
 * state machine holding those commands would transfer (stateBytes).
 */
import { compareBallots, ZERO_BALLOT, type Ballot } from '../../src-main/core/ballot';
import { CommandLedger, type LedgerState } from '../../src-main/core/command-ledger';
import { commandKey, type AcceptedEntry, type ChosenEntry, type Command, type PersistBatch, type Slot, type SlotValue } from '../../src-main/core/types';
import { replayMembership, type MembershipState } from '../../src-main/core/membership';
import { commandSizeBound } from '../../src-main/core/message-size';
import type { NodeDisk, RecoveredDisk, SnapshotImage } from './node-disk';

interface MemorySnapshot {
  readonly slot: Slot;
  readonly ledger: LedgerState;
  readonly membership: MembershipState;
  /** The encoded bytes of every command in slots <= slot: what a real snapshot of them would weigh. */
  readonly stateBytes: number;
}

function valueStateBytes(value: SlotValue): number {
  let bytes = 0;
  for (const command of value) bytes += commandSizeBound(command);
  return bytes;
}

export class MemoryDisk implements NodeDisk {
  private promised: Ballot = ZERO_BALLOT;
  private readonly accepted = new Map<Slot, AcceptedEntry>();
  private readonly chosen = new Map<Slot, SlotValue>();
  private readonly proposals = new Map<string, Command>();
  /** Ids of the commands in compacted slots (never of later slots: see CommandLedger's invariant). */
  private readonly compactedLedger = new CommandLedger();
  private compactedThrough: Slot = 0;
  /** stateBytes of the compacted slots. */
  private compactedStateBytes = 0;
  private unsynced: PersistBatch[] = [];

  /** `membership`: as of compactedThrough (the bootstrap configuration, or null for a node that joins later). */
  constructor(private membership: MembershipState | null) {}

  open(): RecoveredDisk {
    const applied: ChosenEntry[] = [];
    for (let slot = this.compactedThrough + 1; this.chosen.has(slot); slot++) applied.push({ slot, value: this.chosen.get(slot) as SlotValue });
    return {
      durable: {
        promised: this.promised,
        accepted: [...this.accepted.values()],
        chosen: [...this.chosen].map(([slot, value]) => ({ slot, value })),
        proposals: [...this.proposals.values()].filter((c) => !this.compactedLedger.hasCommand(c)),
        appliedIndex: this.compactedThrough + applied.length,
        compactedThrough: this.compactedThrough,
        ledger: this.compactedLedger.export(),
        membership: this.membership === null ? null : replayMembership(this.membership, applied),
      },
      appliedBase: this.compactedThrough,
      applied,
    };
  }

  write(batch: PersistBatch): void {
    this.unsynced.push(batch);
  }

  sync(): PersistBatch[] {
    const batches = this.unsynced;
    this.unsynced = [];
    for (const batch of batches) {
      if (batch.promised !== null && compareBallots(batch.promised, this.promised) > 0) this.promised = batch.promised;
      for (const entry of batch.accepted) if (entry.slot > this.compactedThrough) this.accepted.set(entry.slot, entry);
      for (const entry of batch.chosen) if (entry.slot > this.compactedThrough) this.chosen.set(entry.slot, entry.value);
      for (const command of batch.proposals) this.proposals.set(commandKey(command.origin, command.seq), command);
    }
    return batches;
  }

  /** The applied log is the chosen prefix, which sync() already made durable. */
  apply(): void {}

  crash(): void {
    this.unsynced = [];
  }

  compact(slot: Slot): void {
    if (slot > this.appliedIndex()) throw new Error('cannot compact past the applied index');
    if (slot <= this.compactedThrough || this.membership === null) return;
    this.dropThrough(slot, replayMembership(this.membership, this.chosenRange(slot)));
  }

  snapshot(): SnapshotImage {
    const slot = this.appliedIndex();
    if (this.membership === null) throw new Error('no snapshot before the membership is known');
    const ledger = new CommandLedger(this.compactedLedger.export());
    let stateBytes = this.compactedStateBytes;
    for (let s = this.compactedThrough + 1; s <= slot; s++) {
      const value = this.chosen.get(s) ?? [];
      for (const command of value) ledger.add(command.origin, command.seq);
      stateBytes += valueStateBytes(value);
    }
    const snapshot: MemorySnapshot = { slot, ledger: ledger.export(), membership: replayMembership(this.membership, this.chosenRange(slot)), stateBytes };
    const bytes = new TextEncoder().encode(JSON.stringify(snapshot));
    return { bytes, transferBytes: bytes.length + stateBytes };
  }

  installSnapshot(bytes: Uint8Array): MemorySnapshot | null {
    const snapshot = JSON.parse(new TextDecoder().decode(bytes)) as MemorySnapshot;
    if (snapshot.slot <= this.appliedIndex()) return null;
    this.compactedLedger.merge(snapshot.ledger);
    this.dropThrough(snapshot.slot, snapshot.membership);
    this.compactedStateBytes = snapshot.stateBytes;
    return snapshot;
  }

  digest(): null {
    return null;
  }

  private appliedIndex(): Slot {
    let slot = this.compactedThrough;
    while (this.chosen.has(slot + 1)) slot++;
    return slot;
  }

  /** Chosen entries from the compaction point through `slot` (all retained: slot <= the applied index). */
  private chosenRange(slot: Slot): ChosenEntry[] {
    const entries: ChosenEntry[] = [];
    for (let s = this.compactedThrough + 1; s <= slot; s++) entries.push({ slot: s, value: this.chosen.get(s) ?? [] });
    return entries;
  }

  /** `membership` is the membership as of `slot`. */
  private dropThrough(slot: Slot, membership: MembershipState): void {
    this.membership = membership;
    for (let s = this.compactedThrough + 1; s <= slot; s++) {
      const value = this.chosen.get(s) ?? [];
      for (const command of value) this.compactedLedger.add(command.origin, command.seq);
      this.compactedStateBytes += valueStateBytes(value);
    }
    this.compactedThrough = Math.max(this.compactedThrough, slot);
    for (const s of this.chosen.keys()) if (s <= this.compactedThrough) this.chosen.delete(s);
    for (const s of this.accepted.keys()) if (s <= this.compactedThrough) this.accepted.delete(s);
  }
}
