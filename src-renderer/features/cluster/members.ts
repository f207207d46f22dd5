/** The cluster's members as this node sees them, and the kinds of protocol messages between them. */
import type { NodeStatus, ProtocolMessageType } from '../../../shared/api';

export interface Member {
  readonly id: string;
  readonly self: boolean;
  readonly leader: boolean;
  /** For this node its role; for a peer "leader" (the known leader) or "member". */
  readonly role: string;
  /** Null when not known (a peer that has not told us yet). */
  readonly commitIndex: number | null;
  readonly reachable: boolean;
  /** Ms since we last heard from it; null for this node, or a peer never heard from. */
  readonly lastHeardMs: number | null;
}

/** This node first, then its peers by id (a stable order for the picture). */
export function membersOf(status: NodeStatus): Member[] {
  const self: Member = {
    id: status.id,
    self: true,
    leader: status.leader === status.id,
    role: status.role,
    commitIndex: status.commitIndex,
    reachable: true,
    lastHeardMs: null,
  };
  const peers = [...status.peers]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(
      (peer): Member => ({
        id: peer.id,
        self: false,
        leader: status.leader === peer.id,
        role: status.leader === peer.id ? 'leader' : 'member',
        commitIndex: peer.commitIndex,
        reachable: peer.reachable,
        lastHeardMs: peer.lastHeardMs,
      }),
    );
  return [self, ...peers];
}

/** How the picture colors a message. */
export type MessageKind = 'prepare' | 'promise' | 'accept' | 'accepted' | 'commit' | 'other';

export const MESSAGE_KINDS: readonly MessageKind[] = ['prepare', 'promise', 'accept', 'accepted', 'commit', 'other'];

export function kindOf(type: ProtocolMessageType): MessageKind {
  switch (type) {
    case 'prepare':
    case 'promise':
    case 'accept':
    case 'accepted':
    case 'commit':
      return type;
    default:
      return 'other';
  }
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Positions on a circle, the first member at the top, clockwise. */
export function circleLayout(count: number, center: Point, radius: number): Point[] {
  if (count === 1) return [center];
  return Array.from({ length: count }, (_, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / count;
    return { x: round(center.x + radius * Math.cos(angle)), y: round(center.y + radius * Math.sin(angle)) };
  });
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
