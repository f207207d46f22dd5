/**
 * The leader (distinguished proposer) after a won campaign: phase 2 only, slot after slot, with a
 * bounded pipeline and batching.
 *
 * Safety rests on what the campaign's promises reported (complete for all slots >= fromSlot):
 *  - A slot known chosen is never proposed again.
 *  - Otherwise a slot gets the highest-ballot value any promise reported for it, if any; slots below
 *    the highest reported slot with no report get a no-op, so no hole can stall execution.
 *  - A command id is placed in at most one slot (the "no command chosen twice" invariant):
 *      * re-proposals drop commands already known chosen, and a command reported in several slots
 *        stays only where it was reported with the highest ballot (ties: the lowest slot). A value
 *        holding a command that is chosen elsewhere cannot itself have been chosen, and among
 *        unchosen-looking copies, a leader that placed the command at a higher ballot must have seen
 *        any chosen copy, so the highest-ballot copy is the only one that can have been chosen;
 *      * fresh commands are proposed only if no chosen, in-flight or queued slot holds them.
 * Liveness: the leader resends unanswered accepts, heartbeats with its commit index, and steps down
 * when it has not heard from a majority for an election timeout (a partitioned leader gives way).
 */
import { ballotsEqual, compareBallots, type Ballot } from './ballot';
import type { CommandLedger } from './command-ledger';
import type { ProtocolConfig } from './config';
import type { Learner } from './learner';
import type { Outbox } from './outbox';
import { majority } from './quorum';
import { Fifo } from './fifo';
import { commandKey, type AcceptedEntry, type AcceptedMessage, type Command, type NodeId, type PromiseMessage, type Slot, type SlotValue } from './types';
import { utf8ByteLength } from './utf8';

/** Test-only: a bug the simulator plants to prove that its checker catches it. */
export type PlantedLeaderBug = 'ignore-accepted';

interface InflightSlot {
  readonly value: SlotValue;
  readonly acks: Set<NodeId>;
  sentAt: number;
}

export interface LeaderContext {
  readonly self: NodeId;
  readonly members: readonly NodeId[];
  readonly config: ProtocolConfig;
  readonly outbox: Outbox;
  readonly learner: Learner;
  readonly ledger: CommandLedger;
  readonly plantedBug: PlantedLeaderBug | null;
}

export class Leader {
  private readonly inflight = new Map<Slot, InflightSlot>();
  /** Command key -> slot, for every command in an in-flight slot. */
  private readonly inflightIds = new Map<string, Slot>();
  private readonly queue = new Fifo<Command>();
  private readonly queuedIds = new Set<string>();
  private nextSlot: Slot;
  private readonly lastHeardAt = new Map<NodeId, number>();
  private heartbeatAt: number;
  private quorumCheckAt: number;
  private announcedCommit: Slot;

  constructor(
    private readonly ctx: LeaderContext,
    readonly ballot: Ballot,
    fromSlot: Slot,
    promises: ReadonlyMap<NodeId, PromiseMessage>,
    now: number,
  ) {
    for (const member of promises.keys()) this.lastHeardAt.set(member, now);
    this.heartbeatAt = now;
    this.quorumCheckAt = now + ctx.config.electionTicks;
    this.announcedCommit = ctx.learner.commitIndex;
    this.nextSlot = this.reproposeReported(fromSlot, promises, now);
    this.broadcastCommit(now);
  }

  get queuedCommands(): number {
    return this.queue.length;
  }

  get inflightSlots(): number {
    return this.inflight.size;
  }

  /** Queues commands for proposal, skipping any already chosen, in flight or queued. Returns how many were refused for lack of room. */
  enqueue(commands: readonly Command[]): number {
    let refused = 0;
    for (const command of commands) {
      const key = commandKey(command.origin, command.seq);
      if (this.ctx.ledger.hasCommand(command) || this.inflightIds.has(key) || this.queuedIds.has(key)) continue;
      if (this.queue.length >= this.ctx.config.maxQueuedCommands) {
        refused++;
        continue;
      }
      this.queue.push(command);
      this.queuedIds.add(key);
    }
    return refused;
  }

  /**
   * End of a turn: packs queued commands into batches while the pipeline window has room, and tells
   * the followers about a risen commit index. Called once per Ready, so everything that arrived in the
   * turn shares slots (batching) and one commit notification.
   */
  flush(now: number): void {
    const { maxInflightSlots, maxBatchCommands, maxBatchBytes } = this.ctx.config;
    while (this.queue.length > 0 && this.nextSlot - this.ctx.learner.commitIndex <= maxInflightSlots) {
      const batch: Command[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && batch.length < maxBatchCommands) {
        const command = this.queue.peek() as Command;
        const size = utf8ByteLength(command.payload);
        if (batch.length > 0 && bytes + size > maxBatchBytes) break;
        this.queue.shift();
        this.queuedIds.delete(commandKey(command.origin, command.seq));
        // A command may have been chosen through another path since it was queued.
        if (this.ctx.ledger.hasCommand(command)) continue;
        batch.push(command);
        bytes += size;
      }
      if (batch.length > 0) this.propose(this.nextSlot++, batch, now);
    }
    if (this.ctx.learner.commitIndex > this.announcedCommit) this.broadcastCommit(now);
  }

  onAccepted(message: AcceptedMessage, now: number): void {
    if (!ballotsEqual(message.ballot, this.ballot)) return;
    this.lastHeardAt.set(message.from, now);
    const slot = this.inflight.get(message.slot);
    if (slot === undefined) return;
    slot.acks.add(message.from);
    if (slot.acks.size >= majority(this.ctx.members.length)) this.settle(message.slot, slot);
  }

  /** Any answer at our ballot is proof that `member` is alive and follows us. */
  heardFrom(member: NodeId, now: number): void {
    this.lastHeardAt.set(member, now);
  }

  /**
   * Heartbeats, retransmissions and the quorum check. Returns false when the leader must step down
   * because no majority answered within an election timeout.
   */
  tick(now: number): boolean {
    const { heartbeatTicks, retransmitTicks, electionTicks } = this.ctx.config;
    for (const [slotNumber, slot] of this.inflight) {
      if (this.ctx.learner.isChosen(slotNumber)) {
        this.forget(slotNumber, slot);
        continue;
      }
      if (now - slot.sentAt < retransmitTicks) continue;
      slot.sentAt = now;
      for (const member of this.ctx.members) if (!slot.acks.has(member)) this.sendAccept(member, slotNumber, slot.value);
    }
    if (now - this.heartbeatAt >= heartbeatTicks) this.broadcastCommit(now);
    if (now >= this.quorumCheckAt) {
      this.quorumCheckAt = now + electionTicks;
      let active = 1;
      for (const member of this.ctx.members) {
        const heard = this.lastHeardAt.get(member);
        if (member !== this.ctx.self && heard !== undefined && now - heard <= electionTicks) active++;
      }
      if (active < majority(this.ctx.members.length)) return false;
    }
    return true;
  }

  /** Re-proposes what the promises reported, fills holes with no-ops; returns the next free slot. */
  private reproposeReported(fromSlot: Slot, promises: ReadonlyMap<NodeId, PromiseMessage>, now: number): Slot {
    const { learner, ledger } = this.ctx;
    const highestBySlot = new Map<Slot, AcceptedEntry>();
    let lastSlot = learner.commitIndex;
    for (const promise of promises.values()) {
      for (const entry of promise.chosen) {
        learner.learn(entry.slot, entry.value);
        lastSlot = Math.max(lastSlot, entry.slot);
      }
      if (this.ctx.plantedBug === 'ignore-accepted') continue;
      for (const entry of promise.accepted) {
        const best = highestBySlot.get(entry.slot);
        if (best === undefined || compareBallots(entry.ballot, best.ballot) > 0) highestBySlot.set(entry.slot, entry);
        lastSlot = Math.max(lastSlot, entry.slot);
      }
    }
    // Where each command may stay: the highest-ballot report of it (ties broken by the lowest slot).
    const home = new Map<string, { slot: Slot; ballot: Ballot }>();
    for (const entry of highestBySlot.values()) {
      if (learner.isChosen(entry.slot)) continue;
      for (const command of entry.value) {
        if (ledger.hasCommand(command)) continue;
        const key = commandKey(command.origin, command.seq);
        const current = home.get(key);
        const order = current === undefined ? 1 : compareBallots(entry.ballot, current.ballot);
        if (order > 0 || (order === 0 && current !== undefined && entry.slot < current.slot)) home.set(key, { slot: entry.slot, ballot: entry.ballot });
      }
    }
    for (let slot = fromSlot; slot <= lastSlot; slot++) {
      if (learner.isChosen(slot)) continue;
      const reported = highestBySlot.get(slot)?.value ?? [];
      const value = reported.filter((c) => !ledger.hasCommand(c) && home.get(commandKey(c.origin, c.seq))?.slot === slot);
      this.propose(slot, value, now);
    }
    return Math.max(lastSlot + 1, learner.commitIndex + 1);
  }

  private propose(slotNumber: Slot, value: SlotValue, now: number): void {
    this.inflight.set(slotNumber, { value, acks: new Set(), sentAt: now });
    for (const command of value) this.inflightIds.set(commandKey(command.origin, command.seq), slotNumber);
    for (const member of this.ctx.members) this.sendAccept(member, slotNumber, value);
  }

  private settle(slotNumber: Slot, slot: InflightSlot): void {
    this.forget(slotNumber, slot);
    this.ctx.learner.learn(slotNumber, slot.value);
  }

  private forget(slotNumber: Slot, slot: InflightSlot): void {
    this.inflight.delete(slotNumber);
    for (const command of slot.value) this.inflightIds.delete(commandKey(command.origin, command.seq));
  }

  private sendAccept(member: NodeId, slot: Slot, value: SlotValue): void {
    this.ctx.outbox.send(member, { type: 'accept', ballot: this.ballot, slot, value, commitIndex: this.ctx.learner.commitIndex });
  }

  private broadcastCommit(now: number): void {
    this.heartbeatAt = now;
    this.announcedCommit = this.ctx.learner.commitIndex;
    for (const member of this.ctx.members) {
      if (member !== this.ctx.self) this.ctx.outbox.send(member, { type: 'commit', ballot: this.ballot, commitIndex: this.announcedCommit });
    }
  }
}
