/**
 * The Members card's state: the replicated members (and pending joiners) with their reachability, the
 * pending change, and removing a member: confirmed in the card, and a second time when the remaining
 * reachable members would be no majority (the cluster would stall).
 *
 * Invariants: at most one removal is being confirmed at a time; a forced removal is only ever sent after
 * the user confirmed, in words, that the cluster will stop accepting tweets.
 */
import { ApiError } from '../../../shared/api';
import { currentMembers, membersOf, pendingChangeOf, removalOutlook, type Member, type PendingChange, type RemovalOutlook } from '../../app/membership';
import { describeError, type Session } from '../../app/session.svelte';

/**
 * A removal being confirmed. `confirm`: the plain "are you sure"; `stall`: the remaining reachable
 * members are no majority (the card saw it, or the node answered needs-confirmation), confirming
 * sends it with force.
 */
export interface Removal {
  readonly id: string;
  readonly step: 'confirm' | 'stall';
  /** The node's own words when it asked for consent, else null. */
  readonly reason: string | null;
}

/** Why a member cannot be removed now: the card disables its Remove button and says why. */
export type RemoveBlock = { readonly kind: 'last-member' } | { readonly kind: 'change-pending'; readonly fromSlot: number };

export function describeRemoveBlock(id: string, block: RemoveBlock): string {
  switch (block.kind) {
    case 'last-member':
      return `${id} is the last member: a cluster needs at least one.`;
    case 'change-pending':
      return `One change at a time: wait until slot ${block.fromSlot}, when the pending change takes effect.`;
  }
}

/** What the last confirmed removal came to; the card puts it in words. */
export type RemovalOutcome =
  | { readonly kind: 'chosen'; readonly id: string; readonly itself: boolean; readonly slot: number; readonly effectiveSlot: number }
  | { readonly kind: 'failed'; readonly id: string; readonly reason: string };

export class MembersState {
  /** The replicated members (and pending joiners), this node first when it is one. */
  readonly members = $derived.by((): Member[] => {
    const status = this.session.status;
    return status === null ? [] : membersOf(status).filter((m) => m.standing !== 'outside');
  });
  readonly pending = $derived.by((): PendingChange | null => {
    const status = this.session.status;
    return status === null ? null : pendingChangeOf(status);
  });
  removal = $state.raw<Removal | null>(null);
  removing = $state(false);
  outcome = $state.raw<RemovalOutcome | null>(null);

  constructor(private readonly session: Session) {}

  /** Why `id` cannot be removed now, or null when it can. */
  removeBlocked(id: string): RemoveBlock | null {
    const current = currentMembers(this.members);
    if (current.length === 1 && current[0]?.id === id) return { kind: 'last-member' };
    if (this.pending !== null) return { kind: 'change-pending', fromSlot: this.pending.fromSlot };
    return null;
  }

  /** What removing `id` would leave, as this node sees reachability now. */
  outlook(id: string): RemovalOutlook {
    return removalOutlook(this.members, id);
  }

  askRemove(id: string): void {
    if (this.removeBlocked(id) !== null) return;
    this.removal = { id, step: 'confirm', reason: null };
    this.outcome = null;
  }

  cancelRemove(): void {
    this.removal = null;
  }

  /** The user confirmed the removal on screen: sends it, or asks again first when the cluster would stall. */
  async confirmRemove(): Promise<void> {
    const removal = this.removal;
    if (removal === null || this.removing) return;
    if (removal.step === 'confirm' && this.outlook(removal.id).stalls) {
      this.removal = { ...removal, step: 'stall' };
      return;
    }
    const force = removal.step === 'stall';
    this.removing = true;
    try {
      const receipt = await this.session.api.removeMember(force ? { id: removal.id, force: true } : { id: removal.id });
      this.removal = null;
      this.outcome = { kind: 'chosen', id: removal.id, itself: removal.id === this.session.status?.id, slot: receipt.slot, effectiveSlot: receipt.effectiveSlot };
      void this.session.refreshStatus();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'needs-confirmation' && !force) {
        this.removal = { ...removal, step: 'stall', reason: error.message };
      } else {
        this.removal = null;
        this.outcome = { kind: 'failed', id: removal.id, reason: describeError(error) };
      }
    } finally {
      this.removing = false;
    }
  }
}
