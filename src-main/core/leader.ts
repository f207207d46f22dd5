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
 *
 * Membership (see membership.ts): a leadership serves one configuration, `epochMembers`, the one its
 * phase 1 used. It proposes slot t only when t is inside the pipeline window (so config(t) is known)
 * and config(t) has the same members; at the first slot with other members it stops (`blockedAt`) and
 * the replica runs a new phase 1 there once every earlier slot is chosen. After a change is chosen the
 * leader fills the slots before it takes effect with no-ops, so a change takes effect at once instead
 * of after W more client commands.
 */
import { assert } from './assert';
import { ballotsEqual, compareBallots, type Ballot } from './ballot';
import type { CommandLedger } from './command-ledger';
import { type ProtocolConfig } from './config';
import type { DecisionHooks } from './decision-hooks';
import type { Learner } from './learner';
import type { Outbox } from './outbox';
import { sameIds } from './membership';
import { majority } from './quorum';
import { MAX_FACTOR } from './election-timer';
import { Fifo } from './fifo';
import { commandKey, type AcceptedEntry, type AcceptedMessage, type Command, type NodeId, type PromiseMessage, type Slot, type SlotValue } from './types';
import { commandSizeBound } from './message-size';

interface InflightSlot {
  readonly value: SlotValue;
  readonly acks: Set<NodeId>;
  sentAtTick: number;
}

/**
 * A leader steps down when no majority answered for this long: the longest election timeout a follower
 * may have adapted to (election-timer.ts), so followers that are merely slow are not taken for lost,
 * and a partitioned leader still gives way (its followers elect another meanwhile; it decides nothing).
 */
function quorumWindowTicks(config: ProtocolConfig): number {
  return MAX_FACTOR * config.electionTicks;
}

/**
 * A member that answered nothing at our ballot for this many retransmission periods is probed instead
 * of replicated to (etcd's StateProbe): each retransmission round resends it only the lowest slot it has
 * not acknowledged. A stopped or crashed member then costs one accept per round instead of the whole
 * pipeline, which matters since a member far behind is still within the accept window (up to
 * acceptWindowSlots of full batches). Its first answer puts it back to full retransmission.
 */
const PROBE_AFTER_RETRANSMITS = 4;

export interface LeaderContext {
  readonly self: NodeId;
  /** The configuration this leadership serves: a majority of them promised. */
  readonly epochMembers: readonly NodeId[];
  /** Members of the configuration governing `slot` (known for slots up to commitIndex + W). */
  readonly configAt: (slot: Slot) => readonly NodeId[];
  /** Everyone who takes part in deciding slots above the commit index, pending members included. */
  readonly relevantMembers: () => readonly NodeId[];
  /** The first slot of the newest configuration (a pending change's slots before it are filled with no-ops). */
  readonly latestEpochStart: () => Slot;
  readonly config: ProtocolConfig;
  readonly outbox: Outbox;
  readonly learner: Learner;
  readonly ledger: CommandLedger;
  /** The simulator's labelled decision points (decision-hooks.ts); CORRECT_DECISIONS in production. */
  readonly decisions: DecisionHooks;
}

export class Leader {
  private readonly inflight = new Map<Slot, InflightSlot>();
  /** Command key -> slot, for every command in an in-flight slot. */
  private readonly inflightIds = new Map<string, Slot>();
  private readonly queue = new Fifo<Command>();
  private readonly queuedIds = new Set<string>();
  /** Re-proposals decided at election (slot -> value; absent slots below lastPlanned get no-ops). */
  private readonly planned = new Map<Slot, SlotValue>();
  private lastPlanned: Slot;
  private nextSlot: Slot;
  /** The first slot whose configuration differs from epochMembers, once reached; nothing is proposed from there. */
  private blocked: Slot | null = null;
  private readonly lastHeardTick = new Map<NodeId, number>();
  /** Commit indexes followers reported: picks the successor when handing leadership over. */
  private readonly peerCommit = new Map<NodeId, Slot>();
  private heartbeatAtTick: number;
  private quorumCheckAtTick: number;
  private announcedCommit: Slot;

  constructor(
    private readonly ctx: LeaderContext,
    readonly ballot: Ballot,
    fromSlot: Slot,
    promises: ReadonlyMap<NodeId, PromiseMessage>,
    now: number,
  ) {
    for (const member of promises.keys()) this.lastHeardTick.set(member, now);
    this.heartbeatAtTick = now;
    this.quorumCheckAtTick = now + quorumWindowTicks(ctx.config);
    this.announcedCommit = ctx.learner.commitIndex;
    this.nextSlot = fromSlot;
    this.lastPlanned = this.planReproposals(fromSlot, promises);
    this.flush(now);
    this.broadcastCommit(now);
  }

  /** The first slot of another configuration, once the pipeline reached it (null before). */
  get blockedAt(): Slot | null {
    return this.blocked;
  }

  /** The most up-to-date member of `candidates` other than this one, ties broken by id. */
  successorAmong(candidates: readonly NodeId[]): NodeId | null {
    let best: NodeId | null = null;
    let bestCommit = -1;
    for (const member of candidates) {
      if (member === this.ctx.self) continue;
      const commit = this.peerCommit.get(member) ?? 0;
      if (commit > bestCommit || (commit === bestCommit && best !== null && member < best)) {
        best = member;
        bestCommit = commit;
      }
    }
    return best;
  }

  get queuedCommands(): number {
    return this.queue.length;
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
    const { maxBatchCommands, maxBatchBytes } = this.ctx.config;
    while (this.mayPropose(this.nextSlot)) {
      const slotNumber = this.nextSlot;
      if (slotNumber <= this.lastPlanned) {
        const value = this.planned.get(slotNumber);
        // planReproposals plans every slot it does not skip as chosen.
        assert(value !== undefined || this.ctx.learner.isChosen(slotNumber), () => `slot ${slotNumber} was neither planned nor chosen`);
        this.planned.delete(slotNumber);
        if (value === undefined) {
          this.nextSlot++;
          continue;
        }
        this.nextSlot++;
        if (this.ctx.learner.isChosen(slotNumber)) for (const command of value) this.inflightIds.delete(commandKey(command.origin, command.seq));
        else this.propose(slotNumber, value, now);
        continue;
      }
      const batch: Command[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && batch.length < maxBatchCommands) {
        const command = this.queue.peek();
        assert(command !== undefined, 'a non-empty queue has a head');
        const size = commandSizeBound(command);
        if (batch.length > 0 && bytes + size > maxBatchBytes) break;
        this.queue.shift();
        this.queuedIds.delete(commandKey(command.origin, command.seq));
        // A command may have been chosen through another path since it was queued.
        if (this.ctx.ledger.hasCommand(command)) continue;
        batch.push(command);
        bytes += size;
      }
      if (batch.length > 0) this.propose(this.nextSlot++, batch, now);
      else if (this.queue.length > 0) continue;
      else if (this.nextSlot < this.ctx.latestEpochStart()) this.propose(this.nextSlot++, [], now);
      else break;
    }
    if (this.ctx.learner.commitIndex > this.announcedCommit) this.broadcastCommit(now);
  }

  /** Inside the pipeline window, and in this leadership's configuration (else remembers the boundary). */
  private mayPropose(slot: Slot): boolean {
    if (this.blocked !== null || slot - this.ctx.learner.commitIndex > this.ctx.config.maxInflightSlots) return false;
    const same = this.ctx.decisions.inLeadershipConfiguration(sameIds(this.ctx.configAt(slot), this.ctx.epochMembers));
    if (!same) this.blocked = slot;
    return same;
  }

  onAccepted(message: AcceptedMessage, now: number): void {
    if (!ballotsEqual(message.ballot, this.ballot)) return;
    if (!this.ctx.epochMembers.includes(message.from)) return;
    this.lastHeardTick.set(message.from, now);
    const slot = this.inflight.get(message.slot);
    if (slot === undefined) return;
    slot.acks.add(message.from);
    if (slot.acks.size >= majority(this.ctx.epochMembers.length)) this.settle(message.slot, slot);
  }

  /** Any answer at our ballot is proof that `member` is alive and follows us; it has chosen through `commitIndex`. */
  heardFrom(member: NodeId, now: number, commitIndex: Slot): void {
    this.lastHeardTick.set(member, now);
    this.peerCommit.set(member, Math.max(commitIndex, this.peerCommit.get(member) ?? 0));
  }

  /**
   * Heartbeats, retransmissions and the quorum check. Returns false when the leader must step down
   * because no majority answered within an election timeout.
   */
  tick(now: number): boolean {
    const { heartbeatTicks, retransmitTicks } = this.ctx.config;
    const window = quorumWindowTicks(this.ctx.config);
    const probed = new Set<NodeId>();
    for (const [slotNumber, slot] of this.inflight) {
      if (this.ctx.learner.isChosen(slotNumber)) {
        this.forget(slotNumber, slot);
        continue;
      }
      if (now - slot.sentAtTick < retransmitTicks) continue;
      slot.sentAtTick = now;
      for (const member of this.ctx.epochMembers) {
        if (slot.acks.has(member) || this.isFarBehind(member, slotNumber)) continue;
        if (this.isSilent(member, now)) {
          if (probed.has(member)) continue;
          probed.add(member); // in flight in slot order: this is its lowest unacknowledged slot
        }
        this.sendAccept(member, slotNumber, slot.value);
      }
    }
    if (now - this.heartbeatAtTick >= heartbeatTicks) this.broadcastCommit(now);
    if (now >= this.quorumCheckAtTick) {
      this.quorumCheckAtTick = now + window;
      let active = this.ctx.epochMembers.includes(this.ctx.self) ? 1 : 0;
      for (const member of this.ctx.epochMembers) {
        const heard = this.lastHeardTick.get(member);
        if (member !== this.ctx.self && heard !== undefined && now - heard <= window) active++;
      }
      if (active < majority(this.ctx.epochMembers.length)) return false;
    }
    return true;
  }

  /** See PROBE_AFTER_RETRANSMITS. */
  private isSilent(member: NodeId, now: number): boolean {
    const heard = this.lastHeardTick.get(member);
    return member !== this.ctx.self && (heard === undefined || now - heard > PROBE_AFTER_RETRANSMITS * this.ctx.config.retransmitTicks);
  }

  /**
   * A follower whose reported commit index is further below `slot` than it accepts (acceptWindowSlots)
   * drops the accept: resending it would only crowd a slow link its catch-up needs. It gets the slot
   * once it caught up (through catch-up, or the next retransmission after its commit index rose).
   */
  private isFarBehind(member: NodeId, slot: Slot): boolean {
    const commit = this.peerCommit.get(member);
    return commit !== undefined && slot - commit > this.ctx.config.acceptWindowSlots;
  }

  /**
   * Decides what to re-propose where from the promises (holes get no-ops); flush() proposes them in
   * slot order as the window and the configuration allow. Returns the last planned slot.
   */
  private planReproposals(fromSlot: Slot, promises: ReadonlyMap<NodeId, PromiseMessage>): Slot {
    const { learner, ledger } = this.ctx;
    const highestBySlot = new Map<Slot, AcceptedEntry>();
    let lastSlot = learner.commitIndex;
    for (const promise of promises.values()) {
      for (const entry of promise.chosen) {
        learner.learn(entry.slot, entry.value);
        lastSlot = Math.max(lastSlot, entry.slot);
      }
      for (const entry of this.ctx.decisions.reportedAccepted(promise.accepted)) {
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
      this.planned.set(slot, value);
      // Planned commands count as in flight: fresh copies of them must not be proposed elsewhere.
      for (const command of value) this.inflightIds.set(commandKey(command.origin, command.seq), slot);
    }
    return lastSlot;
  }

  private propose(slotNumber: Slot, value: SlotValue, now: number): void {
    assert(!this.inflight.has(slotNumber), () => `slot ${slotNumber} proposed twice in one leadership`);
    for (const command of value) {
      const key = commandKey(command.origin, command.seq);
      const elsewhere = this.inflightIds.get(key);
      // Two slots with one command could both be chosen: the command would apply twice.
      assert(elsewhere === undefined || elsewhere === slotNumber, () => `command ${key} proposed in slot ${slotNumber} while in flight in slot ${elsewhere}`);
      this.inflightIds.set(key, slotNumber);
    }
    this.inflight.set(slotNumber, { value, acks: new Set(), sentAtTick: now });
    for (const member of this.ctx.epochMembers) this.sendAccept(member, slotNumber, value);
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
    this.heartbeatAtTick = now;
    this.announcedCommit = this.ctx.learner.commitIndex;
    // Pending members too: a newcomer learns the commit index early and catches up before its epoch starts.
    for (const member of new Set([...this.ctx.epochMembers, ...this.ctx.relevantMembers()])) {
      if (member !== this.ctx.self) this.ctx.outbox.send(member, { type: 'commit', ballot: this.ballot, commitIndex: this.announcedCommit });
    }
  }
}
