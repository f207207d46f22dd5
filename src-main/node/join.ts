/**
 * Joining a running cluster, both sides of it. Only the runtime speaks this protocol; the core merely
 * sees an addMember command and, later, a newcomer that needs a snapshot.
 *
 *   newcomer (JoinClient)                         any member (answerJoin)
 *   join ───────────────────────────────────────► proposes addMember {id, address it wrote from}
 *   ◄──────────── joinReply 'adding' + members     (once: a repeated join is answered, not re-proposed)
 *   ... the command is chosen; the leader heartbeats the newcomer (a pending member), which then
 *   fetches a snapshot (chunked, resumable: snapshot-transfer.ts) and catches up the log tail ...
 *   ◄──────────── joinReply 'member'               (to joins that arrive after it was chosen)
 *
 * The newcomer repeats its join every JOIN_RETRY_MS until it knows the membership (it installed a
 * snapshot), so lost datagrams, a busy cluster ('busy': another change is under way) or a contact that
 * restarts only delay it. Given several contacts (an invite code lists some members), it asks them in
 * turn until one answers, then keeps asking that one while it answers: whichever listed member is up
 * adds it.
 */
import type { JoinProgress, JoinStage } from '../../shared/domain';
import { hasPendingChange, latestEpoch, type Member, type MembershipState } from '../core/membership';
import type { NodeId } from '../core/types';
import { ANY_NODE, type JoinMessage, type JoinReplyMessage, type JoinReplyStatus } from '../net/wire';

export const JOIN_RETRY_MS = 500;
/** A contact that answered once but not to this many joins in a row is given up: the others are asked again. */
export const SILENT_JOINS_BEFORE_ROTATING = 6;

/** 'refused' comes last: it ends the attempt (the user starts a new one). */
const STAGE_ORDER: readonly JoinStage[] = ['contacting', 'adding', 'catching-up', 'member', 'refused'];

export class JoinClient {
  private stageNow: JoinStage = 'contacting';
  private messageNow: string;
  private sentAt = -Infinity;
  /** Which contact the next join goes to. */
  private next = 0;
  /** The contact asked last; once one answered, the one that answered. */
  private asked: string | null = null;
  private answered = false;
  /** Joins sent since the last answer. */
  private silentJoins = 0;

  constructor(
    private readonly self: NodeId,
    /** Members' addresses, `host:port` (shown to the user); at least one. */
    private readonly contacts: readonly string[],
    /** Sends the join to the member at `contact`. */
    private readonly send: (message: JoinMessage, contact: string) => void,
    /** The members the contact (`contactId`) named: this node must accept their messages from now on. */
    private readonly learnMembers: (members: readonly Member[], contactId: NodeId) => void,
  ) {
    if (contacts.length === 0) throw new RangeError('joining needs the address of at least one member');
    this.messageNow = contacts.length === 1 ? `Asking the member at ${contacts[0]} to add this node…` : `Asking the members at ${contacts.join(', ')} in turn to add this node…`;
  }

  progress(): JoinProgress {
    return { contact: this.answered && this.asked !== null ? this.asked : this.contacts.join(', '), stage: this.stageNow, message: this.messageNow };
  }

  /** Called often: asks again while the membership is unknown, and notices when the join is complete. */
  tick(now: number, membership: MembershipState | null, isMember: boolean): void {
    if (membership !== null) {
      if (isMember) this.set('member', 'A full member: this node has the whole history and takes part in every decision.');
      else if (this.stageNow !== 'member') this.set('catching-up', 'Added: the new configuration takes effect within a few slots.');
      return;
    }
    if (this.stageNow === 'refused' || now - this.sentAt < JOIN_RETRY_MS) return;
    this.sentAt = now;
    if (this.answered && this.silentJoins >= SILENT_JOINS_BEFORE_ROTATING) this.answered = false;
    this.silentJoins++;
    if (!this.answered) {
      this.asked = this.contacts[this.next % this.contacts.length] as string;
      this.next++;
    }
    this.send({ type: 'join', from: this.self, to: ANY_NODE }, this.asked as string);
  }

  onReply(reply: JoinReplyMessage): void {
    this.answered = true;
    this.silentJoins = 0;
    if (reply.members.length > 0) this.learnMembers(reply.members, reply.from);
    switch (reply.status) {
      case 'adding':
        return this.set('adding', `${reply.from} proposed adding this node; waiting for the cluster to choose it…`);
      case 'member':
        return this.set('catching-up', `Added to the cluster; fetching a snapshot and the log from its members…`);
      case 'busy':
        return this.set('contacting', `${reply.reason} Asking again…`);
      case 'refused':
        return this.set('refused', `${reply.from} refused: ${reply.reason}`);
    }
  }

  /** Progress only moves forward: a late or reordered answer never takes it back a step. */
  private set(stage: JoinStage, message: string): void {
    if (STAGE_ORDER.indexOf(stage) < STAGE_ORDER.indexOf(this.stageNow)) return;
    this.stageNow = stage;
    this.messageNow = message;
  }
}

export interface JoinAnswer {
  readonly status: JoinReplyStatus;
  readonly reason: string;
}

/**
 * A member's decision on a join from `newcomer` (it proposes the addMember itself when the answer is
 * 'adding' and `proposing` does not already hold one for this newcomer).
 */
export function answerJoin(self: NodeId, newcomer: NodeId, membership: MembershipState | null, isMember: boolean, proposing: boolean, changePending: boolean): JoinAnswer {
  if (membership === null || !isMember) return { status: 'refused', reason: `${self} is not a member of the cluster; ask another member.` };
  if (newcomer === self) return { status: 'refused', reason: `${newcomer} is this member's own id; give the new node another id.` };
  if (latestEpoch(membership).members.some((m) => m.id === newcomer)) return { status: 'member', reason: '' };
  if (proposing) return { status: 'adding', reason: '' };
  if (changePending || hasPendingChange(membership)) return { status: 'busy', reason: 'Another membership change is under way.' };
  return { status: 'adding', reason: '' };
}

/** The contacts of NodeOptions.join as a list (one address, or several). */
export function joinContacts<A extends { readonly host: string; readonly port: number }>(join: A | readonly A[]): readonly A[] {
  return Array.isArray(join) ? join : [join as A];
}
