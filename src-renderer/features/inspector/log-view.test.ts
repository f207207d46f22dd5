import { describe, expect, it, vi } from 'vitest';
import type { LogArgs, NodeStatus } from '../../../shared/api';
import { FakeApi, makeStatus } from '../../../test/support/renderer/fake-api';
import { fakeLogPage } from '../../../test/support/renderer/fake-log';
import { LogView, MAX_PAGES, PAGE_SIZE, REFETCH_MIN_INTERVAL_MS, ROW_HEIGHT, pageOf } from './log-view.svelte';

function setup(options: { firstSlot?: number; newest?: number; accepted?: number } = {}) {
  const log = { firstSlot: options.firstSlot ?? 1, newest: options.newest ?? 100_000, commitIndex: 0, accepted: options.accepted ?? 0 };
  log.commitIndex = log.newest - log.accepted;
  const api = new FakeApi();
  api.override.log = async (args: LogArgs | undefined) => fakeLogPage(args, log);
  const status: NodeStatus = makeStatus({ commitIndex: log.commitIndex, compactedThrough: log.firstSlot - 1 });
  let clock = 1_000_000;
  const view = new LogView(
    () => ({ api, status }),
    () => clock,
  );
  return {
    api,
    view,
    log,
    advance: (ms: number) => {
      clock += ms;
    },
    logCalls: () => api.callsOf('log') as (LogArgs | undefined)[],
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('LogView', () => {
  it('knows the log size and renders a window of rows around the scroll position', () => {
    const { view } = setup({ firstSlot: 501, newest: 10_500 });
    expect(view.firstSlot).toBe(501);
    expect(view.lastSlot).toBe(10_500);
    expect(view.total).toBe(10_000);

    view.setFollow(false);
    view.onScroll(100 * ROW_HEIGHT);
    expect(view.rows[0]?.slot).toBe(501 + 100 - 8);
    expect(view.rows.length).toBeLessThan(40);
    expect(view.wantedPages).toEqual([pageOf(593), pageOf(view.rows.at(-1)?.slot ?? 0)].filter((key, i, all) => all.indexOf(key) === i));
  });

  it('follows the newest slot until the user scrolls away', () => {
    const { view } = setup({ newest: 1_000 });
    expect(view.follow).toBe(true);
    expect(view.rows.at(-1)?.slot).toBe(1_000);
    view.onScroll(view.maxScrollTop);
    expect(view.follow).toBe(true);
    // The grid's own end (it may lag the model's by a moment) decides whether the user left the end.
    view.onScroll(view.maxScrollTop - 5 * ROW_HEIGHT, view.maxScrollTop - 5 * ROW_HEIGHT);
    expect(view.follow).toBe(true);
    view.onScroll(0);
    expect(view.follow).toBe(false);
    expect(view.rows[0]?.slot).toBe(1);
  });

  it('keeps at most MAX_PAGES pages, evicting the least recently used', async () => {
    const { view } = setup();
    for (let key = 1; key <= MAX_PAGES + 10; key++) {
      view.sync([key], 0);
      await flush();
    }
    expect(view.cachedPages).toBe(MAX_PAGES);
    expect(view.entry((MAX_PAGES + 10) * PAGE_SIZE)?.slot).toBe((MAX_PAGES + 10) * PAGE_SIZE);
    expect(view.entry(PAGE_SIZE)).toBeUndefined();
  });

  it('fetches an unsettled page again when slots get chosen, a settled one never', async () => {
    const { view, logCalls, advance, log } = setup({ newest: 1_000, accepted: 5 });
    const tail = pageOf(1_000);
    view.sync([1, tail], 0);
    await flush();
    expect(logCalls()).toEqual([
      { from: 200, limit: 200 },
      { from: 1_000, limit: 200 },
    ]);
    expect(view.entry(1_000)?.status).toBe('accepted');

    log.accepted = 0;
    advance(REFETCH_MIN_INTERVAL_MS);
    view.sync([1, tail], 1);
    await flush();
    expect(logCalls().slice(2)).toEqual([{ from: 1_000, limit: 200 }]);
    expect(view.entry(1_000)?.status).toBe('chosen');
  });

  it('waits a little before fetching the same page again', async () => {
    vi.useFakeTimers();
    try {
      const { view, logCalls } = setup({ newest: 1_000, accepted: 5 });
      view.sync([pageOf(1_000)], 0);
      await vi.advanceTimersByTimeAsync(0);
      view.sync([pageOf(1_000)], 1);
      await vi.advanceTimersByTimeAsync(0);
      expect(logCalls()).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('explains jumps outside the log in words, and centers a jump inside it', () => {
    const { view } = setup({ firstSlot: 501, newest: 10_500 });
    expect(view.jumpTo(10)).toBe('Slot 10 was compacted into a snapshot: the log now starts at slot 501.');
    expect(view.jumpTo(20_000)).toBe('Slot 20000 is not in the log yet: the newest slot is 10500.');
    expect(view.jumpTo(0)).toBe('Enter a slot number: a whole number from 1 up.');
    expect(view.jumpTo(5_000)).toBeNull();
    expect(view.selectedSlot).toBe(5_000);
    expect(view.follow).toBe(false);
    expect(view.rows.some((row) => row.slot === 5_000)).toBe(true);
  });

  it('moves the keyboard cursor within the log and scrolls it into view', () => {
    const { view } = setup({ newest: 1_000 });
    view.moveActiveTo('first');
    expect(view.activeSlot).toBe(1);
    view.moveActive(-5);
    expect(view.activeSlot).toBe(1);
    view.moveActive(300);
    expect(view.activeSlot).toBe(301);
    expect(view.rows.some((row) => row.slot === 301)).toBe(true);
    view.selectActive();
    expect(view.selectedSlot).toBe(301);
    view.moveActiveTo('last');
    expect(view.activeSlot).toBe(1_000);
  });
});
