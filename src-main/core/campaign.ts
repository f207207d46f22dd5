/**
 * A candidate's campaign: pre-vote, then phase 1 (prepare/promise) for every slot from the first
 * unchosen one. Phase 1 runs once per leadership, not once per slot: that is what makes the leader stable.
 *
 * Invariant: the campaign wins only with promises for its exact ballot and fromSlot from a majority of
 * `members` (the configuration of fromSlot), each complete for all slots >= fromSlot (see PromiseMessage).
 * Answers from anyone else (a removed member, a newcomer not yet in effect) are not counted.
 */
import type { Ballot } from './ballot';
import { ballotsEqual } from './ballot';
import type { Outbox } from './outbox';
import { majority } from './quorum';
import type { NodeId, PrevoteReplyMessage, PromiseMessage, Slot } from './types';

export type CampaignStage = 'prevote' | 'prepare';

export class Campaign {
  private stageNow: CampaignStage = 'prevote';
  private readonly grants = new Set<NodeId>();
  private readonly promiseByNode = new Map<NodeId, PromiseMessage>();
  private sentAtTick: number;

  constructor(
    private readonly self: NodeId,
    readonly members: readonly NodeId[],
    private readonly outbox: Outbox,
    private currentBallot: Ballot,
    private currentFromSlot: Slot,
    private readonly commitIndex: () => Slot,
    now: number,
    /** False when the campaign was asked for (a leader handing over or crossing into a new configuration): the caller goes straight to prepare(). */
    withPrevote: boolean,
  ) {
    this.sentAtTick = now;
    this.grants.add(self);
    if (withPrevote) this.sendPrevotes(this.members);
  }

  get stage(): CampaignStage {
    return this.stageNow;
  }

  get ballot(): Ballot {
    return this.currentBallot;
  }

  get fromSlot(): Slot {
    return this.currentFromSlot;
  }

  get promises(): ReadonlyMap<NodeId, PromiseMessage> {
    return this.promiseByNode;
  }

  /** True when a majority would promise: the caller then starts phase 1 via prepare(). */
  onPrevoteReply(reply: PrevoteReplyMessage): boolean {
    if (this.stageNow !== 'prevote' || !ballotsEqual(reply.ballot, this.currentBallot) || !reply.granted) return false;
    if (!this.members.includes(reply.from)) return false;
    this.grants.add(reply.from);
    return this.hasPrevoteQuorum();
  }

  hasPrevoteQuorum(): boolean {
    return this.grants.size >= majority(this.members.length);
  }

  /**
   * Phase 1a with `ballot` (which may have risen during the pre-vote) for every slot >= fromSlot. The
   * replica's own acceptor receives its prepare like everyone else's, so the self-promise is persisted
   * before the other prepares leave.
   */
  prepare(ballot: Ballot, fromSlot: Slot, now: number): void {
    this.stageNow = 'prepare';
    this.currentBallot = ballot;
    this.currentFromSlot = fromSlot;
    this.sentAtTick = now;
    this.sendPrepares(this.members);
  }

  /** Records a promise; true once a majority promised (the campaign is won). */
  onPromise(promise: PromiseMessage): boolean {
    if (this.stageNow !== 'prepare') return false;
    if (!ballotsEqual(promise.ballot, this.currentBallot) || promise.fromSlot !== this.currentFromSlot) return false;
    if (!this.members.includes(promise.from)) return false;
    this.promiseByNode.set(promise.from, promise);
    return this.promiseByNode.size >= majority(this.members.length);
  }

  /** Resends to whoever has not answered yet, every `retransmitTicks`. */
  tick(now: number, retransmitTicks: number): void {
    if (now - this.sentAtTick < retransmitTicks) return;
    this.sentAtTick = now;
    if (this.stageNow === 'prevote') this.sendPrevotes(this.members.filter((m) => !this.grants.has(m)));
    else this.sendPrepares(this.members.filter((m) => !this.promiseByNode.has(m)));
  }

  private sendPrevotes(to: readonly NodeId[]): void {
    for (const member of to) {
      if (member !== this.self) this.outbox.send(member, { type: 'prevote', ballot: this.currentBallot, commitIndex: this.commitIndex() });
    }
  }

  private sendPrepares(to: readonly NodeId[]): void {
    for (const member of to) this.outbox.send(member, { type: 'prepare', ballot: this.currentBallot, fromSlot: this.currentFromSlot });
  }
}
