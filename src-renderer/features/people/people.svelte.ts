/**
 * The People page's state: every registered user, which of them this node's user blocks, who blocks
 * it, and the block/unblock commands in flight (one per user at a time), with their outcome in words.
 */
import { SvelteSet } from 'svelte/reactivity';
import { ApiError, type UserView } from '../../../shared/api';
import { describeError, type Session } from '../../app/session.svelte';

export interface CommandOutcome {
  readonly kind: 'error' | 'queued';
  readonly message: string;
}

export class PeopleState {
  users = $state.raw<readonly UserView[]>([]);
  loaded = $state(false);
  loadError = $state<string | null>(null);
  /** Users with a block/unblock command in flight. */
  readonly busy = new SvelteSet<string>();
  /** The last command's outcome per user, when it needs words (failed or queued). */
  outcomes = $state.raw<Readonly<Record<string, CommandOutcome>>>({});

  readonly myId = $derived.by(() => this.session.status?.id ?? null);
  readonly me = $derived(this.users.find((user) => user.id === this.myId) ?? null);

  #generation = 0;

  constructor(private readonly session: Session) {}

  async reload(): Promise<void> {
    const generation = ++this.#generation;
    try {
      const users = await this.session.api.users();
      if (generation !== this.#generation) return;
      this.users = users;
      this.loadError = null;
    } catch (error) {
      if (generation === this.#generation) this.loadError = `The list of people could not be loaded: ${describeError(error)}`;
    } finally {
      if (generation === this.#generation) this.loaded = true;
    }
  }

  /** Whether this node's user blocks `id`. */
  blocks(id: string): boolean {
    return this.me?.blocks.includes(id) ?? false;
  }

  /** Whether `user` blocks this node's user. */
  blocksMe(user: UserView): boolean {
    return this.myId !== null && user.blocks.includes(this.myId);
  }

  async toggle(id: string): Promise<void> {
    if (this.busy.has(id)) return;
    const block = !this.blocks(id);
    this.busy.add(id);
    this.#setOutcome(id, null);
    try {
      await (block ? this.session.api.block({ user: id }) : this.session.api.unblock({ user: id }));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'pending') {
        this.#setOutcome(id, { kind: 'queued', message: `Queued: ${block ? 'blocking' : 'unblocking'} ${id} takes effect when enough peers are reachable.` });
      } else {
        this.#setOutcome(id, { kind: 'error', message: `Could not ${block ? 'block' : 'unblock'} ${id}: ${describeError(error)}` });
      }
    } finally {
      this.busy.delete(id);
    }
    await this.reload();
  }

  #setOutcome(id: string, outcome: CommandOutcome | null): void {
    const { [id]: _previous, ...rest } = this.outcomes;
    this.outcomes = outcome === null ? rest : { ...rest, [id]: outcome };
  }
}
