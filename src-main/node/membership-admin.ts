/**
 * Membership administration at one node: the bookkeeping around the membership commands it proposes.
 * The rules of membership itself (what a change does, when it takes effect) live in core/membership.ts
 * and are decided through the log; this module only decides what this node proposes and when.
 *
 *  - Joining (this node is the newcomer): a JoinClient asks the contacts in turn; the members the
 *    answering contact names are this node's peers until it learns the membership itself.
 *  - Answering joins (this node is a member): answer every `join`, and propose `addMember` once per
 *    newcomer, at the address its datagram came from.
 *  - Removing a member: refused (nothing proposed) when it is not a member, is the last one, while
 *    another change is pending, and, without `force`, when the members that would remain and are
 *    reachable from here are no majority of them (the cluster would stall until enough come back).
 *
 * Invariant: at most one membership command of this node's own is pending at a time (joinsProposed or
 * removalPending), and each is forgotten once chosen (noteChosen), accepted or rejected.
 */
import type { CommandReceipt, JoinProgress } from '../../shared/domain';
import { removalOutlook } from '../../shared/removal-outlook';
import { encodeMembershipChange, hasPendingChange, latestEpoch, type Member, type MembershipOutcome, type MembershipState } from '../core/membership';
import type { SubmitResult } from '../core/submitter';
import { commandKey, type Command, type NodeId } from '../core/types';
import { formatAddress, parseHostPort, type HostPort } from '../net/address';
import type { JoinReplyMessage, WireMessage } from '../net/wire';
import { answerJoin, JoinClient, joinContacts } from './join';
import type { Logger } from './logger';
import { NodeError } from './node-error';

/** What the administration needs from the replica, the transport and the runtime. */
export interface MembershipAdminContext {
  readonly id: NodeId;
  readonly membership: () => MembershipState | null;
  readonly isMember: () => boolean;
  /** Proposes a membership command's payload as this node's own command. */
  readonly propose: (payload: string) => SubmitResult;
  /** Resolves when this node's command `key` is chosen and applied here. */
  readonly wait: (key: string) => Promise<CommandReceipt>;
  /** Peers heard from recently (this node excluded). */
  readonly reachablePeers: () => ReadonlySet<NodeId>;
  readonly send: (message: WireMessage) => void;
  readonly setJoinContact: (address: HostPort | null) => void;
  /** Where a stranger's (a newcomer's, a contact's) datagrams come from, if it was heard. */
  readonly strangerAddress: (id: NodeId) => string | null;
  /** The members a join contact named changed: the runtime's peers follow. */
  readonly onContactMembers: () => void;
  readonly logger: Logger;
}

export class MembershipAdmin {
  /** Present while (and after) this node joins a cluster. */
  private joinClient: JoinClient | null = null;
  private contactMembersList: readonly Member[] = [];
  /** Newcomers whose addMember this node proposed, by command key, until chosen. */
  private readonly joinsProposed = new Map<NodeId, string>();
  /** This node's own removeMember command waiting to be chosen. */
  private removalPending: string | null = null;

  constructor(private readonly ctx: MembershipAdminContext) {}

  /** The members a join contact named, until this node learns the membership itself. */
  get contactMembers(): readonly Member[] {
    return this.contactMembersList;
  }

  startJoining(join: HostPort | readonly HostPort[]): void {
    const contacts = joinContacts(join).map((contact) => formatAddress(contact.host, contact.port));
    this.joinClient = new JoinClient(
      this.ctx.id,
      contacts,
      (message, contact) => {
        this.ctx.setJoinContact(parseHostPort(contact));
        this.ctx.send(message);
      },
      (members, contactId) => {
        // We reached the contact at the address its answer came from, whatever it thinks its own is.
        const address = this.ctx.strangerAddress(contactId);
        this.contactMembersList = members.map((m) => (m.id === contactId && address !== null ? { id: m.id, address } : m));
        this.ctx.onContactMembers();
      },
    );
    this.ctx.logger.event('joining', { contact: contacts.join(',') });
  }

  tick(nowMs: number): void {
    this.joinClient?.tick(nowMs, this.ctx.membership(), this.ctx.isMember());
  }

  onJoinReply(message: JoinReplyMessage): void {
    this.joinClient?.onReply(message);
  }

  /** A node asks to join: answer, and propose adding it (once). */
  onJoin(newcomer: NodeId): void {
    const membership = this.ctx.membership();
    const proposing = this.joinsProposed.has(newcomer);
    const answer = answerJoin(this.ctx.id, newcomer, membership, this.ctx.isMember(), proposing, this.ownCommandPending());
    const address = this.ctx.strangerAddress(newcomer);
    if (answer.status === 'adding' && !proposing && address !== null) {
      const result = this.ctx.propose(encodeMembershipChange({ type: 'addMember', id: newcomer, address }));
      if (result.ok) {
        this.joinsProposed.set(newcomer, commandKey(result.command.origin, result.command.seq));
        this.ctx.logger.event('join-request', { newcomer, address });
      }
    }
    const members = membership === null ? [] : latestEpoch(membership).members;
    this.ctx.send({ type: 'joinReply', from: this.ctx.id, to: newcomer, status: answer.status, reason: answer.reason, members });
  }

  /** Proposes removing `id` (see the header for when it is refused); resolves once chosen and applied here. */
  removeMember(id: NodeId, force: boolean): Promise<CommandReceipt> {
    const membership = this.ctx.membership();
    if (membership === null) return Promise.reject(new NodeError('unavailable', 'This node does not know the membership yet (it is joining).'));
    const members = latestEpoch(membership).members.map((m) => m.id);
    if (!members.includes(id)) return Promise.reject(new NodeError('invalid', `"${id}" is not a member.`));
    if (members.length <= 1) return Promise.reject(new NodeError('invalid', `"${id}" is the last member; a cluster cannot have fewer than one.`));
    if (hasPendingChange(membership) || this.ownCommandPending()) {
      return Promise.reject(new NodeError('unavailable', 'Another membership change is under way; try again in a few seconds.'));
    }
    const reachable = this.ctx.reachablePeers();
    const outlook = removalOutlook(members, id, (member) => member === this.ctx.id || reachable.has(member));
    if (outlook.stalls && !force) {
      return Promise.reject(
        new NodeError(
          'needs-consent',
          `Only ${outlook.reachable} of the ${outlook.remaining} members that would remain are reachable, and ${outlook.majority} are needed for a majority: the cluster would stop accepting tweets until enough of them are back. Repeat with force to remove "${id}" anyway.`,
        ),
      );
    }
    const result = this.ctx.propose(encodeMembershipChange({ type: 'removeMember', id }));
    if (!result.ok) return Promise.reject(new NodeError('unavailable', result.message));
    const key = commandKey(result.command.origin, result.command.seq);
    this.removalPending = key;
    this.ctx.logger.event('remove-member', { id, force });
    return this.ctx.wait(key);
  }

  /** A membership command was chosen and applied here (anyone's). */
  noteChosen(slot: number, command: Command, outcome: MembershipOutcome): void {
    const key = commandKey(command.origin, command.seq);
    if (this.removalPending === key) this.removalPending = null;
    for (const [newcomer, pending] of this.joinsProposed) if (pending === key) this.joinsProposed.delete(newcomer);
    const { change } = outcome;
    if (outcome.status === 'accepted') this.ctx.logger.event('membership-change', { slot, change: change.type, member: change.id, effectiveSlot: outcome.effectiveSlot });
    else this.ctx.logger.event('membership-change-rejected', { slot, change: change.type, member: change.id, reason: outcome.reason });
  }

  /** How joining goes, while (and after) this node joins a cluster; null if it never did. */
  joining(): JoinProgress | null {
    return this.joinClient?.progress() ?? null;
  }

  /** One of this node's own membership commands is still waiting to be chosen. */
  private ownCommandPending(): boolean {
    return this.joinsProposed.size > 0 || this.removalPending !== null;
  }
}
