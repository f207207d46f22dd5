/**
 * The simulated network: per-message loss, duplication and random delay (which reorders), plus
 * directed link cuts. A symmetric partition cuts both directions; a deaf node has all incoming links cut
 * but can still send.
 */
import type { Message, NodeId } from '../../src-main/core/types';
import type { EventQueue } from './event-queue';
import type { SimRandom } from './sim-random';

export interface NetworkConditions {
  lossRate: number;
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const CALM_NETWORK: NetworkConditions = { lossRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 4 };

export class SimNetwork {
  conditions: NetworkConditions = { ...CALM_NETWORK };
  private readonly cut = new Set<string>();
  sent = 0;
  delivered = 0;

  constructor(
    private readonly events: EventQueue,
    private readonly random: SimRandom,
    private readonly deliver: (message: Message) => void,
  ) {}

  send(message: Message): void {
    this.sent++;
    if (!this.canReach(message.from, message.to)) return;
    const copies = this.random.chance(this.conditions.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.events.schedule(this.delayMs(), () => {
        this.delivered++;
        this.deliver(message);
      });
    }
  }

  /** Whether a message from `from` to `to` would currently pass the link cuts and loss. */
  canReach(from: NodeId, to: NodeId): boolean {
    return !this.cut.has(link(from, to)) && !this.random.chance(this.conditions.lossRate);
  }

  delayMs(): number {
    return this.random.between(this.conditions.minDelayMs, this.conditions.maxDelayMs);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(link(from, to));
  }

  /** Splits the members into two sides that cannot talk to each other. */
  partition(sideA: readonly NodeId[], sideB: readonly NodeId[]): void {
    for (const a of sideA) {
      for (const b of sideB) {
        this.cutLink(a, b);
        this.cutLink(b, a);
      }
    }
  }

  /** `node` can send but receives nothing. */
  deafen(node: NodeId, members: readonly NodeId[]): void {
    for (const other of members) if (other !== node) this.cutLink(other, node);
  }

  heal(): void {
    this.cut.clear();
  }

  get cutLinks(): number {
    return this.cut.size;
  }
}

function link(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}
