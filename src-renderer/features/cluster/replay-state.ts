/**
 * What the Cluster diagram shows at a moment of the replay: who led and at which ballot (or who was
 * campaigning), how far each member's commit index had got, the highest slot it held and which members
 * were silent, as far as the recorded messages up to that moment tell. The live status cannot stand in:
 * it is the cluster of now, and a user stepping through an election must not see the winner crowned
 * before the prepares fly.
 *
 * Only what the messages say is claimed. A recorded message carries its type, sender, receiver, ballot
 * and a slot or slot range (shared/domain.ts TraceMessage, filled by traceOf() in
 * src-main/node/trace-buffer.ts); from those:
 *  - a member leads at ballot b when it sends an accept or a commit at its own ballot b (only a leader
 *    does); the leader is the one with the highest such ballot seen;
 *  - a member campaigns at b when it sends a prepare at its own ballot b above every leader's; a promise
 *    at b delivered to it is a vote. The campaign is over once a leader at b or above appears. Until
 *    then it is shown as going on while it was heard from at least as recently as the leader: a leader
 *    that goes on leading after the last prepare (a lost duel) is still the leader;
 *  - a commit index is a lower bound, the highest a member stated about itself: a commit, commitAck or
 *    ping carries the sender's own, and a prepare asks from the slot after the candidate's. A commit a
 *    member received is not counted for it: it may lack the values and have to catch up first;
 *  - the highest slot a member holds a value for: one it proposed (accept), accepted (accepted) or
 *    reported in a promise (its range ends at the highest slot the promiser holds);
 *  - a member is silent when the recording holds nothing it sent in the SILENT_MS before the moment, and
 *    reaches back that far (else nobody can tell).
 * A dropped message was still sent, so it tells what its sender knew; but it reached nobody, so it is no
 * vote and does not keep a leadership or a campaign current.
 *
 * Each message may be recorded twice (its sender's and its receiver's observation, pairing.ts): every
 * rule is a maximum or a set, so the second copy changes nothing, and the whole recording is read,
 * heartbeats and echoes included, so hiding heartbeats in the replay does not change the state shown.
 */
import type { BallotView, TraceMessage } from '../../../shared/api';

/** Four ping intervals (every member pings every peer each 500 ms, src-main/node/replica-node.ts): quiet that long is not chance. */
export const SILENT_MS = 2_000;

export interface Leadership {
  readonly id: string;
  readonly ballot: BallotView;
  /** When the recording first shows it (its first accept or commit at the ballot, or its first prepare). */
  readonly since: number;
}

export interface Campaign extends Leadership {
  /** Members whose promise for the ballot reached the candidate, in order (the candidate's own is never on the wire). */
  readonly promisedBy: readonly string[];
}

export interface ReplayedMember {
  readonly id: string;
  /** The highest ballot it was seen leading, campaigning at, promising or answering; null when none. */
  readonly ballot: BallotView | null;
  /** Its commit index was at least this (the highest it stated itself); null when it stated none. */
  readonly commitAtLeast: number | null;
  /** The highest slot it was seen to hold a value for; null when none. */
  readonly heldSlot: number | null;
  /** When the recording last shows a message from it; null when none. */
  readonly lastSentAt: number | null;
  readonly silent: boolean;
}

export interface ReplayState {
  /** The moment shown (recorded time). */
  readonly at: number;
  /** Leading at the moment; null while a campaign for a higher ballot is going on, or when no leader was seen. */
  readonly leader: Leadership | null;
  /** A campaign going on at the moment, else null. */
  readonly campaign: Campaign | null;
  /** While a campaign is going on: the leader it would replace, if one was seen. */
  readonly formerLeader: Leadership | null;
  /** The members the recording shows sending, by id. */
  readonly members: ReadonlyMap<string, ReplayedMember>;
  /** The time of the first recorded message, or null when there is none. */
  readonly recordedFrom: number | null;
}

export type ReplayedRole = 'leader' | 'candidate' | 'former leader' | 'promised' | 'follower';

/** A member as the state knows it; one the recording never shows sending is known by nothing but its silence. */
export function memberAt(state: ReplayState, id: string): ReplayedMember {
  return (
    state.members.get(id) ?? {
      id,
      ballot: null,
      commitAtLeast: null,
      heldSlot: null,
      lastSentAt: null,
      silent: isSilent(null, state.recordedFrom, state.at),
    }
  );
}

/** A member's part at the moment, and the ballot it plays it at. */
export interface ReplayedPart {
  readonly role: ReplayedRole;
  readonly ballot: BallotView;
}

/** Its part at the moment, or null when the recording does not say (a follower must have answered the leader's ballot). */
export function roleAt(state: ReplayState, id: string): ReplayedPart | null {
  const { leader, campaign, formerLeader } = state;
  if (leader?.id === id) return { role: 'leader', ballot: leader.ballot };
  if (campaign?.id === id) return { role: 'candidate', ballot: campaign.ballot };
  if (formerLeader?.id === id) return { role: 'former leader', ballot: formerLeader.ballot };
  if (campaign?.promisedBy.includes(id) === true) return { role: 'promised', ballot: campaign.ballot };
  const ballot = state.members.get(id)?.ballot ?? null;
  if (leader !== null && ballot !== null && compareBallots(ballot, leader.ballot) === 0) return { role: 'follower', ballot };
  return null;
}

/** The state after all of `messages` (in recorded order), seen at `at`. */
export function replayState(messages: readonly TraceMessage[], at: number): ReplayState {
  return new ReplayFold().stateAt(messages, messages.length, at);
}

/**
 * replayState() for a cursor that mostly moves forward through one recording: playback asks twenty
 * times a second over up to 50,000 messages, so it reads only the messages the cursor passed since the
 * last call, and starts over when the cursor moves back or the messages behind it changed (evicted,
 * merged out of order, marked dropped). Telling costs one comparison of references per message.
 */
export class ReplayFold {
  #source: readonly TraceMessage[] = [];
  #count = 0;
  #fold = new Fold();

  /** The state after the first `count` of `messages`, seen at `at`. */
  stateAt(messages: readonly TraceMessage[], count: number, at: number): ReplayState {
    const upTo = Math.max(0, Math.min(count, messages.length));
    if (!this.#continues(messages, upTo)) {
      this.#fold = new Fold();
      this.#count = 0;
    }
    for (let i = this.#count; i < upTo; i++) this.#fold.add(messages[i] as TraceMessage);
    this.#source = messages;
    this.#count = upTo;
    return this.#fold.snapshot(at);
  }

  #continues(messages: readonly TraceMessage[], count: number): boolean {
    if (count < this.#count) return false;
    if (messages === this.#source) return true;
    for (let i = 0; i < this.#count; i++) if (messages[i] !== this.#source[i]) return false;
    return true;
  }
}

interface Tracked {
  ballot: BallotView | null;
  commitAtLeast: number | null;
  heldSlot: number | null;
  lastSentAt: number | null;
}

interface Current {
  readonly id: string;
  readonly ballot: BallotView;
  readonly since: number;
  /** The last delivered message that showed it (what "going on" is measured by). */
  lastAt: number;
}

interface CurrentCampaign extends Current {
  readonly promisedBy: Set<string>;
}

/** The state as messages are added, in recorded order (mutable; snapshot() hands out copies). */
class Fold {
  readonly #members = new Map<string, Tracked>();
  #leader: Current | null = null;
  #campaign: CurrentCampaign | null = null;
  #recordedFrom: number | null = null;

  add(message: TraceMessage): void {
    this.#recordedFrom ??= message.at;
    const sender = this.#member(message.from);
    sender.lastSentAt = Math.max(sender.lastSentAt ?? -Infinity, message.at);
    const delivered = message.dropped !== true;
    const { ballot, slot } = message;
    switch (message.type) {
      case 'prepare':
        if (ballot === undefined) return;
        raiseBallot(sender, ballot);
        // It asks for every slot from the one after its commit index (Campaign.prepare).
        if (slot !== undefined) raiseCommit(sender, slot - 1);
        if (ballot.node === message.from) this.#campaignAt(message.from, ballot, message.at, delivered);
        return;
      case 'promise':
        if (ballot === undefined) return;
        raiseBallot(sender, ballot);
        if (message.toSlot !== undefined) raiseHeld(sender, message.toSlot);
        if (delivered) this.#promise(message.from, message.to, ballot, message.at);
        return;
      case 'accept':
      case 'commit':
        if (ballot === undefined) return;
        raiseBallot(sender, ballot);
        if (slot !== undefined) {
          if (message.type === 'accept') raiseHeld(sender, slot);
          else raiseCommit(sender, slot);
        }
        if (ballot.node === message.from) this.#leadAt(message.from, ballot, message.at, delivered);
        return;
      case 'accepted':
        if (ballot !== undefined) raiseBallot(sender, ballot);
        if (slot !== undefined) raiseHeld(sender, slot);
        return;
      case 'commitAck':
        if (ballot !== undefined) raiseBallot(sender, ballot);
        if (slot !== undefined) raiseCommit(sender, slot);
        return;
      case 'ping':
        if (slot !== undefined) raiseCommit(sender, slot);
        return;
      default:
        // Pre-votes, nacks, forwards, catch-up, snapshots, joins: nothing above rests on them.
        return;
    }
  }

  snapshot(at: number): ReplayState {
    const leader = this.#leader;
    const campaign = this.#campaign;
    const contested = campaign !== null && (leader === null || campaign.lastAt >= leader.lastAt);
    const members = new Map<string, ReplayedMember>();
    for (const [id, tracked] of this.#members) {
      members.set(id, { id, ...tracked, silent: isSilent(tracked.lastSentAt, this.#recordedFrom, at) });
    }
    return {
      at,
      leader: contested ? null : leadershipOf(leader),
      campaign: contested ? { ...(leadershipOf(campaign) as Leadership), promisedBy: [...campaign.promisedBy] } : null,
      formerLeader: contested ? leadershipOf(leader) : null,
      members,
      recordedFrom: this.#recordedFrom,
    };
  }

  #member(id: string): Tracked {
    let tracked = this.#members.get(id);
    if (tracked === undefined) {
      tracked = { ballot: null, commitAtLeast: null, heldSlot: null, lastSentAt: null };
      this.#members.set(id, tracked);
    }
    return tracked;
  }

  #campaignAt(id: string, ballot: BallotView, at: number, delivered: boolean): void {
    // A ballot a leader already reached is an old campaign (won, or beaten): nothing to show.
    if (this.#leader !== null && compareBallots(ballot, this.#leader.ballot) <= 0) return;
    const campaign = this.#campaign;
    if (campaign === null || compareBallots(ballot, campaign.ballot) > 0) {
      this.#campaign = { id, ballot, since: at, lastAt: at, promisedBy: new Set() };
    } else if (delivered && compareBallots(ballot, campaign.ballot) === 0) {
      campaign.lastAt = Math.max(campaign.lastAt, at);
    }
  }

  #promise(from: string, to: string, ballot: BallotView, at: number): void {
    const campaign = this.#campaign;
    if (campaign === null || campaign.id !== to || compareBallots(ballot, campaign.ballot) !== 0) return;
    campaign.promisedBy.add(from);
    campaign.lastAt = Math.max(campaign.lastAt, at);
  }

  #leadAt(id: string, ballot: BallotView, at: number, delivered: boolean): void {
    const leader = this.#leader;
    if (leader === null || compareBallots(ballot, leader.ballot) > 0) {
      this.#leader = { id, ballot, since: at, lastAt: at };
    } else if (delivered && compareBallots(ballot, leader.ballot) === 0) {
      leader.lastAt = Math.max(leader.lastAt, at);
    }
    // (A lower ballot's accept or commit comes from a deposed leader that has not heard yet: it leads nobody.)
    if (this.#campaign !== null && compareBallots(this.#campaign.ballot, ballot) <= 0) this.#campaign = null;
  }
}

function leadershipOf(current: Current | null): Leadership | null {
  return current === null ? null : { id: current.id, ballot: current.ballot, since: current.since };
}

function raiseBallot(member: Tracked, ballot: BallotView): void {
  if (member.ballot === null || compareBallots(ballot, member.ballot) > 0) member.ballot = ballot;
}

function raiseCommit(member: Tracked, slot: number): void {
  member.commitAtLeast = Math.max(member.commitAtLeast ?? -Infinity, slot);
}

function raiseHeld(member: Tracked, slot: number): void {
  member.heldSlot = Math.max(member.heldSlot ?? -Infinity, slot);
}

function isSilent(lastSentAt: number | null, recordedFrom: number | null, at: number): boolean {
  const since = lastSentAt ?? recordedFrom;
  return since !== null && at - since >= SILENT_MS;
}

/** Rounds first, then node ids (src-main/core/ballot.ts: the same total order the protocol uses). */
export function compareBallots(a: BallotView, b: BallotView): number {
  if (a.round !== b.round) return a.round - b.round;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}
