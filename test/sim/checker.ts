/**
 * The simulator's oracle. It computes ground truth independently of what any replica believes: a value
 * is chosen in slot t once a majority of config(t) have *durably* accepted it at the same ballot, where
 * config(t) is the configuration the checker itself derives from its own ground-truth chosen prefix
 * (applyMembershipSlot over the truth, starting from the initial members): a change chosen at slot s
 * governs slots >= s + W. Accepts for a slot whose configuration is not known yet (the truth prefix ends
 * below t - W) are evaluated once the prefix gets there. Every hook is called as events happen, so a
 * violation is reported at the step that caused it.
 *
 * Invariants:
 *  1. At most one value is chosen per slot.
 *  2. Learners learn only values that are chosen (by a durable majority of config(t)), so what they
 *     apply is final. A value decided with a quorum of another configuration is reported as such: the
 *     quorums of two configurations may be disjoint.
 *  3. Every replica applies exactly the chosen values, slot after slot: all applied sequences are
 *     prefixes of one another.
 *  4. Every chosen command was proposed (same id, same payload).
 *  5. No command id is chosen in two slots.
 *  6. A promise never goes backwards, not even across a crash and restart.
 *  7. Every acknowledged command (applied at its origin, i.e. reported done to the client) stays
 *     chosen forever: in the same slot of the truth and in the applied sequence of every final member.
 *  8. No two disjoint quorums decide in the same configuration: any two quorums that decided slots
 *     governed by the same member set intersect.
 *  9. Every message a replica sends fits the transport: its messageSizeBound is at most the protocol's
 *     maxMessageBytes (a larger one could not be sent, and a node that needs it could never progress).
 * Liveness (after the faults stop) concerns the final members, those of the latest configuration in the
 * truth: they apply the whole chosen log, and every command durably submitted at one of them is chosen.
 * Commands submitted at nodes that are not members at the end (removed, or never added) may stay unchosen.
 */
import { compareBallots, ZERO_BALLOT, type Ballot } from '../../src-main/core/ballot';
import { formatBallot } from '../../shared/ballot-text';
import {
  applyMembershipSlot,
  bootstrapMembership,
  latestEpoch,
  MEMBERSHIP_DELAY_SLOTS,
  type MembershipEpoch,
  type MembershipState,
} from '../../src-main/core/membership';
import { majority } from '../../src-main/core/quorum';
import { commandKey, type AcceptedEntry, type Command, type Message, type NodeId, type Slot, type SlotValue } from '../../src-main/core/types';

export class InvariantViolation extends Error {}

export function describeValue(value: SlotValue): string {
  return value.length === 0 ? 'no-op' : `[${value.map((c) => commandKey(c.origin, c.seq)).join(',')}]`;
}

/**
 * Keys of values already seen, by identity: simulated nodes share message objects (nothing is encoded),
 * so one value usually reaches every acceptor and learner as the same array.
 */
const valueKeys = new WeakMap<SlotValue, string>();

function valueKey(value: SlotValue): string {
  let key = valueKeys.get(value);
  if (key === undefined) {
    key = value.map((c) => `${commandKey(c.origin, c.seq)}=${c.payload}`).join('|');
    valueKeys.set(value, key);
  }
  return key;
}

function describeMembers(ids: readonly NodeId[]): string {
  return `{${ids.join(',')}}`;
}

/** The value accepted in one slot at one ballot, and the acceptors that made it durable. */
interface AcceptRecord {
  readonly slot: Slot;
  readonly ballot: Ballot;
  readonly key: string;
  readonly value: SlotValue;
  readonly nodes: Set<NodeId>;
}

export class InvariantChecker {
  /** (slot, ballot) -> the value accepted there and the acceptors that made it durable. */
  private readonly durableAccepts = new Map<string, AcceptRecord>();
  private readonly acceptsBySlot = new Map<Slot, AcceptRecord[]>();
  /** Slots with durable accepts whose configuration was not known yet when they arrived. */
  private readonly awaitingConfig = new Set<Slot>();
  private readonly chosen = new Map<Slot, { key: string; value: SlotValue }>();
  private highestChosen: Slot = 0;
  private readonly slotOfCommand = new Map<string, Slot>();
  private readonly payloadsProposed = new Map<string, Set<string>>();
  /** Durably submitted commands not chosen yet (kept small: the liveness phase asks every tick). */
  private readonly unchosenDurableSubmissions = new Map<string, Command>();
  private readonly promiseSent = new Map<NodeId, Ballot>();
  private readonly appliedThrough = new Map<NodeId, Slot>();
  private readonly acknowledged = new Map<string, Slot>();
  /** Membership over the contiguous chosen prefix of the truth. */
  private truth: MembershipState;
  /** Every configuration the truth ever had, by fromSlot (never pruned: old slots keep theirs). */
  private readonly history: MembershipEpoch[];
  /** Member set -> the distinct quorums (sorted ids) that decided slots it governed. */
  private readonly decidingQuorums = new Map<string, Set<string>>();
  private advancing = false;
  /** Membership commands of the truth that changed the configuration, and those rejected. */
  membershipChanges = 0;
  membershipRejections = 0;
  /** Told about each membership command of the truth as its slot joins the chosen prefix (for traces). */
  onMembershipOutcome: ((text: string) => void) | null = null;

  constructor(readonly initialMembers: readonly NodeId[]) {
    this.truth = bootstrapMembership(initialMembers.map((id) => ({ id, address: '' })));
    this.history = [...this.truth.epochs];
  }

  get chosenSlots(): number {
    return this.chosen.size;
  }

  get acknowledgedCount(): number {
    return this.acknowledged.size;
  }

  /** The membership over the ground-truth chosen prefix (what every correct replica computes too). */
  get membership(): MembershipState {
    return this.truth;
  }

  /** The latest configuration in the truth (possibly not in effect yet): the members the cluster converges to. */
  finalMembers(): NodeId[] {
    return latestEpoch(this.truth).members.map((m) => m.id);
  }

  /** The configuration of `slot` per the truth, or null while the chosen prefix is too short to tell. */
  configOf(slot: Slot): readonly NodeId[] | null {
    if (slot > this.truth.through + MEMBERSHIP_DELAY_SLOTS) return null;
    let found = this.history[0] as MembershipEpoch;
    for (const epoch of this.history) if (epoch.fromSlot <= slot) found = epoch;
    return found.members.map((m) => m.id);
  }

  /** The highest slot with a chosen value, and whether every slot below it is chosen too. */
  chosenFrontier(): { highest: Slot; contiguous: boolean } {
    return { highest: this.highestChosen, contiguous: this.chosen.size === this.highestChosen };
  }

  /** Whether `command` is chosen (in the ground truth). */
  isChosen(command: Command): boolean {
    return this.slotOfCommand.has(commandKey(command.origin, command.seq));
  }

  proposed(command: Command): void {
    const key = commandKey(command.origin, command.seq);
    let payloads = this.payloadsProposed.get(key);
    if (payloads === undefined) this.payloadsProposed.set(key, (payloads = new Set()));
    payloads.add(command.payload);
  }

  durablySubmitted(command: Command): void {
    const key = commandKey(command.origin, command.seq);
    if (!this.slotOfCommand.has(key)) this.unchosenDurableSubmissions.set(key, command);
  }

  /**
   * Commands whose submission survived on disk but that are not chosen (yet), among those submitted at
   * a final member (a node removed, or never added, may keep its commands: none was acknowledged).
   */
  unchosenSubmissions(): Command[] {
    const members = new Set(this.finalMembers());
    return [...this.unchosenDurableSubmissions.values()].filter((command) => members.has(command.origin));
  }

  durablyAccepted(node: NodeId, entry: AcceptedEntry): void {
    const id = `${entry.slot}@${formatBallot(entry.ballot)}`;
    const key = valueKey(entry.value);
    let record = this.durableAccepts.get(id);
    if (record === undefined) {
      record = { slot: entry.slot, ballot: entry.ballot, key, value: entry.value, nodes: new Set() };
      this.durableAccepts.set(id, record);
      const list = this.acceptsBySlot.get(entry.slot);
      if (list === undefined) this.acceptsBySlot.set(entry.slot, [record]);
      else list.push(record);
    }
    if (record.key !== key) this.fail(`two different values were accepted in slot ${entry.slot} at ballot ${formatBallot(entry.ballot)}`);
    record.nodes.add(node);
    this.evaluate(record);
  }

  /** Marks the record's value chosen if a majority of its slot's configuration accepted it (or defers until that configuration is known). */
  private evaluate(record: AcceptRecord): void {
    const config = this.configOf(record.slot);
    if (config === null) {
      this.awaitingConfig.add(record.slot);
      return;
    }
    const quorum = config.filter((id) => record.nodes.has(id));
    if (quorum.length >= majority(config.length)) this.markChosen(record.slot, record.value, record.key, config, quorum);
  }

  learned(node: NodeId, slot: Slot, value: SlotValue): void {
    const truth = this.chosen.get(slot);
    if (truth === undefined) this.fail(this.describeUnchosenDecision(node, slot, value));
    if (truth.key !== valueKey(value)) this.fail(`${node} learned ${describeValue(value)} in slot ${slot}, but ${describeValue(truth.value)} is chosen there`);
  }

  /** Why `value` is not chosen in `slot`, in particular when a quorum of another configuration accepted it. */
  private describeUnchosenDecision(node: NodeId, slot: Slot, value: SlotValue): string {
    const config = this.configOf(slot);
    if (config === null) {
      return `${node} learned ${describeValue(value)} in slot ${slot}, whose configuration is not known yet (the chosen prefix ends at slot ${this.truth.through})`;
    }
    const key = valueKey(value);
    const configKey = config.join(',');
    for (const record of this.acceptsBySlot.get(slot) ?? []) {
      if (record.key !== key) continue;
      for (const epoch of this.history) {
        const members = epoch.members.map((m) => m.id);
        if (members.join(',') === configKey) continue;
        const quorum = members.filter((id) => record.nodes.has(id));
        if (quorum.length >= majority(members.length)) {
          return (
            `${node} decided slot ${slot} with a quorum of configuration ${describeMembers(members)} (${describeMembers(quorum)} accepted ` +
            `${describeValue(value)} at ballot ${formatBallot(record.ballot)}), not of config(${slot}) ${describeMembers(config)}: quorums of the two may be disjoint`
          );
        }
      }
    }
    return `${node} learned ${describeValue(value)} in slot ${slot}, which no durable majority of config(${slot}) ${describeMembers(config)} accepted`;
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

  /** Invariant 9, for a message of `bytes` (its messageSizeBound) on its way out. */
  messageFits(message: Message, bytes: number, maxMessageBytes: number): void {
    if (bytes > maxMessageBytes) {
      const entries = message.type === 'promise' ? ` (${message.accepted.length} accepted and ${message.chosen.length} chosen slots from slot ${message.fromSlot})` : '';
      this.fail(`${message.from} sent a ${message.type} of ${bytes} bytes to ${message.to}${entries}, over maxMessageBytes ${maxMessageBytes}: the transport cannot carry it`);
    }
  }

  acknowledgedToClient(command: Command, slot: Slot): void {
    const key = commandKey(command.origin, command.seq);
    if (this.slotOfCommand.get(key) !== slot) this.fail(`command ${key} was acknowledged in slot ${slot} but is not chosen there`);
    this.acknowledged.set(key, slot);
  }

  /** Liveness: everything durably submitted at a final member is chosen and every final member applied the whole chosen log. */
  convergenceGaps(appliedIndexOf: (node: NodeId) => Slot): string[] {
    const gaps: string[] = [];
    const missing = this.unchosenSubmissions();
    if (missing.length > 0) gaps.push(`${missing.length} submitted commands not chosen (e.g. ${commandKey(missing[0]!.origin, missing[0]!.seq)})`);
    const { highest, contiguous } = this.chosenFrontier();
    if (!contiguous) gaps.push(`the chosen log has holes below slot ${highest}`);
    for (const node of this.finalMembers()) {
      const applied = appliedIndexOf(node);
      if (applied !== highest) gaps.push(`${node} applied ${applied} of ${highest} slots`);
    }
    return gaps;
  }

  /** At the end: every acknowledged command is still chosen where it was, and applied at every final member. */
  checkAcknowledgedSurvive(): void {
    const members = this.finalMembers();
    for (const [key, slot] of this.acknowledged) {
      if (this.slotOfCommand.get(key) !== slot) this.fail(`acknowledged command ${key} is no longer chosen in slot ${slot}`);
      for (const node of members) {
        if ((this.appliedThrough.get(node) ?? 0) < slot) this.fail(`acknowledged command ${key} (slot ${slot}) is not applied at ${node}`);
      }
    }
  }

  private markChosen(slot: Slot, value: SlotValue, key: string, config: readonly NodeId[], quorum: readonly NodeId[]): void {
    const existing = this.chosen.get(slot);
    if (existing !== undefined) {
      if (existing.key !== key) this.fail(`two values chosen in slot ${slot}: ${describeValue(existing.value)} and ${describeValue(value)}`);
      return;
    }
    this.recordDecidingQuorum(slot, config, quorum);
    this.chosen.set(slot, { key, value });
    this.highestChosen = Math.max(this.highestChosen, slot);
    for (const command of value) {
      const id = commandKey(command.origin, command.seq);
      if (!this.payloadsProposed.get(id)?.has(command.payload)) this.fail(`slot ${slot} chose command ${id}, which was never proposed with that payload`);
      const other = this.slotOfCommand.get(id);
      if (other !== undefined) this.fail(`command ${id} is chosen in two slots: ${other} and ${slot}`);
      this.slotOfCommand.set(id, slot);
      this.unchosenDurableSubmissions.delete(id);
    }
    this.advanceTruth();
  }

  /** Invariant 8: the quorums that decided slots of one member set pairwise intersect. */
  private recordDecidingQuorum(slot: Slot, config: readonly NodeId[], quorum: readonly NodeId[]): void {
    const configKey = config.join(',');
    let quorums = this.decidingQuorums.get(configKey);
    if (quorums === undefined) this.decidingQuorums.set(configKey, (quorums = new Set()));
    const quorumKey = quorum.join(',');
    if (quorums.has(quorumKey)) return;
    for (const other of quorums) {
      const members = other.split(',');
      if (!members.some((id) => quorum.includes(id))) {
        this.fail(`slot ${slot} was decided by ${describeMembers(quorum)}, disjoint from ${describeMembers(members)}, which decided another slot of configuration ${describeMembers(config)}`);
      }
    }
    quorums.add(quorumKey);
  }

  /** Extends the truth's membership along its contiguous chosen prefix, then settles accepts whose configuration became known. */
  private advanceTruth(): void {
    if (this.advancing) return;
    this.advancing = true;
    try {
      while (this.chosen.has(this.truth.through + 1)) {
        const slot = this.truth.through + 1;
        const before = latestEpoch(this.truth);
        const { state, outcomes } = applyMembershipSlot(this.truth, slot, this.chosen.get(slot)!.value);
        this.truth = state;
        for (const outcome of outcomes.values()) {
          if (outcome.status === 'accepted') this.membershipChanges++;
          else this.membershipRejections++;
          const what = `${outcome.change.type} ${outcome.change.id}`;
          this.onMembershipOutcome?.(outcome.status === 'accepted' ? `slot ${slot} chose ${what}: effective from slot ${outcome.effectiveSlot}` : `slot ${slot} chose ${what}: rejected (${outcome.reason})`);
        }
        const after = latestEpoch(state);
        if (after !== before) this.history.push(after);
        const known = this.truth.through + MEMBERSHIP_DELAY_SLOTS;
        for (const pending of [...this.awaitingConfig]) {
          if (pending > known) continue;
          this.awaitingConfig.delete(pending);
          for (const record of this.acceptsBySlot.get(pending) ?? []) this.evaluate(record);
        }
      }
    } finally {
      this.advancing = false;
    }
  }

  private fail(message: string): never {
    throw new InvariantViolation(message);
  }
}
