/**
 * The simulator's oracle. It computes ground truth independently of what any replica believes: a value
 * is chosen in a slot once a majority of acceptors have *durably* accepted it at the same ballot. Every
 * hook is called as events happen, so a violation is reported at the step that caused it.
 *
 * Invariants:
 *  1. At most one value is chosen per slot.
 *  2. Learners learn only values that are chosen (by a durable majority), so what they apply is final.
 *  3. Every replica applies exactly the chosen values, slot after slot: all applied sequences are
 *     prefixes of one another.
 *  4. Every chosen command was proposed (same id, same payload).
 *  5. No command id is chosen in two slots.
 *  6. A promise never goes backwards, not even across a crash and restart.
 *  7. Every acknowledged command (applied at its origin, i.e. reported done to the client) stays
 *     chosen forever: in the same slot of the truth and in every replica's applied sequence.
 */
import { compareBallots, formatBallot, ZERO_BALLOT, type Ballot } from '../../src-main/core/ballot';
import { majority } from '../../src-main/core/quorum';
import { commandKey, type AcceptedEntry, type Command, type NodeId, type Slot, type SlotValue } from '../../src-main/core/types';

export class InvariantViolation extends Error {}

export function describeValue(value: SlotValue): string {
  return value.length === 0 ? 'no-op' : `[${value.map((c) => commandKey(c.origin, c.seq)).join(',')}]`;
}

function valueKey(value: SlotValue): string {
  return value.map((c) => `${commandKey(c.origin, c.seq)}=${c.payload}`).join('|');
}

export class InvariantChecker {
  /** (slot, ballot) -> the value accepted there and the acceptors that made it durable. */
  private readonly durableAccepts = new Map<string, { key: string; nodes: Set<NodeId> }>();
  private readonly chosen = new Map<Slot, { key: string; value: SlotValue }>();
  private readonly slotOfCommand = new Map<string, Slot>();
  private readonly payloadsProposed = new Map<string, Set<string>>();
  private readonly durableSubmissions = new Map<string, Command>();
  private readonly promiseSent = new Map<NodeId, Ballot>();
  private readonly appliedThrough = new Map<NodeId, Slot>();
  private readonly acknowledged = new Map<string, Slot>();
  private readonly quorum: number;

  constructor(readonly members: readonly NodeId[]) {
    this.quorum = majority(members.length);
  }

  get chosenSlots(): number {
    return this.chosen.size;
  }

  get acknowledgedCount(): number {
    return this.acknowledged.size;
  }

  /** The highest slot with a chosen value, and whether every slot below it is chosen too. */
  chosenFrontier(): { highest: Slot; contiguous: boolean } {
    let highest = 0;
    for (const slot of this.chosen.keys()) highest = Math.max(highest, slot);
    return { highest, contiguous: this.chosen.size === highest };
  }

  proposed(command: Command): void {
    const key = commandKey(command.origin, command.seq);
    let payloads = this.payloadsProposed.get(key);
    if (payloads === undefined) this.payloadsProposed.set(key, (payloads = new Set()));
    payloads.add(command.payload);
  }

  durablySubmitted(command: Command): void {
    this.durableSubmissions.set(commandKey(command.origin, command.seq), command);
  }

  /** Commands whose submission survived on disk but that are not chosen (yet). */
  unchosenSubmissions(): Command[] {
    return [...this.durableSubmissions.entries()].filter(([key]) => !this.slotOfCommand.has(key)).map(([, command]) => command);
  }

  durablyAccepted(node: NodeId, entry: AcceptedEntry): void {
    const id = `${entry.slot}@${formatBallot(entry.ballot)}`;
    const key = valueKey(entry.value);
    let record = this.durableAccepts.get(id);
    if (record === undefined) this.durableAccepts.set(id, (record = { key, nodes: new Set() }));
    if (record.key !== key) this.fail(`two different values were accepted in slot ${entry.slot} at ballot ${formatBallot(entry.ballot)}`);
    record.nodes.add(node);
    if (record.nodes.size >= this.quorum) this.markChosen(entry.slot, entry.value, key);
  }

  learned(node: NodeId, slot: Slot, value: SlotValue): void {
    const truth = this.chosen.get(slot);
    if (truth === undefined) this.fail(`${node} learned ${describeValue(value)} in slot ${slot}, which no durable majority accepted`);
    if (truth.key !== valueKey(value)) this.fail(`${node} learned ${describeValue(value)} in slot ${slot}, but ${describeValue(truth.value)} is chosen there`);
  }

  /** Called for each slot a replica applies, in order; `reset` after a restart replays from the start. */
  applied(node: NodeId, slot: Slot, value: SlotValue): void {
    const previous = this.appliedThrough.get(node) ?? 0;
    if (slot !== previous + 1) this.fail(`${node} applied slot ${slot} right after slot ${previous}`);
    this.learned(node, slot, value);
    this.appliedThrough.set(node, slot);
  }

  /**
   * A restarted replica rebuilt its state machine from its disk (a snapshot through `base`, then the
   * applied entries): it must still hold every acknowledged command.
   */
  restarted(node: NodeId, promised: Ballot, base: Slot, recoveredApplied: readonly { slot: Slot; value: SlotValue }[]): void {
    this.checkPromise(node, promised);
    this.appliedThrough.set(node, 0);
    this.snapshotInstalled(node, base);
    for (const entry of recoveredApplied) this.applied(node, entry.slot, entry.value);
  }

  /** A replica's state machine jumped to `slot` by installing a snapshot: every slot up to it must be chosen. */
  snapshotInstalled(node: NodeId, slot: Slot): void {
    for (let s = (this.appliedThrough.get(node) ?? 0) + 1; s <= slot; s++) {
      if (!this.chosen.has(s)) this.fail(`${node} installed a snapshot through slot ${slot}, but slot ${s} is not chosen`);
    }
    this.appliedThrough.set(node, Math.max(slot, this.appliedThrough.get(node) ?? 0));
  }

  promiseWasSent(node: NodeId, ballot: Ballot): void {
    const previous = this.promiseSent.get(node) ?? ZERO_BALLOT;
    if (compareBallots(ballot, previous) > 0) this.promiseSent.set(node, ballot);
  }

  /** The acceptor's current promise must be at least every promise it ever sent. */
  checkPromise(node: NodeId, promised: Ballot): void {
    const sent = this.promiseSent.get(node);
    if (sent !== undefined && compareBallots(promised, sent) < 0) {
      this.fail(`${node}'s promise went backwards: it promised ${formatBallot(sent)} but now holds ${formatBallot(promised)}`);
    }
  }

  acknowledgedToClient(command: Command, slot: Slot): void {
    const key = commandKey(command.origin, command.seq);
    if (this.slotOfCommand.get(key) !== slot) this.fail(`command ${key} was acknowledged in slot ${slot} but is not chosen there`);
    this.acknowledged.set(key, slot);
  }

  /** Liveness: everything durably submitted is chosen and every replica applied the whole chosen log. */
  convergenceGaps(appliedIndexOf: (node: NodeId) => Slot): string[] {
    const gaps: string[] = [];
    const missing = this.unchosenSubmissions();
    if (missing.length > 0) gaps.push(`${missing.length} submitted commands not chosen (e.g. ${commandKey(missing[0]!.origin, missing[0]!.seq)})`);
    const { highest, contiguous } = this.chosenFrontier();
    if (!contiguous) gaps.push(`the chosen log has holes below slot ${highest}`);
    for (const node of this.members) {
      const applied = appliedIndexOf(node);
      if (applied !== highest) gaps.push(`${node} applied ${applied} of ${highest} slots`);
    }
    return gaps;
  }

  /** At the end: every acknowledged command is still chosen where it was, and applied everywhere. */
  checkAcknowledgedSurvive(): void {
    for (const [key, slot] of this.acknowledged) {
      if (this.slotOfCommand.get(key) !== slot) this.fail(`acknowledged command ${key} is no longer chosen in slot ${slot}`);
      for (const node of this.members) {
        if ((this.appliedThrough.get(node) ?? 0) < slot) this.fail(`acknowledged command ${key} (slot ${slot}) is not applied at ${node}`);
      }
    }
  }

  private markChosen(slot: Slot, value: SlotValue, key: string): void {
    const existing = this.chosen.get(slot);
    if (existing !== undefined) {
      if (existing.key !== key) this.fail(`two values chosen in slot ${slot}: ${describeValue(existing.value)} and ${describeValue(value)}`);
      return;
    }
    this.chosen.set(slot, { key, value });
    for (const command of value) {
      const id = commandKey(command.origin, command.seq);
      if (!this.payloadsProposed.get(id)?.has(command.payload)) this.fail(`slot ${slot} chose command ${id}, which was never proposed with that payload`);
      const other = this.slotOfCommand.get(id);
      if (other !== undefined) this.fail(`command ${id} is chosen in two slots: ${other} and ${slot}`);
      this.slotOfCommand.set(id, slot);
    }
  }

  private fail(message: string): never {
    throw new InvariantViolation(message);
  }
}
