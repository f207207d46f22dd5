/**
 * The inspector's model of the replicated log: which slots exist, which rows are on screen, a bounded
 * cache of log pages fetched on demand, the selection, the keyboard cursor, the filter and "follow".
 *
 * Virtualization: every slot has a fixed-height row, so the scroll position alone says which slots are
 * visible; only those (plus an overscan) are rendered, and only their pages are fetched. Pages are
 * aligned to PAGE_SIZE slots and kept in an LRU cache of MAX_PAGES. A page that is complete (every slot
 * chosen, none missing) never changes again; any other page is fetched again when the session's
 * `chosenVersion` moves on (at most once per REFETCH_MIN_INTERVAL_MS).
 */
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import type { LogEntryView, NodeStatus, SynodApi } from '../../../shared/api';
import { describeError } from '../../app/session.svelte';
import type { StatusFilter } from './format';

export const PAGE_SIZE = 200;
export const MAX_PAGES = 50;
/** Row height in px (the header row too); the grid's CSS takes it from a custom property. */
export const ROW_HEIGHT = 32;
/** Rows rendered above and below the visible ones. */
export const OVERSCAN = 8;
/** Used until the grid is measured (and in environments without layout). */
export const DEFAULT_VIEWPORT_HEIGHT = 480;
export const REFETCH_MIN_INTERVAL_MS = 250;

/** What the log view needs from the session. */
export interface LogSource {
  readonly api: SynodApi;
  readonly status: NodeStatus | null;
}

interface CachedPage {
  /** Contiguous slots, ascending. */
  readonly entries: readonly LogEntryView[];
  /** The chosenVersion when it was requested. */
  readonly version: number;
  readonly fetchedAt: number;
  /** Full and all chosen: it will not change any more. */
  readonly settled: boolean;
}

export interface LogRow {
  /** 0-based position in the log (slot − firstSlot). */
  readonly index: number;
  readonly slot: number;
  /** Undefined while its page is loading. */
  readonly entry: LogEntryView | undefined;
}

export function pageOf(slot: number): number {
  return Math.floor(slot / PAGE_SIZE);
}

export class LogView {
  scrollTop = $state(0);
  viewportHeight = $state(DEFAULT_VIEWPORT_HEIGHT);
  selectedSlot = $state<number | null>(null);
  /** The keyboard cursor (moved by the arrow keys, selected with Enter). */
  activeSlot = $state<number | null>(null);
  filter = $state<StatusFilter>('all');
  /** Keep the newest slot in view as slots get chosen. */
  follow = $state(true);
  /** Why the log could not be loaded, in words. */
  error = $state<string | null>(null);

  /** Highest slot seen in a page (may be beyond the commit index: accepted, not yet known chosen). */
  readonly #source: () => LogSource;
  readonly #now: () => number;
  #maxSeen = $state(0);
  /** First retained slot as the last page said. */
  #firstSeen = $state(1);
  readonly #pages = new SvelteMap<number, CachedPage>();
  readonly #inflight = new SvelteSet<number>();
  /** LRU order of the cached pages; bookkeeping only, nothing renders it. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- deliberately not reactive
  readonly #lastUsed = new Map<number, number>();
  #useTick = 0;
  #wanted: readonly number[] = [];
  #version = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #disposed = false;
  constructor(source: () => LogSource, now: () => number = Date.now) {
    this.#source = source;
    this.#now = now;
  }

  readonly firstSlot = $derived.by(() => Math.max(this.#firstSeen, (this.#source().status?.compactedThrough ?? 0) + 1));
  readonly lastSlot = $derived.by(() => Math.max(this.#maxSeen, this.#source().status?.commitIndex ?? 0));
  readonly total = $derived(Math.max(0, this.lastSlot - this.firstSlot + 1));
  /** Height of the rows' part of the viewport (the header row is sticky on top). */
  readonly bodyHeight = $derived(Math.max(ROW_HEIGHT, this.viewportHeight - ROW_HEIGHT));
  readonly maxScrollTop = $derived(Math.max(0, this.total * ROW_HEIGHT - this.bodyHeight));
  /** Where the grid should be scrolled: the end while following, else where the user left it. */
  readonly effectiveScrollTop = $derived(this.follow ? this.maxScrollTop : Math.min(Math.max(0, this.scrollTop), this.maxScrollTop));
  /** Rows per screenful (for Page Up / Page Down). */
  readonly pageRows = $derived(Math.max(1, Math.floor(this.bodyHeight / ROW_HEIGHT) - 1));

  /** Row indexes rendered: [start, end). */
  readonly window = $derived.by(() => {
    const top = this.effectiveScrollTop;
    const first = Math.floor(top / ROW_HEIGHT);
    const last = Math.ceil((top + this.bodyHeight) / ROW_HEIGHT);
    return { start: Math.max(0, first - OVERSCAN), end: Math.min(this.total, last + OVERSCAN) };
  });

  readonly rows: readonly LogRow[] = $derived.by(() => {
    const rows: LogRow[] = [];
    for (let index = this.window.start; index < this.window.end; index++) {
      const slot = this.firstSlot + index;
      rows.push({ index, slot, entry: this.entry(slot) });
    }
    return rows;
  });

  /** The pages the screen needs: those under the rendered rows, and the selected slot's. */
  readonly wantedPages: readonly number[] = $derived.by(() => {
    const keys: number[] = [];
    if (this.window.end > this.window.start) {
      const from = pageOf(this.firstSlot + this.window.start);
      const to = pageOf(this.firstSlot + this.window.end - 1);
      for (let key = from; key <= to; key++) keys.push(key);
    }
    const selected = this.selectedSlot === null ? null : pageOf(this.selectedSlot);
    if (selected !== null && !keys.includes(selected)) keys.push(selected);
    return keys;
  });

  readonly loading = $derived(this.#inflight.size > 0);
  readonly selectedEntry = $derived(this.selectedSlot === null ? undefined : this.entry(this.selectedSlot));
  readonly cachedPages = $derived(this.#pages.size);

  /** The slot's entry if its page is loaded. */
  entry(slot: number): LogEntryView | undefined {
    const page = this.#pages.get(pageOf(slot));
    const first = page?.entries[0];
    if (page === undefined || first === undefined) return undefined;
    const entry = page.entries[slot - first.slot];
    return entry?.slot === slot ? entry : undefined;
  }

  /** Learns where the log starts and ends (the newest page); returns the function that stops everything. */
  start(): () => void {
    void this.#loadTail();
    return () => this.dispose();
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Fetches the wanted pages that are missing or out of date (given the session's chosenVersion). */
  sync(wanted: readonly number[], version: number): void {
    if (this.#disposed) return;
    this.#wanted = wanted;
    this.#version = version;
    for (const key of wanted) this.#lastUsed.set(key, ++this.#useTick);
    for (const key of wanted) {
      if (this.#needsFetch(key)) void this.#fetch(key);
    }
  }

  /**
   * The grid was scrolled (by the user, or to where we asked). Scrolling away from the end stops
   * following; `domMaxScrollTop` (where the grid's own end is, when it has a layout) is the judge, as
   * the model's idea of the end may be a moment ahead of the DOM or of the last measurement.
   */
  onScroll(top: number, domMaxScrollTop?: number): void {
    const end = domMaxScrollTop ?? this.maxScrollTop;
    if (this.follow && top < end - ROW_HEIGHT) this.follow = false;
    this.scrollTop = top;
  }

  setFollow(on: boolean): void {
    if (on) this.follow = true;
    else this.#stopFollowing();
  }

  select(slot: number): void {
    if (!this.#inLog(slot)) return;
    this.#stopFollowing();
    this.selectedSlot = slot;
    this.activeSlot = slot;
  }

  /** Moves the keyboard cursor by `delta` rows (clamped to the log) and keeps it in view. */
  moveActive(delta: number): void {
    if (this.total === 0) return;
    this.#stopFollowing();
    const from = this.activeSlot ?? this.selectedSlot;
    // The first move without a cursor lands on the first fully visible row.
    const target = from === null ? this.firstSlot + Math.min(this.total - 1, Math.ceil(this.scrollTop / ROW_HEIGHT)) : from + delta;
    this.activeSlot = Math.min(this.lastSlot, Math.max(this.firstSlot, target));
    this.#scrollIntoView(this.activeSlot);
  }

  moveActiveTo(edge: 'first' | 'last'): void {
    if (this.total === 0) return;
    this.#stopFollowing();
    this.activeSlot = edge === 'first' ? this.firstSlot : this.lastSlot;
    this.#scrollIntoView(this.activeSlot);
  }

  selectActive(): void {
    if (this.activeSlot === null) this.moveActive(0);
    if (this.activeSlot !== null) this.select(this.activeSlot);
  }

  /** Scrolls to and selects a slot; returns why it cannot, in words, or null. */
  jumpTo(slot: number): string | null {
    if (!Number.isInteger(slot) || slot < 1) return 'Enter a slot number: a whole number from 1 up.';
    if (this.total === 0) return 'The log is empty: no slot has been accepted or chosen here yet.';
    if (slot < this.firstSlot) return `Slot ${slot} was compacted into a snapshot: the log now starts at slot ${this.firstSlot}.`;
    if (slot > this.lastSlot) return `Slot ${slot} is not in the log yet: the newest slot is ${this.lastSlot}.`;
    this.select(slot);
    const centered = (slot - this.firstSlot) * ROW_HEIGHT - (this.bodyHeight - ROW_HEIGHT) / 2;
    this.scrollTop = Math.min(this.maxScrollTop, Math.max(0, Math.round(centered)));
    return null;
  }

  #inLog(slot: number): boolean {
    return this.total > 0 && slot >= this.firstSlot && slot <= this.lastSlot;
  }

  /** Freezes the scroll position where following left it. */
  #stopFollowing(): void {
    if (!this.follow) return;
    this.scrollTop = this.maxScrollTop;
    this.follow = false;
  }

  #scrollIntoView(slot: number): void {
    const top = (slot - this.firstSlot) * ROW_HEIGHT;
    const current = this.effectiveScrollTop;
    if (top < current) this.scrollTop = top;
    else if (top + ROW_HEIGHT > current + this.bodyHeight) this.scrollTop = top + ROW_HEIGHT - this.bodyHeight;
  }

  #needsFetch(key: number): boolean {
    if (this.#inflight.has(key)) return false;
    const page = this.#pages.get(key);
    if (page === undefined) return true;
    if (page.settled || page.version >= this.#version) return false;
    const wait = page.fetchedAt + REFETCH_MIN_INTERVAL_MS - this.#now();
    if (wait <= 0) return true;
    this.#resyncIn(wait);
    return false;
  }

  #resyncIn(ms: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.sync(this.#wanted, this.#version);
    }, ms);
  }

  async #fetch(key: number): Promise<void> {
    const from = Math.max(key * PAGE_SIZE, this.firstSlot);
    const to = (key + 1) * PAGE_SIZE - 1;
    if (from > to) return;
    const version = this.#version;
    this.#inflight.add(key);
    try {
      const page = await this.#source().api.log({ from, limit: to - from + 1 });
      if (this.#disposed) return;
      this.#learn(page.firstSlot, page.entries.at(-1)?.slot ?? 0);
      const last = page.entries.at(-1);
      this.#pages.set(key, {
        entries: page.entries,
        version,
        fetchedAt: this.#now(),
        settled: last?.slot === to && page.entries.every((entry) => entry.status === 'chosen'),
      });
      this.#evict();
      this.error = null;
    } catch (error) {
      if (!this.#disposed) this.error = describeError(error);
      return;
    } finally {
      this.#inflight.delete(key);
    }
    // The session may have moved on while this page was in flight.
    this.sync(this.#wanted, this.#version);
  }

  async #loadTail(): Promise<void> {
    try {
      const page = await this.#source().api.log({ limit: PAGE_SIZE });
      if (this.#disposed) return;
      this.#learn(page.firstSlot, Math.max(page.commitIndex, page.entries.at(-1)?.slot ?? 0));
      this.error = null;
    } catch (error) {
      if (!this.#disposed) this.error = describeError(error);
    }
  }

  #learn(firstSlot: number, newest: number): void {
    if (firstSlot > this.#firstSeen) this.#firstSeen = firstSlot;
    if (newest > this.#maxSeen) this.#maxSeen = newest;
  }

  #evict(): void {
    while (this.#pages.size > MAX_PAGES) {
      let victim: number | undefined;
      let oldest = Infinity;
      for (const key of this.#pages.keys()) {
        if (this.#wanted.includes(key)) continue;
        const used = this.#lastUsed.get(key) ?? 0;
        if (used < oldest) {
          oldest = used;
          victim = key;
        }
      }
      if (victim === undefined) return;
      this.#pages.delete(victim);
      this.#lastUsed.delete(victim);
    }
  }
}
