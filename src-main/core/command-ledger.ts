/**
 * The set of command ids known to be chosen, stored compactly: per origin, a floor below which every
 * sequence number is chosen, plus the chosen numbers above the floor. Origins number their commands
 * 1, 2, 3... without gaps, so the floor keeps rising and the sets stay small.
 *
 * Invariant (safety depends on it): an id is here only if this replica knows the slot that holds it is
 * chosen (a retained chosen slot, or a compacted one). The leader strips ledger ids from re-proposed
 * values, which is sound only because the id's own slot is never re-proposed.
 */
import type { Command, NodeId } from './types';

/** The ledger in a plain, serializable form (persisted with checkpoints and snapshots). */
export type LedgerState = readonly { readonly origin: NodeId; readonly floor: number; readonly above: readonly number[] }[];

interface OriginRecord {
  floor: number;
  readonly above: Set<number>;
}

export class CommandLedger {
  private readonly origins = new Map<NodeId, OriginRecord>();

  constructor(state: LedgerState = []) {
    this.merge(state);
  }

  /** Adds every id of `state` (used when installing a snapshot). */
  merge(state: LedgerState): void {
    for (const { origin, floor, above } of state) {
      const record = this.record(origin);
      if (floor > record.floor) {
        record.floor = floor;
        for (const seq of record.above) if (seq <= floor) record.above.delete(seq);
        this.raiseFloor(record);
      }
      for (const seq of above) this.add(origin, seq);
    }
  }

  export(): LedgerState {
    return [...this.origins]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([origin, record]) => ({ origin, floor: record.floor, above: [...record.above].sort((x, y) => x - y) }));
  }

  has(origin: NodeId, seq: number): boolean {
    const record = this.origins.get(origin);
    return record !== undefined && (seq <= record.floor || record.above.has(seq));
  }

  hasCommand(command: Command): boolean {
    return this.has(command.origin, command.seq);
  }

  add(origin: NodeId, seq: number): void {
    const record = this.record(origin);
    if (seq <= record.floor) return;
    record.above.add(seq);
    this.raiseFloor(record);
  }

  private record(origin: NodeId): OriginRecord {
    let record = this.origins.get(origin);
    if (record === undefined) {
      record = { floor: 0, above: new Set() };
      this.origins.set(origin, record);
    }
    return record;
  }

  private raiseFloor(record: OriginRecord): void {
    while (record.above.delete(record.floor + 1)) record.floor++;
  }

  /** The highest sequence number of `origin` known here, or 0. */
  highestSeq(origin: NodeId): number {
    const record = this.origins.get(origin);
    if (record === undefined) return 0;
    let highest = record.floor;
    for (const seq of record.above) if (seq > highest) highest = seq;
    return highest;
  }
}
