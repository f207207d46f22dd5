/**
 * The set of command ids known to be chosen, stored compactly: per origin, a floor below which every
 * sequence number is chosen, plus the chosen numbers above the floor. Origins number their commands
 * 1, 2, 3... without gaps, so the floor keeps rising and the sets stay small.
 */
import type { Command, NodeId } from './types';

interface OriginRecord {
  floor: number;
  readonly above: Set<number>;
}

export class CommandLedger {
  private readonly origins = new Map<NodeId, OriginRecord>();

  has(origin: NodeId, seq: number): boolean {
    const record = this.origins.get(origin);
    return record !== undefined && (seq <= record.floor || record.above.has(seq));
  }

  hasCommand(command: Command): boolean {
    return this.has(command.origin, command.seq);
  }

  add(origin: NodeId, seq: number): void {
    let record = this.origins.get(origin);
    if (record === undefined) {
      record = { floor: 0, above: new Set() };
      this.origins.set(origin, record);
    }
    if (seq <= record.floor) return;
    record.above.add(seq);
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
