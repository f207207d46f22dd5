/**
 * Reads every node's chosen log as it grows (before compaction drops it, so runs of any length can be
 * audited) and checks, without vitest, what the fuzzer promises:
 *  - all replicas agree slot by slot (same commands, same content);
 *  - no replica holds a command id twice;
 *  - at the end, every acknowledged command is in every replica's log exactly once, at the slot it was
 *    acknowledged in, and every command answered `pending` is there exactly once too (it stayed queued).
 * Slots a node compacted before they were read are counted as unverified, not as failures.
 */
import type { CommandView, LogEntryView } from '../../shared/api';
import type { ProcessNode } from '../process/harness';

const PAGE_SLOTS = 1_000;
/** Failures listed per kind in the report (the counts are complete). */
const EXAMPLES_KEPT = 5;

interface NodeLog {
  /** The next slot to read. */
  nextSlot: number;
  readonly slotOf: Map<string, number>;
  /** Ranges [from, to] compacted before they could be read. */
  readonly skipped: [number, number][];
}

export interface AuditFailures {
  readonly disagreements: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly pendingLost: number;
  /** A few examples of each, for the report. */
  readonly examples: readonly string[];
}

export class LogAuditor {
  private readonly logs = new Map<string, NodeLog>();
  /** Each slot's content as the first replica read it; a slot leaves once every replica read it. */
  private readonly slotContent = new Map<number, { content: string; readBy: number }>();
  private disagreements = 0;
  private duplicates = 0;
  private readonly examples: string[] = [];

  constructor(private readonly nodes: readonly ProcessNode[]) {
    for (const node of nodes) this.logs.set(node.spec.id, { nextSlot: 1, slotOf: new Map(), skipped: [] });
  }

  /** Reads what each running node chose since the last call. A node that does not answer is read next time. */
  async poll(): Promise<void> {
    await Promise.all(this.nodes.filter((node) => node.running).map((node) => this.read(node).catch(() => undefined)));
  }

  /** Slots some node compacted before they could be read. */
  get unverifiedSlots(): number {
    let total = 0;
    for (const log of this.logs.values()) for (const [from, to] of log.skipped) total += to - from + 1;
    return total;
  }

  /** The verdict, once every node converged and was polled. */
  check(acknowledged: ReadonlyMap<string, number>, pending: ReadonlySet<string>): AuditFailures {
    let lost = 0;
    let pendingLost = 0;
    const examples = [...this.examples];
    const note = (text: string): void => {
      if (examples.length < this.examples.length + EXAMPLES_KEPT) examples.push(text);
    };
    for (const [id, log] of this.logs) {
      for (const [command, slot] of acknowledged) {
        const found = log.slotOf.get(command);
        // A slot compacted before it could be read is unverifiable here, not lost.
        if (found === slot || (found === undefined && log.skipped.some(([from, to]) => slot >= from && slot <= to))) continue;
        lost++;
        note(`${id}: acknowledged ${command} (slot ${slot}) is ${found === undefined ? 'missing' : `at slot ${found}`}`);
      }
      for (const command of pending) {
        if (log.slotOf.has(command)) continue;
        pendingLost++;
        note(`${id}: ${command}, answered "pending", was never chosen`);
      }
    }
    return { disagreements: this.disagreements, duplicates: this.duplicates, lost, pendingLost, examples };
  }

  private async read(node: ProcessNode): Promise<void> {
    const log = this.logs.get(node.spec.id) as NodeLog;
    for (;;) {
      const page = await node.call('log', { from: log.nextSlot, limit: PAGE_SLOTS });
      if (page.firstSlot > log.nextSlot) {
        log.skipped.push([log.nextSlot, page.firstSlot - 1]);
        log.nextSlot = page.firstSlot;
        continue;
      }
      let read = 0;
      for (const entry of page.entries) {
        if (entry.slot !== log.nextSlot || entry.status !== 'chosen' || entry.slot > page.commitIndex) return;
        this.record(node.spec.id, log, entry);
        log.nextSlot++;
        read++;
      }
      if (read < PAGE_SLOTS) return;
    }
  }

  private record(id: string, log: NodeLog, entry: LogEntryView): void {
    for (const command of entry.commands) {
      const earlier = log.slotOf.get(command.id);
      if (earlier !== undefined) {
        this.duplicates++;
        this.example(`${id}: command ${command.id} in slots ${earlier} and ${entry.slot}`);
      } else log.slotOf.set(command.id, entry.slot);
    }
    const content = describe(entry.commands);
    const known = this.slotContent.get(entry.slot);
    if (known === undefined) {
      this.slotContent.set(entry.slot, { content, readBy: 1 });
      return;
    }
    if (known.content !== content) {
      this.disagreements++;
      this.example(`slot ${entry.slot} differs: ${id} has ${content.slice(0, 200)}, another replica ${known.content.slice(0, 200)}`);
    }
    if (++known.readBy >= this.nodes.length) this.slotContent.delete(entry.slot);
  }

  private example(text: string): void {
    if (this.examples.length < EXAMPLES_KEPT) this.examples.push(text);
  }
}

function describe(commands: readonly CommandView[]): string {
  return JSON.stringify(commands);
}
