import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogArgs } from '../../../shared/api';
import { Session } from '../../app/session.svelte';
import { FakeApi, makeRecovery, makeStatus } from '../../../test/support/renderer/fake-api';
import InspectorPage from './InspectorPage.svelte';
import { BALLOT, fakeLogPage } from '../../../test/support/renderer/fake-log';
import { ROW_HEIGHT } from './log-view.svelte';

const SLOTS = 100_000;

let api: FakeApi;
let session: Session;
const log = { firstSlot: 1, newest: SLOTS, commitIndex: SLOTS - 3, accepted: 3 };

beforeEach(async () => {
  api = new FakeApi();
  api.statusValue = makeStatus({
    id: 'alice',
    role: 'follower',
    leader: 'bob',
    ballot: BALLOT,
    promised: { round: 8, node: 'cyd' },
    commitIndex: SLOTS - 3,
    appliedIndex: SLOTS - 5,
    compactedThrough: 0,
    elections: [
      { at: Date.UTC(2025, 0, 1, 10, 0, 0), leader: 'alice', ballot: { round: 2, node: 'alice' } },
      { at: Date.UTC(2025, 0, 1, 11, 0, 0), leader: null, ballot: { round: 5, node: 'cyd' } },
      { at: Date.UTC(2025, 0, 1, 12, 0, 0), leader: 'bob', ballot: BALLOT },
    ],
  });
  api.override.log = async (args: LogArgs | undefined) => fakeLogPage(args, log);
  session = new Session(api);
  await session.refreshStatus();
});

function grid(): HTMLElement {
  return screen.getByRole('grid', { name: 'Replicated log' });
}

function renderedSlots(): number[] {
  return within(grid())
    .getAllByRole('row')
    .map((row) => row.dataset['slot'])
    .filter((slot): slot is string => slot !== undefined)
    .map(Number);
}

function row(slot: number): HTMLElement {
  const found = grid().querySelector<HTMLElement>(`[data-slot="${slot}"]`);
  if (found === null) throw new Error(`slot ${slot} is not rendered`);
  return found;
}

async function scrollTo(top: number): Promise<void> {
  grid().scrollTop = top;
  await fireEvent.scroll(grid());
}

describe('InspectorPage', () => {
  it('summarizes promise, leader, indexes, compaction point and elections (newest first)', async () => {
    render(InspectorPage, { session });

    const summary = screen.getByRole('region', { name: 'Consensus state' });
    expect(within(summary).getByText('Promised ballot').nextElementSibling?.textContent).toBe('8.cyd');
    expect(within(summary).getByText('Leader').nextElementSibling?.textContent).toBe('bob');
    expect(within(summary).getByText('Leader ballot').nextElementSibling?.textContent).toBe('7.bob');
    expect(within(summary).getByText('Commit index').nextElementSibling?.textContent).toBe((99_997).toLocaleString());
    expect(within(summary).getByText('Applied index').nextElementSibling?.textContent).toBe((99_995).toLocaleString());
    expect(within(summary).getByText('First retained slot').nextElementSibling?.textContent).toBe('1');

    const elections = within(screen.getByRole('list', { name: 'Elections, newest first' })).getAllByRole('listitem');
    const texts = elections.map((item) => item.textContent?.replace(/\s+/g, ' ').trim() ?? '');
    expect(texts).toHaveLength(3);
    expect(texts[0]).toContain('bob leads at ballot 7.bob');
    expect(texts[1]).toContain('no leader known at ballot 5.cyd');
    expect(texts[2]).toContain('alice leads at ballot 2.alice');
    expect(elections[0]?.querySelector('time')?.getAttribute('datetime')).toBe('2025-01-01T12:00:00.000Z');
  });

  it('renders only a few dozen of 100,000 rows and follows the newest slot', async () => {
    render(InspectorPage, { session });

    await vi.waitFor(() => expect(within(row(99_999)).getByText('tweet by ann: hello from slot 99999')).toBeTruthy());
    expect(grid().getAttribute('aria-rowcount')).toBe(String(SLOTS + 1));
    const slots = renderedSlots();
    expect(slots.length).toBeGreaterThan(5);
    expect(slots.length).toBeLessThanOrEqual(40);
    expect(Math.max(...slots)).toBe(SLOTS);
    expect(row(SLOTS).getAttribute('aria-rowindex')).toBe(String(SLOTS + 1));
    expect(within(row(SLOTS)).getByText('accepted')).toBeTruthy();
    expect(within(row(SLOTS)).getByText('no-op')).toBeTruthy();
    expect(within(row(99_990)).getByText('no-op')).toBeTruthy();
    expect(within(row(99_995)).getByText('chosen')).toBeTruthy();
    expect(within(row(99_995)).getByText('7.bob')).toBeTruthy();
    expect(within(row(99_995)).getByText('3 commands')).toBeTruthy();
    expect((screen.getByRole('checkbox', { name: 'Follow new slots' }) as HTMLInputElement).checked).toBe(true);
    // Only the pages under the visible rows were fetched (plus the initial look at the newest slots).
    expect(api.callsOf('log').length).toBeLessThanOrEqual(3);
  });

  it("shows where this node got each chosen slot since it started (the recovery's From column)", async () => {
    api.statusValue = { ...api.statusValue, recovery: makeRecovery({ checkpointSlot: 99_990, checkpointBytes: 1, journalRecords: 2, replayedSlots: [99_991, 99_993], learnedFromPeers: [99_994, 99_995], caughtUp: true }) };
    await session.refreshStatus();
    render(InspectorPage, { session });
    await vi.waitFor(() => expect(within(row(99_995)).getByText('from peers')).toBeTruthy());
    expect(within(row(99_995)).getByText('from peers').getAttribute('title')).toMatch(/while this node was away/);
    expect(within(row(99_992)).getByText('journal')).toBeTruthy();
    expect(within(row(99_989)).getByText('checkpoint')).toBeTruthy();
    expect(within(row(99_990)).getByText('checkpoint')).toBeTruthy(); // a chosen no-op came from somewhere too
    // Not chosen yet: nowhere to come from.
    expect(within(row(SLOTS)).queryByText('live')).toBeNull();
  });

  it('renders other slots when scrolled, fetching their page on demand', async () => {
    render(InspectorPage, { session });

    await scrollTo(50_000 * ROW_HEIGHT);

    await vi.waitFor(() => expect(within(row(50_003)).getByText(/hello from slot 50003/)).toBeTruthy());
    const slots = renderedSlots();
    expect(slots.length).toBeLessThanOrEqual(40);
    expect(Math.min(...slots)).toBeGreaterThan(49_980);
    expect(Math.max(...slots)).toBeLessThan(50_040);
    expect(row(50_003).getAttribute('aria-rowindex')).toBe('50004');
    expect(api.callsOf('log')).toContainEqual({ from: 50_000, limit: 200 });
    // Scrolling up stopped following.
    expect((screen.getByRole('checkbox', { name: 'Follow new slots' }) as HTMLInputElement).checked).toBe(false);

    await scrollTo(0);
    await vi.waitFor(() => expect(within(row(1)).getByText('tweet by ann: hello from slot 1')).toBeTruthy());
    expect(renderedSlots().length).toBeLessThanOrEqual(40);
  });

  it('jumps to a slot, selects it and shows its commands in the detail pane', async () => {
    render(InspectorPage, { session });

    await fireEvent.input(screen.getByLabelText('Jump to slot'), { target: { value: '12348' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Jump' }));

    await vi.waitFor(() => expect(row(12_348).getAttribute('aria-selected')).toBe('true'));
    const detail = screen.getByRole('region', { name: 'Slot 12348' });
    await vi.waitFor(() => expect(within(detail).getAllByRole('listitem')).toHaveLength(3));
    const [block, register] = within(detail).getAllByRole('listitem');
    expect(block?.textContent).toContain('cyd/12348');
    expect(block?.textContent).toContain('block');
    expect(block?.textContent).toContain('Targetbob');
    expect(block?.querySelector('time')?.getAttribute('datetime')).toBe(new Date(1_700_000_012_348).toISOString());
    expect(register?.textContent).toContain('NameAnn');
    expect(register?.textContent).toContain('not recorded');
    expect(within(detail).getByText('Ballot').nextElementSibling?.textContent).toBe('7.bob');
    expect(within(row(12_348)).getByText('3 commands')).toBeTruthy();
  });

  it('shows membership changes in the log and the detail pane', async () => {
    api.statusValue = makeStatus({ commitIndex: 4, appliedIndex: 4 });
    api.override.log = async () => ({
      firstSlot: 1,
      commitIndex: 4,
      entries: [
        { slot: 1, status: 'chosen', ballot: BALLOT, commands: [] },
        { slot: 2, status: 'chosen', ballot: BALLOT, commands: [] },
        { slot: 3, status: 'chosen', ballot: BALLOT, commands: [{ id: 'alice/3', type: 'addMember', author: 'alice', target: 'cyd', address: '127.0.0.1:7403', at: null }] },
        { slot: 4, status: 'chosen', ballot: BALLOT, commands: [{ id: 'alice/4', type: 'removeMember', author: 'alice', target: 'bob', at: null }] },
      ],
    });
    session = new Session(api);
    await session.refreshStatus();
    render(InspectorPage, { session });

    await vi.waitFor(() => expect(within(row(3)).getByText('addMember cyd @ 127.0.0.1:7403')).toBeTruthy());
    expect(within(row(4)).getByText('removeMember bob')).toBeTruthy();

    await fireEvent.input(screen.getByLabelText('Jump to slot'), { target: { value: '3' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Jump' }));
    const detail = await screen.findByRole('region', { name: 'Slot 3' });
    await vi.waitFor(() => expect(within(detail).getByRole('listitem').textContent).toContain('New membercyd at 127.0.0.1:7403'));
    expect(within(detail).getByRole('listitem').textContent).toContain('addMember');
  });

  it('explains an out-of-range jump in words', async () => {
    render(InspectorPage, { session });
    await vi.waitFor(() => expect(grid().getAttribute('aria-rowcount')).toBe(String(SLOTS + 1)));

    await fireEvent.input(screen.getByLabelText('Jump to slot'), { target: { value: '200000' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Jump' }));

    expect(screen.getByRole('alert').textContent).toBe('Slot 200000 is not in the log yet: the newest slot is 100000.');
  });

  it('moves with the arrow keys and selects with Enter', async () => {
    render(InspectorPage, { session });
    await vi.waitFor(() => expect(within(row(99_999)).getByText('tweet by ann: hello from slot 99999')).toBeTruthy());

    await fireEvent.click(row(99_995));
    expect(row(99_995).getAttribute('aria-selected')).toBe('true');
    grid().focus();
    await fireEvent.keyDown(grid(), { key: 'ArrowUp' });
    await fireEvent.keyDown(grid(), { key: 'ArrowUp' });
    expect(grid().getAttribute('aria-activedescendant')).toBe(row(99_993).id);
    expect(row(99_995).getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(grid(), { key: 'Enter' });
    expect(row(99_993).getAttribute('aria-selected')).toBe('true');
    expect(row(99_995).getAttribute('aria-selected')).toBe('false');
    expect(screen.getByRole('region', { name: 'Slot 99993' }).textContent).toContain('hello from slot 99993');

    await fireEvent.keyDown(grid(), { key: 'Home' });
    await fireEvent.keyDown(grid(), { key: 'Enter' });
    await vi.waitFor(() => expect(row(1).getAttribute('aria-selected')).toBe('true'));
  });

  it('dims the loaded rows that do not match the status filter', async () => {
    render(InspectorPage, { session });
    await vi.waitFor(() => expect(within(row(99_999)).getByText('tweet by ann: hello from slot 99999')).toBeTruthy());

    await fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'noop' } });

    expect(screen.getByText('Non-matching loaded rows are dimmed, not hidden.')).toBeTruthy();
    expect(row(99_990).classList.contains('dim')).toBe(false);
    expect(row(99_991).classList.contains('dim')).toBe(true);

    await fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'accepted' } });
    expect(row(SLOTS).classList.contains('dim')).toBe(false);
    expect(row(99_991).classList.contains('dim')).toBe(true);

    await fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'all' } });
    expect(grid().querySelectorAll('.dim')).toHaveLength(0);
  });

  it('fetches unsettled pages again when slots get chosen', async () => {
    render(InspectorPage, { session });
    await vi.waitFor(() => expect(within(row(99_999)).getByText('accepted')).toBeTruthy());

    log.commitIndex = SLOTS;
    log.accepted = 0;
    session.receive({ type: 'chosen', fromSlot: SLOTS - 2, toSlot: SLOTS });

    await vi.waitFor(() => expect(within(row(99_999)).getByText('chosen')).toBeTruthy(), { timeout: 2_000 });
    expect(within(row(SLOTS)).getByText('no-op')).toBeTruthy();
    log.commitIndex = SLOTS - 3;
    log.accepted = 3;
  });

  it('keeps the newest slot in view while following', async () => {
    render(InspectorPage, { session });
    await vi.waitFor(() => expect(within(row(99_999)).getByText(/hello from slot 99999/)).toBeTruthy());

    log.newest = SLOTS + 2;
    log.commitIndex = SLOTS + 2;
    try {
      session.receive({ type: 'status', status: { ...api.statusValue, commitIndex: SLOTS + 2 } });
      session.receive({ type: 'chosen', fromSlot: SLOTS - 2, toSlot: SLOTS + 2 });

      await vi.waitFor(() => expect(within(row(SLOTS + 1)).getByText(/hello from slot 100001/)).toBeTruthy(), { timeout: 2_000 });
      expect(Math.max(...renderedSlots())).toBe(SLOTS + 2);
      expect(grid().getAttribute('aria-rowcount')).toBe(String(SLOTS + 3));
    } finally {
      log.newest = SLOTS;
      log.commitIndex = SLOTS - 3;
    }
  });

  it('says so when the log cannot be loaded', async () => {
    api.override.log = async () => {
      throw new Error('The node is not ready.');
    };
    render(InspectorPage, { session });

    expect((await screen.findByRole('alert')).textContent).toBe('Could not load the log: The node is not ready.');
  });
});
