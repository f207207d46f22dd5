/**
 * The transport's peers follow the membership: everyone who takes part in deciding the next slots
 * (pending members too, relevantMembers), or, while this node joins and knows no membership yet, the
 * members its join contact named. Checked after every turn; it costs nothing unless the membership's
 * epochs (or the contact's list) changed.
 */
import { relevantMembers, type Member, type MembershipState } from '../core/membership';
import type { NodeId } from '../core/types';
import { parseHostPort, type HostPort } from '../net/address';
import { UNKNOWN_ADDRESS } from '../net/udp-transport';
import type { Logger } from './logger';

export interface TransportMembersContext {
  readonly self: NodeId;
  readonly membership: () => MembershipState | null;
  /** The members a join contact named, until this node learns the membership itself. */
  readonly contactMembers: () => readonly Member[];
  /** The transport's peers now, at the addresses it follows (none before it is open). */
  readonly transportPeers: () => readonly { readonly id: NodeId; readonly address: string }[];
  readonly setTransportMembers: (peers: ReadonlyMap<NodeId, HostPort>) => void;
  /** `peer` is no longer a peer: whatever is queued for it goes. */
  readonly forget: (peer: NodeId) => void;
  readonly logger: Logger;
}

/**
 * The peers for `members` (this node left out), each at the address the transport already follows it at
 * if it does (`known`), else at the one recorded in the membership.
 */
export function peersOf(self: NodeId, members: readonly Member[], known: ReadonlyMap<NodeId, string>): Map<NodeId, HostPort> {
  const peers = new Map<NodeId, HostPort>();
  for (const member of members) {
    if (member.id === self) continue;
    // The transport follows a peer that moved; the recorded address is only the starting point
    // (and may be unknown: a wildcard or ephemeral listen address means nothing elsewhere).
    peers.set(member.id, parseHostPort(known.get(member.id) ?? member.address) ?? UNKNOWN_ADDRESS);
  }
  return peers;
}

export class TransportMembers {
  /** What the transport's peers were last derived from (epochs, or the members a join contact named). */
  private derivedFrom: unknown = null;

  constructor(private readonly ctx: TransportMembersContext) {}

  /** Everyone who takes part in deciding the next slots (pending members too), with addresses: our peers. */
  current(): Map<NodeId, HostPort> {
    const membership = this.ctx.membership();
    const members = membership === null ? this.ctx.contactMembers() : relevantMembers(membership);
    return peersOf(this.ctx.self, members, new Map(this.ctx.transportPeers().map((peer) => [peer.id, peer.address])));
  }

  /**
   * Keeps the transport's peers equal to the membership as it changes through the log. Runs after
   * every turn, so it does nothing unless the epochs (or a join contact's list) changed: applying a
   * slot without a membership change keeps the same epochs array.
   */
  sync(): void {
    const source = this.ctx.membership()?.epochs ?? this.ctx.contactMembers();
    if (source === this.derivedFrom) return;
    this.derivedFrom = source;
    const next = this.current();
    const current = this.ctx.transportPeers();
    if (current.length === next.size && current.every((peer) => next.has(peer.id))) return;
    for (const peer of current) if (!next.has(peer.id)) this.ctx.forget(peer.id);
    this.ctx.setTransportMembers(next);
    this.ctx.logger.event('members', { peers: [...next.keys()].join(',') });
  }
}
