import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TraceMessage } from '../../../shared/api';
import { Session } from '../../app/session.svelte';
import { FakeApi, makePeerStatus, makeStatus } from '../../test/fake-api';
import ClusterPage from './ClusterPage.svelte';

let session: Session;

function stubReducedMotion(reduce: boolean): void {
  vi.stubGlobal(
    'matchMedia',
    vi.fn((query: string) => ({
      matches: reduce && query.includes('prefers-reduced-motion'),
      media: query,
      onchange: null,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      addListener: () => undefined,
      removeListener: () => undefined,
      dispatchEvent: () => false,
    })),
  );
}

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
    expect(within(playback).getAllByRole('button').map((b) => b.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['Previous message', 'Pause', 'Next message', 'Live']);
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
    expect(listed.map((item) => item.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
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
