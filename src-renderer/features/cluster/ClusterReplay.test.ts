import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TraceMessage } from '../../../shared/api';
import { Session } from '../../app/session.svelte';
import { FakeApi, makePeerStatus, makeStatus } from '../../../test/support/renderer/fake-api';
import { stubReducedMotion } from '../../../test/support/renderer/reduced-motion';
import { tableRows } from '../../../test/support/renderer/table';
import { text } from '../../../test/support/renderer/text';
import { clockTime } from '../recording/time';
import ClusterPage from './ClusterPage.svelte';

let session: Session;

beforeEach(async () => {
  stubReducedMotion(false);
  const api = new FakeApi();
  api.statusValue = makeStatus({
    id: 'alice',
    role: 'leader',
    leader: 'alice',
    peers: [makePeerStatus({ id: 'bob' }), makePeerStatus({ id: 'carol' })],
  });
  session = new Session(api);
  await session.refreshStatus();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

function message(offset: number, overrides: Partial<TraceMessage> = {}): TraceMessage {
  return { at: T0 + offset, direction: 'out', from: 'alice', to: 'bob', type: 'accept', slot: 7, ballot: { round: 2, node: 'alice' }, ...overrides };
}

/** alice proposes slot 7 to bob and carol, both accept, alice commits; with heartbeats around. */
const TRACE: TraceMessage[] = [
  message(0, { type: 'ping', slot: 6 }),
  message(1_000),
  message(1_000, { to: 'carol' }),
  message(1_003, { type: 'accepted', direction: 'in', from: 'bob', to: 'alice' }),
  message(1_004, { type: 'accepted', direction: 'in', from: 'carol', to: 'alice' }),
  message(1_010, { type: 'commit' }),
  message(2_000, { type: 'commit' }), // the same commit index again: a heartbeat
];

function controls(): HTMLElement {
  return screen.getByRole('region', { name: 'Replay' });
}

function slider(): HTMLInputElement {
  return within(controls()).getByLabelText<HTMLInputElement>('Position in the recording');
}

function modeText(): string {
  return within(controls()).getByRole('status').textContent ?? '';
}

describe('ClusterPage replay', () => {
  it('offers labelled replay controls, live at first, and says when nothing is recorded yet', () => {
    render(ClusterPage, { session });

    expect(modeText()).toBe('Live');
    expect(controls().textContent).toContain('Nothing recorded yet.');
    expect(slider().disabled).toBe(true);
    const playback = within(controls()).getByRole('group', { name: 'Playback' });
    expect(within(playback).getAllByRole('button').map(text)).toEqual(['Previous message', 'Pause', 'Next message', 'Live']);
    expect(within(playback).getByRole('button', { name: 'Live' }).getAttribute('aria-pressed')).toBe('true');
    const speed = within(controls()).getByRole('group', { name: 'Speed' });
    expect(within(speed).getAllByRole('radio').map((r) => r.closest('label')?.textContent?.trim())).toEqual(['1×', '1/10', '1/100']);
    expect((within(controls()).getByRole('checkbox', { name: 'Hide heartbeats and pings' }) as HTMLInputElement).checked).toBe(true);
  });

  it('pauses live, steps through the recording message by message, and animates the replayed message', async () => {
    render(ClusterPage, { session });
    session.receive({ type: 'trace', messages: TRACE });
    flushSync();
    expect(within(controls()).getByText(/5 messages recorded over the last 10 ms, heartbeats not counted/)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(modeText()).toBe('Replay paused');
    expect(slider().value).toBe(String(T0 + 1_010));
    expect(slider().getAttribute('aria-valuetext')).toContain('the newest message');

    await fireEvent.keyDown(slider(), { key: 'Home' });
    expect(slider().value).toBe(String(T0 + 1_000));
    expect(controls().textContent).toContain('message 0 of 5');
    const recent = screen.getByRole('region', { name: /^Messages up to / });
    expect(recent.textContent).toContain('No message before this point of the recording.');

    await fireEvent.click(screen.getByRole('button', { name: 'Next message' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Next message' }));
    expect(controls().textContent).toContain('message 2 of 5');
    const listed = within(screen.getByRole('region', { name: /^Messages up to / })).getAllByRole('listitem');
    expect(listed.map(text)).toEqual([
      expect.stringContaining('alice → carol accept ballot 2.alice slot 7'),
      expect.stringContaining('alice → bob accept ballot 2.alice slot 7'),
    ]);
    // The replayed messages fly on the diagram, not live ones.
    const dots = [...document.querySelectorAll<SVGCircleElement>('.dot')];
    expect(dots.map((dot) => dot.dataset['kind'])).toEqual(['accept', 'accept']);
    session.receive({ type: 'trace', messages: [message(3_000, { type: 'prepare' })] });
    flushSync();
    expect([...document.querySelectorAll<SVGCircleElement>('.dot')].map((dot) => dot.dataset['kind'])).not.toContain('prepare');

    await fireEvent.click(screen.getByRole('button', { name: 'Previous message' }));
    expect(controls().textContent).toContain('message 1 of 6');

    await fireEvent.click(screen.getByRole('button', { name: 'Live' }));
    expect(modeText()).toBe('Live');
    expect(screen.queryByRole('region', { name: /^Messages up to / })).toBeNull();
  });

  it('moves the slider with the keyboard and shows heartbeats when asked', async () => {
    render(ClusterPage, { session });
    session.receive({ type: 'trace', messages: TRACE });
    flushSync();

    await fireEvent.keyDown(slider(), { key: 'End' });
    expect(modeText()).toBe('Replay paused');
    expect(slider().value).toBe(String(T0 + 1_010));
    await fireEvent.keyDown(slider(), { key: 'ArrowLeft', shiftKey: true }); // a tenth of a second back
    expect(slider().value).toBe(String(T0 + 1_000)); // the start of what is shown
    await fireEvent.input(slider(), { target: { value: String(T0 + 1_005) } });
    expect(controls().textContent).toContain('message 4 of 5');
    await fireEvent.keyDown(slider(), { key: 'ArrowRight' });
    expect(slider().value).toBe(String(T0 + 1_010));

    // With heartbeats, the ping before and the repeated commit after are in the recording too.
    await fireEvent.click(within(controls()).getByRole('checkbox', { name: 'Hide heartbeats and pings' }));
    expect(controls().textContent).toContain('message 6 of 7');
    await fireEvent.keyDown(slider(), { key: 'PageUp' });
    expect(slider().value).toBe(String(T0 + 2_000));
    expect(slider().min).toBe(String(T0));
    expect(slider().max).toBe(String(T0 + 2_000));
  });

  it('plays in slow motion at the chosen speed, then stops at the end', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance', 'Date'] });
    render(ClusterPage, { session });
    session.receive({ type: 'trace', messages: TRACE });
    flushSync();

    await fireEvent.keyDown(slider(), { key: 'Home' });
    await fireEvent.click(within(controls()).getByRole('radio', { name: '1/100' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Play' }));
    expect(modeText()).toBe('Replaying at 1/100 speed');

    vi.advanceTimersByTime(500); // 5 ms of recording
    flushSync();
    expect(slider().value).toBe(String(T0 + 1_005));
    expect(controls().textContent).toContain('message 4 of 5');

    await fireEvent.click(within(controls()).getByRole('radio', { name: '1×' }));
    vi.advanceTimersByTime(100);
    flushSync();
    expect(modeText()).toBe('Replay paused');
    expect(slider().value).toBe(String(T0 + 1_010));
    expect(within(controls()).getByRole('button', { name: 'Play' })).toBeTruthy();
  });

  it('lists the replayed messages instead of animating them when motion is reduced', async () => {
    stubReducedMotion(true);
    render(ClusterPage, { session });
    session.receive({ type: 'trace', messages: TRACE });
    flushSync();

    await fireEvent.click(screen.getByRole('button', { name: 'Previous message' }));

    expect(document.querySelectorAll('.dot')).toHaveLength(0);
    const listed = within(screen.getByRole('region', { name: /^Messages up to / })).getAllByRole('listitem');
    expect(listed).toHaveLength(4);
    expect(listed[0]?.textContent).toContain('carol → alice');
  });
});

/**
 * carol led at 1.carol and went quiet; alice (this node, the live leader) was elected at 2.alice and
 * chose slot 6. Pings every 500 ms from alice and bob: heartbeats, hidden in the replay, still read.
 */
const ELECTION: TraceMessage[] = [
  message(0, { type: 'commit', from: 'carol', to: 'alice', ballot: { round: 1, node: 'carol' }, slot: 5 }),
  message(0, { type: 'commit', from: 'carol', to: 'bob', ballot: { round: 1, node: 'carol' }, slot: 5 }),
  message(2, { type: 'commitAck', from: 'alice', to: 'carol', ballot: { round: 1, node: 'carol' }, slot: 5 }),
  message(3, { type: 'commitAck', from: 'bob', to: 'carol', ballot: { round: 1, node: 'carol' }, slot: 5 }),
  ...[500, 1_000, 1_500, 2_000, 2_500].flatMap((at) => [
    message(at, { type: 'ping', from: 'alice', to: 'bob', slot: 5, ballot: undefined }),
    message(at, { type: 'ping', from: 'bob', to: 'alice', slot: 5, ballot: undefined }),
  ]),
  message(3_000, { type: 'prepare', to: 'bob', ballot: { round: 2, node: 'alice' }, slot: 6 }),
  message(3_000, { type: 'prepare', to: 'carol', ballot: { round: 2, node: 'alice' }, slot: 6 }),
  message(3_002, { type: 'promise', from: 'bob', to: 'alice', ballot: { round: 2, node: 'alice' }, slot: 6 }),
  message(3_010, { type: 'accept', to: 'bob', ballot: { round: 2, node: 'alice' }, slot: 6 }),
  message(3_010, { type: 'accept', to: 'carol', ballot: { round: 2, node: 'alice' }, slot: 6 }),
  message(3_012, { type: 'accepted', from: 'bob', to: 'alice', ballot: { round: 2, node: 'alice' }, slot: 6 }),
  message(3_020, { type: 'commit', to: 'bob', ballot: { round: 2, node: 'alice' }, slot: 6 }),
];

function memberDrawn(id: string): Element {
  const drawn = [...document.querySelectorAll('.member')].find((member) => member.querySelector('.id')?.textContent === id);
  if (drawn === undefined) throw new Error(`${id} is not drawn`);
  return drawn;
}

function banner(): string {
  return text(document.querySelector('.replayed'));
}

function membersRows(name: string | RegExp): string[][] {
  return tableRows(screen.getByRole('table', { name }));
}

describe('ClusterPage replay: the diagram shows the replayed moment', () => {
  it('does not crown the leader before the election is over, does at its end, and shows live values again when live', async () => {
    render(ClusterPage, { session });
    session.receive({ type: 'trace', messages: ELECTION });
    flushSync();
    // Live: the node's status (alice leads, commit index 10), no replay mark.
    expect(memberDrawn('alice').classList.contains('leader')).toBe(true);
    expect(memberDrawn('alice').textContent).toContain('commit 10');
    expect(banner()).toBe('');

    await fireEvent.keyDown(slider(), { key: 'Home' });
    expect(banner()).toContain(`Replay at ${clockTime(T0)}: no leader in the recording up to here.`);
    expect(document.querySelector('.member.leader')).toBeNull();
    expect(memberDrawn('alice').textContent).toContain('commit ?');
    expect(document.querySelector('.replay-mark')?.textContent).toBe(`Replay at ${clockTime(T0)}`);

    // Through carol's last commit and its acks, to alice's first prepare.
    for (let i = 0; i < 5; i++) await fireEvent.click(screen.getByRole('button', { name: 'Next message' }));
    expect(banner()).toContain(`Replay at ${clockTime(T0 + 3_000)}: nobody leads while alice campaigns at ballot 2.alice (no promise yet); carol led at ballot 1.carol.`);
    expect(document.querySelector('.member.leader')).toBeNull();
    expect(memberDrawn('alice').classList.contains('candidate')).toBe(true);
    expect(memberDrawn('alice').textContent).toContain('candidate 2.alice');
    expect(memberDrawn('alice').textContent).toContain('commit ≥ 5');
    expect(memberDrawn('carol').textContent).toContain('led at 1.carol');
    expect(memberDrawn('carol').classList.contains('silent')).toBe(true);
    expect(memberDrawn('bob').classList.contains('silent')).toBe(false); // its hidden pings count
    expect(membersRows(/\(replay\)$/)).toEqual([
      ['alice (this node)', 'candidate', '2.alice', '5', '?', clockTime(T0 + 3_000), 'no'],
      ['bob', '?', '1.carol', '5', '?', clockTime(T0 + 2_500), 'no'],
      ['carol', 'former leader', '1.carol', '5', '?', clockTime(T0), 'yes'],
    ]);

    // bob's promise.
    await fireEvent.click(screen.getByRole('button', { name: 'Next message' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Next message' }));
    expect(banner()).toContain('alice campaigns at ballot 2.alice (promised by bob)');
    expect(memberDrawn('bob').textContent).toContain('promised 2.alice');
    expect(document.querySelector('.member.leader')).toBeNull();

    // The end: alice leads at 2.alice, and has committed slot 6.
    await fireEvent.keyDown(slider(), { key: 'End' });
    expect(banner()).toContain(`Replay at ${clockTime(T0 + 3_020)}: alice leads at ballot 2.alice.`);
    expect(memberDrawn('alice').classList.contains('leader')).toBe(true);
    expect(memberDrawn('alice').textContent).toContain('leader 2.alice');
    expect(memberDrawn('alice').textContent).toContain('commit ≥ 6');
    expect(memberDrawn('bob').textContent).toContain('commit ≥ 5 · holds 6');
    expect(screen.getByRole('img', { name: 'Cluster members and the messages between them' }).querySelector('desc')?.textContent).toContain(
      'bob, following ballot 2.alice, commit index at least 5, holds a value for slot 6',
    );

    // Live again: the node's status, not the recording's.
    await fireEvent.click(screen.getByRole('button', { name: 'Live' }));
    expect(banner()).toBe('');
    expect(document.querySelector('.replay-mark')).toBeNull();
    expect(memberDrawn('alice').textContent).toContain('commit 10');
    expect(memberDrawn('alice').textContent).not.toContain('2.alice');
    expect(membersRows('Members').map((row) => [row[0], row[1], row[3]])).toEqual([
      ['alice (this node)', 'leader', '10'],
      ['bob', 'member', '10'],
      ['carol', 'member', '10'],
    ]);
  });

  it('shows the same moment with heartbeats hidden or shown', async () => {
    render(ClusterPage, { session });
    session.receive({ type: 'trace', messages: ELECTION });
    flushSync();
    await fireEvent.input(slider(), { target: { value: String(T0 + 2_900) } });
    const hidden = [banner(), membersRows(/\(replay\)$/)];

    await fireEvent.click(within(controls()).getByRole('checkbox', { name: 'Hide heartbeats and pings' }));
    expect([banner(), membersRows(/\(replay\)$/)]).toEqual(hidden);
    expect(memberDrawn('bob').classList.contains('silent')).toBe(false);
    expect(memberDrawn('carol').classList.contains('silent')).toBe(true);
  });
});
