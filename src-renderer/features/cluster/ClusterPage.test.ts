import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type TraceMessage } from '../../../shared/api';
import { Session } from '../../app/session.svelte';
import { FakeApi, makeMembership, makePeerStatus, makeStatus } from '../../../test/support/renderer/fake-api';
import { stubReducedMotion } from '../../../test/support/renderer/reduced-motion';
import { tableRows } from '../../../test/support/renderer/table';
import ClusterPage from './ClusterPage.svelte';

let api: FakeApi;
let session: Session;

beforeEach(async () => {
  stubReducedMotion(false);
  api = new FakeApi();
  api.statusValue = makeStatus({
    id: 'alice',
    role: 'follower',
    leader: 'bob',
    commitIndex: 120,
    peers: [
      makePeerStatus({ id: 'bob', commitIndex: 121, lastHeardMs: 300 }),
      makePeerStatus({ id: 'carol', reachable: false, commitIndex: null, lastHeardMs: null }),
    ],
  });
  session = new Session(api);
  await session.refreshStatus();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function message(overrides: Partial<TraceMessage>): TraceMessage {
  return { at: 1_000, direction: 'out', from: 'alice', to: 'bob', type: 'accept', slot: 7, ...overrides };
}

describe('ClusterPage', () => {
  it('lists the members with role, commit index and reachability', () => {
    render(ClusterPage, { session });

    expect(tableRows(screen.getByRole('table', { name: 'Members' }))).toEqual([
      ['alice (this node)', 'follower', 'member', '120', 'yes', '—'],
      ['bob', 'leader', 'member', '121', 'yes', 'just now'],
      ['carol', 'member', 'member', '?', 'no', 'never'],
    ]);
  });

  it('follows the replicated membership: a new member appears, marked while it joins, and a leaver is marked', () => {
    const { container } = render(ClusterPage, { session });
    const before = api.statusValue;
    const members = [...(before.membership.members ?? [])];
    const dave = { id: 'dave', address: '127.0.0.1:7403' };

    session.receive({
      type: 'status',
      status: { ...before, membership: { ...before.membership, pending: { members: [...members, dave], fromSlot: 130, changedAt: 66 } } },
    });
    flushSync();

    const table = screen.getByRole('table', { name: 'Members' });
    expect(tableRows(table).map((row) => [row[0], row[2]])).toEqual([
      ['alice (this node)', 'member'],
      ['bob', 'member'],
      ['carol', 'member'],
      ['dave', 'joins at slot 130'],
    ]);
    expect(screen.getByText(/dave joins at slot 130/).textContent).toContain('chosen at slot 66');
    const joining = container.querySelector('.member.joining');
    expect(joining?.textContent).toContain('dave');
    expect(joining?.textContent).toContain('joins at 130');
    expect(screen.getByRole('img', { name: 'Cluster members and the messages between them' }).querySelector('desc')?.textContent).toContain('dave, unreachable, joins at slot 130');

    // The change took effect (dave is heard from); then carol is removed.
    session.receive({
      type: 'status',
      status: {
        ...before,
        peers: [...before.peers, makePeerStatus({ id: 'dave', commitIndex: 131 })],
        membership: makeMembership('alice', [...members, dave], { pending: { members: [members[0]!, members[1]!, dave], fromSlot: 200, changedAt: 136 } }),
      },
    });
    flushSync();

    expect(tableRows(table).map((row) => [row[0], row[2], row[3]])).toEqual([
      ['alice (this node)', 'member', '120'],
      ['bob', 'member', '121'],
      ['carol', 'leaves at slot 200', '?'],
      ['dave', 'member', '131'],
    ]);
    expect(container.querySelector('.member.joining')).toBeNull();
    expect(container.querySelector('.member.leaving')?.textContent).toContain('carol');
    expect(container.querySelectorAll('.member')).toHaveLength(4);
    // A new member can be isolated like any other.
    expect(screen.getByRole('checkbox', { name: 'Isolate dave' })).toBeTruthy();
  });

  it('says so while this node joins and does not know the members yet', () => {
    render(ClusterPage, { session });
    session.receive({
      type: 'status',
      status: makeStatus({ peers: [], membership: makeMembership('alice', null, { joining: { contact: '10.0.0.9:7400', stage: 'contacting', message: 'Asking.' } }) }),
    });
    flushSync();

    expect(screen.getByText('This node is joining a cluster: it does not know the members yet.')).toBeTruthy();
    expect(tableRows(screen.getByRole('table', { name: 'Members' }))).toEqual([['alice (this node)', 'leader', 'not a member', '10', 'yes', '—']]);
  });

  it('draws the members on a circle, marking the leader and the unreachable', () => {
    const { container } = render(ClusterPage, { session });

    const picture = screen.getByRole('img', { name: 'Cluster members and the messages between them' });
    expect(picture.querySelector('desc')?.textContent).toContain('bob, leader, commit index 121');
    expect(picture.querySelector('desc')?.textContent).toContain('carol, unreachable, commit index unknown');
    const leader = container.querySelector('.member.leader');
    expect(leader?.textContent).toContain('bob');
    expect(leader?.textContent).toContain('leader');
    expect(leader?.querySelector('.leader-ring')).not.toBeNull();
    const down = container.querySelector('.member.unreachable');
    expect(down?.textContent).toContain('carol');
    expect(down?.textContent).toContain('unreachable');
    expect(down?.textContent).toContain('commit ?');
    expect(container.querySelector('.member.self')?.textContent).toContain('commit 120');
  });

  it('shows the faults in effect and applies new ones with the right arguments', async () => {
    render(ClusterPage, { session });
    expect(await screen.findByText('No faults: messages flow normally.')).toBeTruthy();

    const faults = screen.getByRole('group', { name: 'Inject faults' });
    await fireEvent.input(within(faults).getByLabelText('Message drop rate'), { target: { value: '25' } });
    expect(within(faults).getByText('25 %')).toBeTruthy();
    await fireEvent.input(within(faults).getByLabelText('Extra delay (ms)'), { target: { value: '150' } });
    await fireEvent.click(within(faults).getByRole('checkbox', { name: 'Isolate carol' }));
    await fireEvent.click(within(faults).getByRole('button', { name: 'Apply' }));

    expect(api.callsOf('setFaults')).toEqual([{ dropRate: 0.25, delayMs: 150, isolate: ['carol'] }]);
    const inEffect = await screen.findByRole('status', { name: 'In effect now' });
    await vi.waitFor(() => expect(inEffect.textContent).toContain('Dropping 25 % of messages'));
    expect(inEffect.textContent).toContain('Delaying every outgoing message by 150 ms.');
    expect(inEffect.textContent).toContain('Isolated from carol');

    await fireEvent.click(within(faults).getByRole('button', { name: 'Heal all' }));

    expect(api.callsOf('setFaults').at(-1)).toEqual({ dropRate: 0, delayMs: 0, isolate: [] });
    expect(await screen.findByText('No faults: messages flow normally.')).toBeTruthy();
    expect((within(faults).getByLabelText('Message drop rate') as HTMLInputElement).value).toBe('0');
    expect((within(faults).getByRole('checkbox', { name: 'Isolate carol' }) as HTMLInputElement).checked).toBe(false);
  });

  it('loads the faults already in effect', async () => {
    api.faultsValue = { dropRate: 0.1, delayMs: 0, isolate: ['bob'] };
    render(ClusterPage, { session });

    expect(await screen.findByText('Dropping 10 % of messages, in and out.')).toBeTruthy();
    expect((screen.getByRole('checkbox', { name: 'Isolate bob' }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Message drop rate') as HTMLInputElement).value).toBe('10');
  });

  it('says in words why faults could not be changed', async () => {
    api.override.setFaults = async () => {
      throw new ApiError({ code: 'unavailable', message: 'The node is shutting down.' });
    };
    render(ClusterPage, { session });

    await fireEvent.click(screen.getByRole('button', { name: 'Heal all' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The faults were not changed: The node is shutting down.');

    await fireEvent.input(screen.getByLabelText('Extra delay (ms)'), { target: { value: '20000' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(screen.getByRole('alert').textContent).toBe('The extra delay must be a whole number of milliseconds from 0 to 10,000.');
    expect(api.callsOf('setFaults')).toHaveLength(1);
  });

  it('charts throughput and commit latency from the history', () => {
    const at = 1_700_000_000_000;
    session.history = [
      { at, commitIndex: 10, commandsApplied: 100, commitLatencyMs: 12 },
      { at: at + 1_000, commitIndex: 20, commandsApplied: 120, commitLatencyMs: 14 },
      { at: at + 2_000, commitIndex: 30, commandsApplied: 150, commitLatencyMs: null },
      { at: at + 3_000, commitIndex: 40, commandsApplied: 155, commitLatencyMs: 8.25 },
    ];
    render(ClusterPage, { session });

    const throughput = screen.getByRole('img', { name: 'Throughput' });
    expect(throughput.querySelector('path.line')?.getAttribute('d')).toMatch(/^M[\d.]+ [\d.]+ L[\d.]+ [\d.]+ L[\d.]+ [\d.]+$/);
    expect(throughput.querySelector('desc')?.textContent).toBe('Throughput over the last 2 seconds: latest 5.0 commands/s, peak 30 commands/s, average 18 commands/s.');
    expect(throughput.closest('figure')?.querySelector('.latest')?.textContent).toBe('5.0 commands/s');
    expect(throughput.textContent).toContain('commands/s');

    const latency = screen.getByRole('img', { name: 'Commit latency' });
    // The null sample breaks the line in two.
    expect(latency.querySelector('path.line')?.getAttribute('d')?.match(/M/g)).toHaveLength(2);
    expect(latency.querySelector('desc')?.textContent).toContain('latest 8.3 ms');
  });

  it('sends a dot flying for each new message to or from this node', async () => {
    session.receive({ type: 'trace', messages: [message({ at: 500 })] });
    const { container } = render(ClusterPage, { session });
    expect(container.querySelectorAll('.dot')).toHaveLength(0); // history is not animated

    session.receive({
      type: 'trace',
      messages: [message({}), message({ from: 'bob', to: 'alice', type: 'accepted', direction: 'in' }), message({ type: 'commit', dropped: true }), message({ to: 'zed' })],
    });
    flushSync();

    const dots = [...container.querySelectorAll<SVGCircleElement>('.dot')];
    expect(dots.map((dot) => dot.dataset['kind'])).toEqual(['accept', 'accepted', 'commit']);
    expect(dots[2]?.classList.contains('dropped')).toBe(true);
    await vi.waitFor(() => expect(container.querySelector('.cross')).not.toBeNull(), { timeout: 2_000 });
    await vi.waitFor(() => expect(container.querySelectorAll('.dot')).toHaveLength(0), { timeout: 2_000 });
  });

  it('shows a list of recent messages instead of dots when motion is reduced', () => {
    stubReducedMotion(true);
    const { container } = render(ClusterPage, { session });

    session.receive({ type: 'trace', messages: [message({ slot: 42 }), message({ from: 'bob', to: 'alice', type: 'promise', ballot: { round: 3, node: 'alice' }, dropped: true })] });
    flushSync();

    expect(container.querySelectorAll('.dot')).toHaveLength(0);
    const recent = within(screen.getByRole('region', { name: 'Recent messages' })).getAllByRole('listitem');
    expect(recent).toHaveLength(2);
    expect(recent[0]?.textContent).toContain('bob → alice');
    expect(recent[0]?.textContent).toContain('dropped');
    expect(recent[0]?.textContent).toContain('ballot 3.alice'); // which election a vote belongs to, in replay too
    expect(recent[1]?.textContent).toContain('slot 42');
    expect(screen.getByText(/Animation is off/)).toBeTruthy();
  });
});
