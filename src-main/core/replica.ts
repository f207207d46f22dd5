/**
 * A multi-Paxos replica as a pure, deterministic state machine (the etcd-io/raft RawNode model).
 *
 * Inputs: tick() (the passage of time, in ticks), step(message), propose(payload), campaignNow() (an
 * operator's "campaign now").
 * Output: ready() returns what to persist, what to send and what was chosen, in order; the runtime
 * persists (fsync), then sends, then applies, then calls advance(). Nothing here touches a socket, a
 * disk or a clock, and all randomness comes from the injected RandomSource, so a seeded simulation
 * replays exactly.
 *
 * Every replica plays all roles: acceptor (always), learner (always), client (its own commands) and,
 * when elected, leader. Roles: follower -> candidate (pre-vote, then phase 1) -> leader; any of them
 * falls back to follower on seeing a higher ballot, and a leader also when it loses its quorum.
 *
 * Membership is replicated state (membership.ts): the configuration of each slot follows from the
 * chosen log. A replica campaigns only when it is a member of the configuration of its first unchosen
 * slot, asks only those members, and a leadership serves one configuration (see leader.ts). A replica
 * that does not know the membership yet (a newcomer) only answers as an acceptor and waits for a
 * snapshot, which carries the membership.
 *
 * Invariants kept here:
 *  - A replica follows (forwards to, is reset by) only a leader whose ballot is at least every ballot
 *    it promised or followed before; older leaders are refused with a nack so they step down.
 *  - At most one of `campaign` and `leadership` is set; `leaderId === self` exactly when leading.
 */
import { assert } from './assert';
import { Acceptor } from './acceptor';
import { ballotsEqual, compareBallots, maxBallot, nextBallotAbove, ZERO_BALLOT, type Ballot } from './ballot';
import { Campaign } from './campaign';
import { CommandLedger, type LedgerState } from './command-ledger';
import { DEFAULT_PROTOCOL_CONFIG, maxPromiseAcceptedBytes, validateProtocolConfig, type ProtocolConfig } from './config';
import { CORRECT_DECISIONS, type DecisionHooks } from './decision-hooks';
import { ElectionTimer } from './election-timer';
import { Leader } from './leader';
import { Learner } from './learner';
import {
  applyMembershipSlot,
  bootstrapMembership,
  latestEpoch,
  membersAt,
  relevantMembers,
  type Member,
  type MembershipState,
} from './membership';
import { acceptedEntrySizeBound, MESSAGE_FRAME_BOUND_BYTES } from './message-size';
import { Outbox } from './outbox';
import type { RandomSource } from './random';
import { Submitter, type SubmitResult } from './submitter';
import type {
  AcceptMessage,
  CatchupReplyMessage,
  ChosenEntry,
  CatchupRequestMessage,
  Command,
  CommitMessage,
  DurableState,
  Message,
  NackMessage,
  NodeId,
  PrepareMessage,
  PrevoteMessage,
  Ready,
  ReplicaStatus,
  Role,
  Slot,
  TakeoverMessage,
} from './types';

export interface ReplicaOptions {
  readonly id: NodeId;
  /**
   * The configuration a brand-new cluster starts with, this replica included (ids alone, or members
   * with addresses). Ignored when `durable` carries a membership. Absent for a node that joins an
   * existing cluster: it learns the membership from a snapshot.
   */
  readonly members?: readonly NodeId[] | readonly Member[];
  readonly rng: RandomSource;
  readonly config?: Partial<ProtocolConfig>;
  /** What a restarting replica recovered from disk; absent for a brand-new one. */
  readonly durable?: DurableState;
  /** The simulator's labelled decision points (decision-hooks.ts); default CORRECT_DECISIONS. */
  readonly decisions?: DecisionHooks;
}

const EMPTY_DURABLE_STATE: DurableState = { promised: ZERO_BALLOT, accepted: [], chosen: [], proposals: [], appliedIndex: 0, compactedThrough: 0, ledger: [], membership: null };

function toMembers(members: readonly NodeId[] | readonly Member[]): Member[] {
  return members.map((m: NodeId | Member) => (typeof m === 'string' ? { id: m, address: '' } : m));
}

/** What this replica is doing: exactly one of following, campaigning and leading. */
type RoleState = { readonly kind: 'follower' } | { readonly kind: 'candidate'; readonly campaign: Campaign } | { readonly kind: 'leader'; readonly leadership: Leader };
const FOLLOWER: RoleState = Object.freeze({ kind: 'follower' });

export class Replica {
  readonly id: NodeId;
  /** Membership over the chosen prefix (through commitIndex); null until a newcomer installs a snapshot. */
  private membershipState: MembershipState | null;
  private readonly config: ProtocolConfig;
  private readonly decisions: DecisionHooks;
  private readonly outbox: Outbox;
  private readonly acceptor: Acceptor;
  private readonly ledger: CommandLedger;
  private readonly learner: Learner;
  private readonly submitter: Submitter;
  private readonly timer: ElectionTimer;
  private now = 0;
  /** A Ready was taken and not yet advanced: the runtime alternates ready() and advance(). */
  private readyOutstanding = false;
  /** Follower, candidate or leader: one at a time by construction (see RoleState). */
  private roleState: RoleState = FOLLOWER;
  private leaderId: NodeId | null = null;
  /** Ballot of the leader followed last (or led). Accepts and heartbeats below it are refused. */
  private leaderBallot: Ballot = ZERO_BALLOT;
  /** The highest ballot seen in any refusal: a new campaign must go above it. */
  private highestSeen: Ballot = ZERO_BALLOT;

  constructor(options: ReplicaOptions) {
    this.id = options.id;
    this.config = { ...DEFAULT_PROTOCOL_CONFIG, ...options.config };
    const durable = options.durable ?? EMPTY_DURABLE_STATE;
    const bootstrap = options.members === undefined ? null : toMembers(options.members);
    const recovered = durable.membership ?? null;
    validateProtocolConfig(this.config, this.id, recovered === null && bootstrap !== null ? bootstrap.map((m) => m.id) : null);
    if (recovered === null && durable.appliedIndex > 0) throw new Error(`recovered state has ${durable.appliedIndex} applied slots but no membership`);
    if (recovered !== null && recovered.through !== durable.appliedIndex) {
      throw new Error(`recovered membership covers slots through ${recovered.through}, not the applied index ${durable.appliedIndex}`);
    }
    this.membershipState = recovered ?? (bootstrap === null ? null : bootstrapMembership(bootstrap));
    this.decisions = options.decisions ?? CORRECT_DECISIONS;
    this.outbox = new Outbox(this.id);
    this.acceptor = new Acceptor(this.outbox, durable.promised, durable.accepted);
    this.acceptor.forgetBelow(durable.compactedThrough + 1);
    this.ledger = new CommandLedger(durable.ledger);
    this.learner = new Learner(
      this.outbox,
      this.ledger,
      durable,
      (command) => this.submitter.chosen(command),
      (entry) => this.trackMembership(entry),
      this.config.maxCommittedCommandsPerReady,
      // A source silent for a few retransmissions (a crashed leader) is replaced at once.
      4 * this.config.retransmitTicks,
    );
    this.submitter = new Submitter(this.id, this.config, this.outbox, this.ledger, durable.proposals);
    this.timer = new ElectionTimer(this.config.electionTicks, options.rng);
    this.highestSeen = durable.promised;
  }

  /** Advances logical time by one tick: heartbeats, retransmissions, election timeouts. */
  tick(): void {
    this.now++;
    if (this.leadership !== null) {
      if (!this.leadership.tick(this.now)) this.stepDown();
    } else {
      this.campaign?.tick(this.now, this.config.retransmitTicks);
      if (this.timer.tick()) this.startCampaign();
    }
    this.requestCatchup();
    this.requestMembershipSnapshot();
    this.processLocal();
  }

  /**
   * An operator asks this replica to campaign now (cluster control's "campaign now": the dashboard's
   * duelling-proposers scenario). Skips the pre-vote, as a takeover does: the pre-vote exists so that a
   * member that merely lost touch cannot unseat a live leader, and unseating it is the point here. The
   * ballot is the next above every ballot this replica has seen (nextBallotAbove), so of two members
   * asked one after the other, the later one, having seen the earlier one's prepare, goes higher and
   * wins; the earlier one's accepted values reach it in the promises and are proposed again. Safety
   * is Paxos's as for any campaign. Returns false (and changes nothing) when leading already or when
   * not a member of the configuration of the first unchosen slot.
   */
  campaignNow(): boolean {
    if (this.leadership !== null) return false;
    if (!this.configAt(this.learner.commitIndex + 1).includes(this.id)) return false;
    this.startCampaign(false);
    this.processLocal();
    return true;
  }

  /**
   * Feeds one message from a peer (the transport authenticated it). Messages not addressed to this
   * replica are ignored. Senders need not be members: acceptors answer anyone, and votes and acks
   * count only from the members of the configuration concerned.
   */
  step(message: Message): void {
    if (message.to !== this.id) return;
    this.dispatch(message);
    this.processLocal();
  }

  /**
   * Submits a command. It is recorded for persistence at once and routed to the leader at the end of
   * the turn (or queued until a leader is known); it stays pending until chosen.
   */
  propose(payload: string): SubmitResult {
    return this.submitter.submit(payload);
  }

  /**
   * Whether output is waiting without any new input: the committed slots beyond the last Ready's budget
   * (maxCommittedCommandsPerReady). The runtime then takes another Ready soon instead of waiting for a
   * datagram or a tick. Changes nothing.
   */
  hasPendingOutput(): boolean {
    return !this.outbox.isEmpty();
  }

  /**
   * Ends the turn (routes own commands, lets a leader batch and propose what arrived) and hands over
   * everything to persist, send, apply and fetch. Possibly empty (isEmptyReady); advance() it all the same.
   */
  ready(): Ready {
    assert(!this.readyOutstanding, 'ready() called again before advance() of the previous Ready');
    this.readyOutstanding = true;
    this.endTurn();
    const ready = this.outbox.take();
    // Committed slots beyond this Ready's budget go into the next one.
    this.learner.readyTaken();
    return ready;
  }

  /** The runtime persisted, sent and applied everything in `ready`. */
  advance(ready: Ready): void {
    assert(this.readyOutstanding, 'advance() without a ready() before it');
    this.readyOutstanding = false;
    const last = ready.committed.at(-1);
    if (last !== undefined) this.learner.markApplied(last.slot);
  }

  /**
   * Drops log entries through `slot` from memory; they must be applied and covered by the runtime's
   * snapshot. Peers that need them later get the snapshot instead.
   */
  compact(slot: Slot): void {
    this.learner.compact(slot);
    this.acceptor.forgetBelow(slot + 1);
  }

  /**
   * The runtime installed a snapshot of the state machine at `slot` (requested through
   * Ready.snapshotFrom). `ledger` holds the ids of the commands in slots <= `slot` and no others (see
   * CommandLedger). Call it between Readys: after advance(), before the next ready().
   */
  installSnapshot(slot: Slot, ledger: LedgerState, membership: MembershipState): void {
    assert(!this.readyOutstanding, 'installSnapshot() between ready() and advance()');
    if (slot <= this.learner.appliedIndex) return;
    if (membership.through !== slot) throw new Error(`snapshot at slot ${slot} carries the membership of slot ${membership.through}`);
    // Slots above `slot` may already have joined the chosen prefix this turn (committed, not yet
    // applied; they are still applied after the snapshot): the membership tracked through them is ahead.
    if (this.membershipState === null || this.membershipState.through < slot) this.membershipState = membership;
    this.ledger.merge(ledger);
    this.learner.installSnapshot(slot);
    this.acceptor.forgetBelow(this.learner.compactedThrough + 1);
    this.outbox.dropCommittedThrough(slot);
  }

  status(): ReplicaStatus {
    return {
      id: this.id,
      role: this.role(),
      leader: this.leaderId,
      ballot: this.leadership?.ballot ?? this.campaign?.ballot ?? this.leaderBallot,
      promised: this.acceptor.promised,
      commitIndex: this.learner.commitIndex,
      appliedIndex: this.learner.appliedIndex,
      compactedThrough: this.learner.compactedThrough,
      pendingCommands: this.submitter.size,
      members: this.membershipState === null ? null : membersAt(this.membershipState, this.learner.commitIndex + 1),
    };
  }

  /** Whether this replica campaigns (pre-vote or phase 1) now; cheap, unlike status(). */
  get isCampaigning(): boolean {
    return this.roleState.kind === 'candidate';
  }

  /** Every slot <= commitIndex is chosen (cheap, unlike status(): the runtime reads it per message). */
  get commitIndex(): Slot {
    return this.learner.commitIndex;
  }

  /** Membership over the chosen prefix, or null while a newcomer does not know it yet. */
  membership(): MembershipState | null {
    return this.membershipState;
  }

  /** Whether one of this node's own commands is still waiting to be chosen. */
  isPending(command: Command): boolean {
    return this.submitter.isPending(command);
  }

  private role(): Role {
    return this.roleState.kind;
  }

  private get campaign(): Campaign | null {
    return this.roleState.kind === 'candidate' ? this.roleState.campaign : null;
  }

  private get leadership(): Leader | null {
    return this.roleState.kind === 'leader' ? this.roleState.leadership : null;
  }

  private dispatch(message: Message): void {
    switch (message.type) {
      case 'prevote':
        return this.onPrevote(message);
      case 'prevoteReply':
        this.learner.notePeerCommit(message.from, message.commitIndex, this.now);
        if (this.campaign?.onPrevoteReply(message) === true) this.startPrepare();
        return;
      case 'prepare':
        return this.onPrepare(message);
      case 'promise':
        this.learner.notePeerCommit(message.from, message.commitIndex, this.now);
        if (this.campaign?.onPromise(message) === true) this.becomeLeader();
        return;
      case 'nack':
        return this.onNack(message);
      case 'accept':
        return this.onAccept(message);
      case 'accepted':
        this.leadership?.onAccepted(message, this.now);
        return;
      case 'commit':
        return this.onCommit(message);
      case 'commitAck':
        if (this.leadership !== null && ballotsEqual(message.ballot, this.leadership.ballot)) this.leadership.heardFrom(message.from, this.now, message.commitIndex);
        this.learner.notePeerCommit(message.from, message.commitIndex, this.now);
        return;
      case 'forward':
        // Not leading: drop. The origin keeps retrying and will find the leader through its heartbeats.
        this.leadership?.enqueue(message.commands);
        return;
      case 'catchupRequest':
        return this.onCatchupRequest(message);
      case 'catchupReply':
        return this.onCatchupReply(message);
      case 'takeover':
        return this.onTakeover(message);
    }
  }

  /** The leader we follow hands leadership to us (it is leaving the configuration): campaign now. */
  private onTakeover(message: TakeoverMessage): void {
    if (this.leadership !== null || message.from !== this.leaderId || !ballotsEqual(message.ballot, this.leaderBallot)) return;
    this.startCampaign(false);
  }

  /** Grants a pre-vote only if a real prepare would be promised and no live leader is known. */
  private onPrevote(message: PrevoteMessage): void {
    this.learner.notePeerCommit(message.from, message.commitIndex, this.now);
    const wouldPromise = compareBallots(message.ballot, this.refusalFloor()) > 0;
    const granted = wouldPromise && !this.hasLiveLeader() && !this.isTooFarBehind(message.commitIndex);
    this.outbox.send(message.from, { type: 'prevoteReply', ballot: message.ballot, granted, commitIndex: this.learner.commitIndex });
  }

  private onPrepare(message: PrepareMessage): void {
    // A promise must report every slot >= fromSlot; compacted ones cannot be, so such a candidate must catch up first.
    const behind = message.fromSlot <= this.learner.compactedThrough || this.decisions.candidateTooFarBehind(this.isTooFarBehind(message.fromSlot - 1));
    if (behind || compareBallots(message.ballot, this.refusalFloor()) < 0) {
      this.nack(message.from, message.ballot);
      return;
    }
    // The promise must fit one message: a candidate whose promise would not fit catches up first (the
    // nack carries our commit index). Decided before promising, so a refusal changes nothing durable.
    const isChosen = (slot: Slot): boolean => this.learner.isChosen(slot);
    const accepted = this.acceptor.acceptedFrom(message.fromSlot, isChosen);
    let chosenBudget = this.config.maxMessageBytes - MESSAGE_FRAME_BOUND_BYTES;
    for (const entry of accepted) chosenBudget -= acceptedEntrySizeBound(entry);
    // The accepted part alone may not fit (a member far behind accepts new slots while it catches up:
    // up to acceptWindowSlots of them); with no chosen slot to add, chosenFrom() could not tell.
    const budget = this.decisions.promiseChosenBudgetBytes(chosenBudget);
    const chosen = budget < 0 ? null : this.learner.chosenFrom(message.fromSlot, budget);
    if (chosen === null || !this.acceptor.prepare(message.ballot)) {
      this.nack(message.from, message.ballot);
      return;
    }
    if (message.from !== this.id) {
      // We promised a newcomer: whatever we led, campaigned for or followed is over.
      this.abandonLowerThan(message.ballot);
      if (this.leaderId !== null && compareBallots(message.ballot, this.leaderBallot) > 0) this.leaderId = null;
      this.timer.reset();
    }
    this.outbox.send(message.from, { type: 'promise', ballot: message.ballot, fromSlot: message.fromSlot, accepted, chosen, commitIndex: this.learner.commitIndex });
  }

  private onNack(message: NackMessage): void {
    this.learner.notePeerCommit(message.from, message.commitIndex, this.now);
    this.highestSeen = maxBallot(this.highestSeen, message.promised);
    const mine = this.leadership?.ballot ?? this.campaign?.ballot;
    if (mine !== undefined && ballotsEqual(message.ballot, mine) && compareBallots(message.promised, mine) > 0) this.stepDown();
  }

  private onAccept(message: AcceptMessage): void {
    // The floor covers the promise, so an accept above it is always accepted by the acceptor.
    if (compareBallots(message.ballot, this.refusalFloor()) < 0) {
      this.nack(message.from, message.ballot);
      return;
    }
    this.follow(message.from, message.ballot);
    // Learn first, so the window below is measured from an up-to-date commit index.
    this.learnFromLeaderCommit(message.from, message.ballot, message.commitIndex);
    // Far above what this replica knows is chosen: catch up first. This keeps every slot we accepted
    // within acceptWindowSlots above our commit index, which bounds how far our promises reach.
    if (message.slot > this.learner.commitIndex + this.config.acceptWindowSlots) return;
    const accepted = this.acceptor.accept(message.ballot, message.slot, message.value);
    if (!accepted) throw new Error(`acceptor refused ballot ${JSON.stringify(message.ballot)} at or above the refusal floor`);
    this.outbox.send(message.from, { type: 'accepted', ballot: message.ballot, slot: message.slot });
    this.learnFromLeaderCommit(message.from, message.ballot, message.commitIndex);
  }

  private onCommit(message: CommitMessage): void {
    if (compareBallots(message.ballot, this.refusalFloor()) < 0) {
      this.nack(message.from, message.ballot);
      return;
    }
    this.follow(message.from, message.ballot);
    this.learnFromLeaderCommit(message.from, message.ballot, message.commitIndex);
    this.outbox.send(message.from, { type: 'commitAck', ballot: message.ballot, commitIndex: this.learner.commitIndex });
  }

  private onCatchupRequest(message: CatchupRequestMessage): void {
    const entries = this.learner.chosenRange(message.fromSlot, message.toSlot, this.config.maxCatchupSlots, this.config.maxCatchupBytes) ?? [];
    this.outbox.send(message.from, { type: 'catchupReply', entries, commitIndex: this.learner.commitIndex, compactedThrough: this.learner.compactedThrough });
  }

  private onCatchupReply(message: CatchupReplyMessage): void {
    // A newcomer cannot follow the membership along the log (see requestCatchup): it never asks for
    // entries, and takes none it is sent unasked (a peer answering a request someone sent in its name),
    // or it would apply slots whose membership it does not know and could not restart from that state.
    if (this.membershipState !== null) for (const entry of message.entries) this.learner.learn(entry.slot, entry.value);
    this.learner.notePeerCommit(message.from, message.commitIndex, this.now);
    if (message.entries.length === 0) this.learner.notePeerCompaction(message.from, message.compactedThrough);
    else this.requestCatchup(); // keep the pipe full: do not wait for the next tick
  }

  private requestCatchup(): void {
    // Replaying the log needs the membership of its slots: a newcomer waits for a snapshot instead.
    if (this.membershipState === null) {
      this.learner.refreshTarget(this.now);
      return;
    }
    // A catch-up reply is bulk traffic (up to maxCatchupBytes, paced behind the other bulk of its sender):
    // asked again after the protocol's retransmitTicks (30 ms on a node), a reply still queued would be
    // queued again and again. The shortest election timeout is the pace of the other slow retries (an
    // origin re-forwards its commands that often).
    this.learner.requestCatchup(this.now, this.config.electionTicks, this.config.maxCatchupSlots, this.config.maxCatchupRequests, this.config.snapshotCatchupSlots);
  }

  /**
   * A leader at `ballot` says every slot <= commitIndex is chosen. Where this acceptor accepted at
   * exactly that ballot, the accepted value is the chosen one (a leader proposes one value per slot per
   * ballot); the other slots come through catch-up. Scans a bounded range per call.
   */
  private learnFromLeaderCommit(leader: NodeId, ballot: Ballot, commitIndex: Slot): void {
    this.learner.notePeerCommit(leader, commitIndex, this.now);
    const first = this.learner.commitIndex + 1;
    const last = Math.min(commitIndex, this.learner.commitIndex + this.config.maxInflightSlots);
    for (let slot = first; slot <= last; slot++) {
      if (this.learner.isChosen(slot)) continue;
      const accepted = this.acceptor.acceptedAt(slot);
      if (accepted !== undefined && ballotsEqual(accepted.ballot, ballot)) this.learner.learn(slot, accepted.value);
    }
  }

  /** Recognises `leader` at `ballot` (already checked against the refusal floor). */
  private follow(leader: NodeId, ballot: Ballot): void {
    if (leader === this.id) return;
    this.abandonLowerThan(ballot);
    if (this.roleState.kind === 'candidate') this.roleState = FOLLOWER;
    const changed = this.leaderId !== leader;
    this.leaderId = leader;
    this.leaderBallot = maxBallot(this.leaderBallot, ballot);
    // A silence that ends with the same leader speaking was one of its gaps: the timeout learns from it.
    if (changed) this.timer.followNewLeader();
    else this.timer.heardFromLeader();
    if (changed) this.submitter.resendAll();
  }

  /**
   * Campaigns for leadership of the configuration of the first unchosen slot, if this replica is a
   * member of it. `withPrevote` is false when leadership is handed over or carried into a new configuration.
   */
  private startCampaign(withPrevote = true): void {
    const preVotedBefore = this.roleState.kind === 'candidate';
    this.stepDown();
    // A pre-vote only asks whether the leader we followed is gone: until a majority says so
    // (startPrepare), we keep forwarding to it, and its next message ends the pre-vote as one of its
    // gaps (a leader stalled by a saturated machine is not deposed, not even in our status). A second
    // silence in a row (our pre-vote got nowhere): it is gone as far as we can tell. Either way
    // hasLiveLeader() is false while we campaign, so we grant the pre-votes of peers that lost it too.
    if (!withPrevote || preVotedBefore) this.leaderId = null;
    const fromSlot = this.learner.commitIndex + 1;
    const members = this.configAt(fromSlot);
    if (!members.includes(this.id)) return;
    const ballot = nextBallotAbove(this.refusalFloor(), this.id);
    const campaign = new Campaign(this.id, members, this.outbox, ballot, fromSlot, () => this.learner.commitIndex, this.now, withPrevote);
    this.roleState = { kind: 'candidate', campaign };
    if (!withPrevote || campaign.hasPrevoteQuorum()) this.startPrepare();
  }

  /** Member ids of the configuration governing `slot` (empty while the membership is unknown). */
  private configAt(slot: Slot): readonly NodeId[] {
    return this.membershipState === null ? [] : membersAt(this.membershipState, slot).map((m) => m.id);
  }

  /** Follows the membership along the chosen prefix (the store reports what membership commands did, as it applies them). */
  private trackMembership(entry: ChosenEntry): void {
    // Unreachable while unknown: a newcomer takes no catch-up entries (onCatchupReply) and accepts no slot
    // below its first configuration's, so no slot can join the prefix before its snapshot.
    if (this.membershipState === null) return;
    this.membershipState = applyMembershipSlot(this.membershipState, entry.slot, entry.value).state;
  }

  /** A newcomer that heard of a more advanced peer fetches its snapshot (now and then, until it has one). */
  private requestMembershipSnapshot(): void {
    const source = this.learner.aheadPeer;
    if (this.membershipState !== null || source === null || this.now % this.config.electionTicks !== 0) return;
    this.outbox.requestSnapshot(source);
  }

  /**
   * A leadership that reached the first slot of another configuration (blockedAt) moves on once every
   * earlier slot is chosen: a fresh phase 1 among the new members, or, if this replica is not one of
   * them, a hand-over to the most up-to-date one.
   */
  private crossConfiguration(): void {
    const boundary = this.leadership?.blockedAt ?? null;
    if (this.leadership === null || boundary === null || this.learner.commitIndex < boundary - 1) return;
    const members = this.configAt(this.learner.commitIndex + 1);
    if (members.includes(this.id)) {
      this.startCampaign(false);
      return;
    }
    const successor = this.leadership.successorAmong(members);
    const ballot = this.leadership.ballot;
    this.stepDown();
    if (successor !== null) this.outbox.send(successor, { type: 'takeover', ballot });
  }

  /** Phase 1 with a ballot above everything seen so far (it may have risen during the pre-vote). */
  private startPrepare(): void {
    if (this.campaign === null) return;
    // The pre-vote's ballot, unless something higher was seen meanwhile.
    const floor = this.refusalFloor();
    const ballot = compareBallots(this.campaign.ballot, floor) > 0 ? this.campaign.ballot : nextBallotAbove(floor, this.id);
    this.leaderId = null; // a majority lost the leader we followed, or we are handed leadership: we now replace it
    this.campaign.prepare(ballot, this.learner.commitIndex + 1, this.now);
    this.timer.reset();
  }

  private becomeLeader(): void {
    const campaign = this.campaign;
    if (campaign === null) return;
    this.leaderId = this.id;
    this.leaderBallot = campaign.ballot;
    const context = {
      self: this.id,
      epochMembers: campaign.members,
      configAt: (slot: Slot) => this.configAt(slot),
      relevantMembers: () => (this.membershipState === null ? [] : relevantMembers(this.membershipState).map((m) => m.id)),
      latestEpochStart: () => (this.membershipState === null ? 0 : latestEpoch(this.membershipState).fromSlot),
      config: this.config,
      outbox: this.outbox,
      learner: this.learner,
      ledger: this.ledger,
      decisions: this.decisions,
    };
    this.roleState = { kind: 'leader', leadership: new Leader(context, campaign.ballot, campaign.fromSlot, campaign.promises, this.now) };
    this.submitter.resendAll();
  }

  private stepDown(): void {
    this.roleState = FOLLOWER;
    if (this.leaderId === this.id) this.leaderId = null;
    this.timer.reset();
  }

  /** Ends our own leadership or campaign if `ballot` supersedes it. */
  private abandonLowerThan(ballot: Ballot): void {
    const mine = this.leadership?.ballot ?? this.campaign?.ballot;
    if (mine !== undefined && compareBallots(ballot, mine) > 0) this.stepDown();
  }

  /** Ballots below this are refused: everything promised or followed. */
  private refusalFloor(): Ballot {
    return maxBallot(maxBallot(this.acceptor.promised, this.leaderBallot), this.highestSeen);
  }

  private hasLiveLeader(): boolean {
    if (this.leadership !== null) return true;
    if (this.campaign !== null) return false; // we lost it ourselves (startCampaign)
    return this.leaderId !== null && this.timer.elapsed < this.timer.thresholdTicks;
  }

  /**
   * A candidate this far behind must catch up before it may lead: in slots, or in the bytes of the chosen
   * slots our promise would carry (leaving room for the accepted part, maxPromiseAcceptedBytes), so promises fit a message.
   */
  private isTooFarBehind(candidateCommitIndex: Slot): boolean {
    if (candidateCommitIndex + this.config.maxPromiseLagSlots <= this.learner.commitIndex) return true;
    const chosenBudget = this.config.maxMessageBytes - MESSAGE_FRAME_BOUND_BYTES - maxPromiseAcceptedBytes(this.config);
    return this.learner.chosenFrom(candidateCommitIndex + 1, chosenBudget) === null;
  }

  private nack(to: NodeId, ballot: Ballot): void {
    this.outbox.send(to, { type: 'nack', ballot, promised: this.refusalFloor(), commitIndex: this.learner.commitIndex });
  }

  /** End of a turn: route own commands to the leader, let the leader batch and propose. */
  private endTurn(): void {
    for (;;) {
      const leaderId = this.leaderId;
      this.submitter.route(leaderId, this.now, this.config.electionTicks, (commands) => {
        if (leaderId === this.id) this.leadership?.enqueue(commands);
        else if (leaderId !== null) this.outbox.send(leaderId, { type: 'forward', commands });
      });
      const commitBefore = this.learner.commitIndex;
      this.leadership?.flush(this.now);
      this.processLocal();
      this.crossConfiguration();
      this.processLocal();
      // A one-node cluster chooses at once, which may open the pipeline window for more of the queue.
      if (this.learner.commitIndex === commitBefore || (this.leadership?.queuedCommands ?? 0) === 0) return;
    }
  }

  private processLocal(): void {
    for (let message = this.outbox.nextLocal(); message !== undefined; message = this.outbox.nextLocal()) this.dispatch(message);
  }
}
