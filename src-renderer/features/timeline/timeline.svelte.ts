/**
 * The Timeline page's state: the compose draft and its live verdict, the tweets this page sent that the
 * timeline does not show yet, and the timeline itself (newest first, paged with `before`).
 *
 * Invariants:
 * - an outgoing tweet is listed from the moment it is submitted until the timeline holds its id;
 *   `sending` until tweet() answers, then `final` (with its slot) or `queued` (no quorum answered in
 *   time: the node keeps the command and chooses it exactly once later);
 * - a failed tweet leaves the list and its text goes back into the compose box, never lost;
 * - reloads fetch as many entries as are shown, and only the latest reload's answer is used.
 */
import { ApiError, type TimelineEntry } from '../../../shared/api';
import { describeError, type Session } from '../../app/session.svelte';
import { prepareTweet } from './tweet-text';

export const PAGE_SIZE = 50;
export const MAX_PAGE = 500;

export type OutgoingState = 'sending' | 'final' | 'queued';

export interface OutgoingTweet {
  /** Local key, stable for the list. */
  readonly key: number;
  readonly text: string;
  /** When it was submitted (ms). */
  readonly at: number;
  readonly state: OutgoingState;
  /** The command id, once the node told it. */
  readonly id: string | null;
  readonly slot: number | null;
}

function sameOrOlder(a: TimelineEntry, b: TimelineEntry): number {
  return b.slot - a.slot || b.position - a.position;
}

export class TimelineState {
  draft = $state('');
  readonly prepared = $derived(prepareTweet(this.draft));
  readonly canSubmit = $derived(this.prepared.problem === null);
  submitError = $state<string | null>(null);

  entries = $state.raw<readonly TimelineEntry[]>([]);
  outgoing = $state.raw<readonly OutgoingTweet[]>([]);
  /** Outgoing tweets the timeline does not hold yet, newest first. */
  readonly shownOutgoing = $derived(this.outgoing.filter((tweet) => !this.#holds(tweet)));
  loaded = $state(false);
  loadError = $state<string | null>(null);
  hasMore = $state(false);
  loadingOlder = $state(false);

  #generation = 0;
  #nextKey = 1;

  constructor(private readonly session: Session) {}

  /** Fetches the newest entries again (as many as are shown, at least a page). */
  async reload(): Promise<void> {
    const generation = ++this.#generation;
    const limit = Math.min(MAX_PAGE, Math.max(PAGE_SIZE, this.entries.length));
    try {
      const page = await this.session.api.timeline({ limit });
      if (generation !== this.#generation) return;
      this.entries = page;
      this.hasMore = page.length === limit;
      this.loadError = null;
      this.#forgetPublished();
    } catch (error) {
      if (generation === this.#generation) this.loadError = `The timeline could not be loaded: ${describeError(error)}`;
    } finally {
      if (generation === this.#generation) this.loaded = true;
    }
  }

  /** Appends the page of entries older than the last one shown. */
  async loadOlder(): Promise<void> {
    const last = this.entries.at(-1);
    if (last === undefined || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      const page = await this.session.api.timeline({ limit: PAGE_SIZE, before: { slot: last.slot, position: last.position } });
      const shown = this.entries;
      this.entries = [...shown, ...page.filter((entry) => !shown.some((e) => e.id === entry.id))].sort(sameOrOlder);
      this.hasMore = page.length === PAGE_SIZE;
      this.loadError = null;
    } catch (error) {
      this.loadError = `Older tweets could not be loaded: ${describeError(error)}`;
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Sends the draft as a tweet; the draft is cleared at once and restored if the tweet fails. */
  async submit(): Promise<void> {
    const prepared = this.prepared;
    if (prepared.problem !== null) return;
    const key = this.#nextKey++;
    this.outgoing = [{ key, text: prepared.text, at: Date.now(), state: 'sending', id: null, slot: null }, ...this.outgoing];
    this.draft = '';
    this.submitError = null;
    try {
      const receipt = await this.session.api.tweet({ text: prepared.text });
      this.#update(key, { state: 'final', id: receipt.id, slot: receipt.slot });
    } catch (error) {
      // `pending`: no quorum in time; `unavailable` with an id: the node stopped meanwhile. Either way
      // the command is queued at the node (and on its disk) and will be chosen exactly once.
      if (error instanceof ApiError && error.id !== undefined && (error.code === 'pending' || error.code === 'unavailable')) {
        this.#update(key, { state: 'queued', id: error.id });
        return;
      }
      this.outgoing = this.outgoing.filter((tweet) => tweet.key !== key);
      this.draft = this.draft.trim() === '' ? prepared.text : `${prepared.text}\n${this.draft}`;
      this.submitError = `Your tweet was not sent: ${describeError(error)}`;
    }
  }

  #update(key: number, change: Partial<OutgoingTweet>): void {
    this.outgoing = this.outgoing.map((tweet) => (tweet.key === key ? { ...tweet, ...change } : tweet));
    this.#forgetPublished();
  }

  /** Outgoing tweets the timeline now holds are shown from the timeline, with their slot. */
  #forgetPublished(): void {
    if (this.outgoing.some((tweet) => this.#holds(tweet))) this.outgoing = this.outgoing.filter((tweet) => !this.#holds(tweet));
  }

  /** Whether the timeline holds `tweet` (matched by command id). */
  #holds(tweet: OutgoingTweet): boolean {
    return tweet.id !== null && this.entries.some((entry) => entry.id === tweet.id);
  }
}
