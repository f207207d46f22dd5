/**
 * The kinds of protocol messages between members, and where the picture places them. Who the members
 * are comes from app/membership.ts.
 */
import type { ProtocolMessageType } from '../../../shared/api';

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
