/**
 * The "This node" card's state: who this node is, where it stands in its cluster (NodeState), and
 * renaming it (NameState; the desktop app only: a headless node takes its name from its command line
 * and the card shows why).
 */
import type { MembershipView, NodeConfig } from '../../../shared/api';
import type { Session } from '../../app/session.svelte';
import { ConfigEdit } from './config-edit.svelte';
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

export interface NodeFacts {
  readonly id: string;
  readonly name: string;
  readonly address: string;
}

export class NodeState {
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
}

export class NameState extends ConfigEdit<string> {
  constructor(session: Session) {
    super(session, {
      current: (config) => config.name,
      problem: nameProblem,
      parse: (draft) => draft.trim(),
      update: (name) => ({ name }),
    });
  }
}
