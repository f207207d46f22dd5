/**
 * The cluster's members as this node sees them, for the Peers and Cluster pages: the replicated
 * configuration (status.membership) merged with live reachability (status.peers), the pending change
 * and whether removing a member would leave a majority.
 */
import { removalOutlook as sharedRemovalOutlook, type RemovalOutlook } from '../../shared/removal-outlook';
import type { NodeStatus } from '../../shared/api';

/**
 * Where a node stands: in the configuration, joining or leaving it when the pending change takes
 * effect, or (this node only) outside it: joining a cluster, or removed.
 */
export type Standing = 'member' | 'joining' | 'leaving' | 'outside';

export interface Member {
  readonly id: string;
  /** `host:port`: where this node last heard it from, else as recorded when it was added. */
  readonly address: string;
  readonly self: boolean;
  readonly leader: boolean;
  /** For this node its role; for a peer "leader" (the known leader) or "member". */
  readonly role: string;
  readonly standing: Standing;
  /** For a joining or leaving member: the first slot of the new configuration; else null. */
  readonly effectiveSlot: number | null;
  /** Null when not known (a peer that has not told us yet). */
  readonly commitIndex: number | null;
  /** This node always; a peer when heard from recently. */
  readonly reachable: boolean;
  /** Ms since we last heard from it; null for this node, or a peer never heard from. */
  readonly lastHeardMs: number | null;
}

/** A chosen membership change that has not taken effect yet. */
export interface PendingChange {
  readonly joining: readonly string[];
  readonly leaving: readonly string[];
  /** The first slot decided by the new configuration. */
  readonly fromSlot: number;
  /** The slot that holds the change. */
  readonly changedAt: number;
}

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function pendingChangeOf(status: NodeStatus): PendingChange | null {
  const { members, pending } = status.membership;
  if (pending === null) return null;
  const now = new Set((members ?? []).map((m) => m.id));
  const next = new Set(pending.members.map((m) => m.id));
  return {
    joining: [...next].filter((id) => !now.has(id)).sort(byId),
    leaving: [...now].filter((id) => !next.has(id)).sort(byId),
    fromSlot: pending.fromSlot,
    changedAt: pending.changedAt,
  };
}

/** "cyd joins at slot 130", "bob leaves at slot 130". */
export function describePendingChange(change: PendingChange): string {
  const parts = [...change.joining.map((id) => `${id} joins`), ...change.leaving.map((id) => `${id} leaves`)];
  return `${parts.length === 0 ? 'The configuration changes' : parts.join(', ')} at slot ${change.fromSlot}`;
}

/** A member's standing in words, for tables. */
export function standingLabel(member: Member): string {
  switch (member.standing) {
    case 'member':
      return 'member';
    case 'joining':
      return `joins at slot ${member.effectiveSlot ?? '?'}`;
    case 'leaving':
      return `leaves at slot ${member.effectiveSlot ?? '?'}`;
    case 'outside':
      return 'not a member';
  }
}

/**
 * This node first (always, even when it is not a member), then the configuration's other members and
 * pending joiners by id: a stable order for the picture.
 */
export function membersOf(status: NodeStatus): Member[] {
  const { members, pending } = status.membership;
  const change = pendingChangeOf(status);
  const recorded = new Map<string, string>();
  for (const member of [...(members ?? []), ...(pending?.members ?? [])]) if (!recorded.has(member.id)) recorded.set(member.id, member.address);
  const live = new Map(status.peers.map((peer) => [peer.id, peer]));

  const standingOf = (id: string): Standing => {
    if (change?.joining.includes(id) === true) return 'joining';
    if (change?.leaving.includes(id) === true) return 'leaving';
    return members?.some((m) => m.id === id) === true ? 'member' : 'outside';
  };
  const make = (id: string): Member => {
    const self = id === status.id;
    const peer = live.get(id);
    const standing = standingOf(id);
    return {
      id,
      address: self ? status.address : (peer?.address ?? recorded.get(id) ?? '?'),
      self,
      leader: status.leader === id,
      role: self ? status.role : status.leader === id ? 'leader' : 'member',
      standing,
      effectiveSlot: standing === 'joining' || standing === 'leaving' ? (change?.fromSlot ?? null) : null,
      commitIndex: self ? status.commitIndex : (peer?.commitIndex ?? null),
      reachable: self || peer?.reachable === true,
      lastHeardMs: self ? null : (peer?.lastHeardMs ?? null),
    };
  };

  const others = [...recorded.keys()].filter((id) => id !== status.id).sort(byId);
  return [make(status.id), ...others.map(make)];
}

/** The members in the configuration now (with those leaving; without joiners and outsiders). */
export function currentMembers(members: readonly Member[]): Member[] {
  return members.filter((m) => m.standing === 'member' || m.standing === 'leaving');
}

export type { RemovalOutlook };

/** What would be left without `id` (shared/removal-outlook.ts: the node applies the same rule). */
export function removalOutlook(members: readonly Member[], id: string): RemovalOutlook {
  const current = currentMembers(members);
  const reachable = new Set(current.filter((m) => m.reachable).map((m) => m.id));
  return sharedRemovalOutlook(
    current.map((m) => m.id),
    id,
    (member) => reachable.has(member),
  );
}
