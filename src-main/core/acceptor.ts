/**
 * The acceptor: the durable memory of Paxos.
 *
 * Invariants (each change is recorded in the outbox and persisted before any reply leaves):
 *  - `promised` never decreases, not even across restarts.
 *  - It accepts (slot, ballot, value) only if ballot >= promised, and accepting raises promised to ballot.
 *  - For a slot, the accepted ballot never decreases (follows from the two rules above).
 */
import { compareBallots, type Ballot } from './ballot';
import type { Outbox } from './outbox';
import type { AcceptedEntry, Slot, SlotValue } from './types';

export class Acceptor {
  private promisedBallot: Ballot;
  private readonly acceptedBySlot = new Map<Slot, AcceptedEntry>();

  constructor(
    private readonly outbox: Outbox,
    promised: Ballot,
    accepted: readonly AcceptedEntry[],
  ) {
    this.promisedBallot = promised;
    for (const entry of accepted) {
      const previous = this.acceptedBySlot.get(entry.slot);
      if (previous === undefined || compareBallots(entry.ballot, previous.ballot) > 0) this.acceptedBySlot.set(entry.slot, entry);
    }
  }

  get promised(): Ballot {
    return this.promisedBallot;
  }

  /** Phase 1b: grants the promise when `ballot` is at least the current one (re-prepares are idempotent). */
  prepare(ballot: Ballot): boolean {
    if (compareBallots(ballot, this.promisedBallot) < 0) return false;
    this.raisePromise(ballot);
    return true;
  }

  /** Phase 2b. Returns whether the value was accepted. */
  accept(ballot: Ballot, slot: Slot, value: SlotValue): boolean {
    if (compareBallots(ballot, this.promisedBallot) < 0) return false;
    this.raisePromise(ballot);
    const entry: AcceptedEntry = { slot, ballot, value };
    this.acceptedBySlot.set(slot, entry);
    this.outbox.recordAccepted(entry);
    return true;
  }

  acceptedAt(slot: Slot): AcceptedEntry | undefined {
    return this.acceptedBySlot.get(slot);
  }

  /** Accepted entries in slots >= fromSlot, in slot order, skipping slots the caller excludes. */
  acceptedFrom(fromSlot: Slot, exclude: (slot: Slot) => boolean): AcceptedEntry[] {
    const entries: AcceptedEntry[] = [];
    for (const entry of this.acceptedBySlot.values()) if (entry.slot >= fromSlot && !exclude(entry.slot)) entries.push(entry);
    return entries.sort((a, b) => a.slot - b.slot);
  }

  /** Forgets accepted values of slots below `slot`; callers guarantee those slots are chosen and applied. */
  forgetBelow(slot: Slot): void {
    for (const s of this.acceptedBySlot.keys()) if (s < slot) this.acceptedBySlot.delete(s);
  }

  private raisePromise(ballot: Ballot): void {
    if (compareBallots(ballot, this.promisedBallot) > 0) {
      this.promisedBallot = ballot;
      this.outbox.recordPromise(ballot);
    }
  }
}
