/**
 * The "This node" card's state: who this node is, where it stands in its cluster, and renaming it (the
 * desktop app only: a headless node takes its name from its command line and the card shows why).
 *
 * Invariant: the name's field error shows only after the user tried to save, then follows the field live.
 */
import type { MembershipView, NodeConfig } from '../../../shared/api';
import { describeError, type Session } from '../../app/session.svelte';
import { nameProblem } from './form-checks';

/**
 * Where this node stands: `unknown` before the first status, `joining` while it does not know the
 * members yet, then in the configuration (`member`) or outside it (removed, or not added yet).
 */
export type Standing = 'unknown' | 'joining' | 'member' | 'outside';

export function standingOf(membership: MembershipView | null): Standing {
  if (membership === null) return 'unknown';
  if (membership.members === null) return 'joining';
  return membership.isMember ? 'member' : 'outside';
}

/** What the last save did; the card puts it in words. */
export type NameOutcome =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'saved'; readonly name: string }
  | { readonly kind: 'failed'; readonly reason: string };

export interface NodeFacts {
  readonly id: string;
  readonly name: string;
  readonly address: string;
}

export class NodeState {
  draft = $state('');
  showError = $state(false);
  readonly error = $derived(this.showError ? nameProblem(this.draft) : null);
  saving = $state(false);
  outcome = $state.raw<NameOutcome | null>(null);

  /**
   * Id and name from the configuration when it came (it is what a rename changes), the address from the
   * status (it follows a port change at once); each falls back on the other until both are known.
   */
  readonly facts = $derived.by((): NodeFacts => {
    const config = this.config();
    const status = this.session.status;
    return {
      id: config?.id ?? status?.id ?? '…',
      name: config?.name ?? status?.name ?? '…',
      address: status?.address ?? config?.address ?? '…',
    };
  });

  readonly standing = $derived.by(() => standingOf(this.session.status?.membership ?? null));

  constructor(
    private readonly session: Session,
    /** The page's copy of the configuration (null until loaded). */
    private readonly config: () => NodeConfig | null,
  ) {}

  /** Shows `name` in the field, as the node has it now. */
  reset(name: string): void {
    this.draft = name;
    this.showError = false;
  }

  /** Renames this node; the new configuration, or null when nothing was saved. */
  async save(): Promise<NodeConfig | null> {
    const config = this.config();
    if (config === null || this.saving) return null;
    this.showError = true;
    this.outcome = null;
    if (nameProblem(this.draft) !== null) return null;
    const name = this.draft.trim();
    if (name === config.name) {
      this.outcome = { kind: 'unchanged' };
      return null;
    }
    this.saving = true;
    try {
      const updated = await this.session.api.updateConfig({ name });
      this.outcome = { kind: 'saved', name };
      void this.session.refreshStatus();
      return updated;
    } catch (error) {
      this.outcome = { kind: 'failed', reason: describeError(error) };
      return null;
    } finally {
      this.saving = false;
    }
  }
}
