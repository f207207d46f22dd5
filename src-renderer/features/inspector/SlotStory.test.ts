import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import type { BallotView, LogArgs, TraceMessage } from '../../../shared/api';
import { Session } from '../../app/session.svelte';
import { FakeApi, makeStatus } from '../../../test/support/renderer/fake-api';
import { fakeLogPage } from '../../../test/support/renderer/fake-log';
import { B1A, recorderWith, REPROPOSED, sent } from '../../../test/support/renderer/slot-trace';
import { TraceRecorder } from '../recording/trace-recorder.svelte';
import InspectorPage from './InspectorPage.svelte';
import SlotStory from './SlotStory.svelte';

describe('SlotStory', () => {
  it('says that nothing is recorded yet', () => {
    render(SlotStory, { slot: 7, recorder: new TraceRecorder(), members: ['a', 'b', 'c'] });

    const story = screen.getByRole('region', { name: 'The story of slot 7' });
    expect(story.textContent).toContain('Nothing is recorded yet.');
    expect(within(story).queryByRole('img')).toBeNull();
  });

  it('says plainly when nothing about the slot was recorded, and since when the recording runs', () => {
    render(SlotStory, { slot: 3, recorder: recorderWith(REPROPOSED), members: ['a', 'b', 'c'] });

    const story = screen.getByRole('region', { name: 'The story of slot 3' });
    expect(story.textContent).toContain('Nothing about slot 3 was recorded.');
    expect(story.textContent).toContain('probably decided before that, or before the dashboard was open');
  });

  it('draws each message on a sequence diagram and tells the re-proposal and the majority in words', () => {
    const { container } = render(SlotStory, { slot: 7, recorder: recorderWith(REPROPOSED), members: ['a', 'b', 'c'] });

    const story = screen.getByRole('region', { name: 'The story of slot 7' });
    const text = story.textContent?.replace(/\s+/g, ' ') ?? '';
    expect(text).toContain('Chosen at ballot 2.b');
    expect(text).toContain('when 2 of 3 members had accepted it');
    expect(within(story).getByText('re-proposed')).toBeTruthy();
    expect(text).toContain('It was proposed at 2 ballots: the leadership changed while it was being decided.');
    // Several observers: no "this node only" caveat.
    expect(text).not.toContain('Recorded from this node');

    const diagram = within(story).getByRole('img', { name: 'Messages about slot 7' });
    expect(diagram.querySelector('desc')?.textContent).toBe('Sequence diagram of slot 7: 7 messages between a, b, c, time running downwards.');
    expect([...diagram.querySelectorAll('.name')].map((n) => n.textContent)).toEqual(['a', 'b', 'c']);
    const arrows = [...container.querySelectorAll<SVGGElement>('.arrow')];
    expect(arrows.map((a) => a.querySelector('.label')?.textContent)).toEqual([
      'accept 1.a',
      'accept 1.a',
      'prepare 2.b (from 6)',
      'promise 2.b (from 6)',
      'accept 2.b again',
      'accepted 2.b',
      'commit up to 7',
    ]);
    expect(arrows[0]?.classList.contains('dropped')).toBe(true);
    expect(arrows[0]?.querySelector('.cross')).not.toBeNull();
    expect(arrows[4]?.classList.contains('again')).toBe(true);
    expect(arrows.map((a) => a.querySelector('.offset')?.textContent)).toEqual(['+0 ms', '+0 ms', '+3.0 s', '+3.0 s', '+3.0 s', '+3.0 s', '+3.0 s']);
    // The "chosen" line comes right after the vote that made the majority.
    const rows = [...diagram.querySelectorAll('.arrow, .chosen-label')].map((el) => el.getAttribute('data-type') ?? el.textContent);
    expect(rows.slice(5)).toEqual(['accepted', 'chosen: a majority accepted 2.b', 'commit']);

    const events = within(within(story).getByRole('list', { name: 'What happened to slot 7' })).getAllByRole('listitem');
    expect(events.map((e) => e.querySelector('span')?.textContent)).toEqual([
      'a proposes a value for slot 7 at ballot 1.a.',
      'b, the new leader, proposes slot 7 again at ballot 2.b: a re-proposal.',
      'c accepts it at ballot 2.b.',
      "A majority has accepted ballot 2.b: b, c (2 of 3, b's own vote included). The value is chosen.",
      'c learns that it is chosen (commit from b).',
    ]);
  });

  it('labels a catch-up with its range of slots', () => {
    const { container } = render(SlotStory, {
      slot: 7,
      recorder: recorderWith([
        { at: 1_000, direction: 'out', from: 'c', to: 'a', type: 'catchupRequest', slot: 5, toSlot: 9 },
        { at: 1_010, direction: 'in', from: 'a', to: 'c', type: 'catchupReply', slot: 5, toSlot: 9 },
      ]),
      members: ['a', 'b', 'c'],
    });

    expect([...container.querySelectorAll('.arrow .label')].map((l) => l.textContent)).toEqual(['catchupRequest 5–9', 'catchupReply 5–9']);
    expect(container.querySelector('.arrow')?.classList.contains('kind-other')).toBe(true);
    expect(screen.getByText('c learns the chosen value by catch-up from a.')).toBeTruthy();
    expect(screen.getByText(/received it by catch-up/)).toBeTruthy();
  });

  it("warns that one node's own trace misses the votes other members exchange", () => {
    render(SlotStory, {
      slot: 7,
      recorder: recorderWith([{ ...sent(1_000, 'a', 'b', 'accept', 7, B1A), direction: 'in' }, sent(1_002, 'b', 'a', 'accepted', 7, B1A)]),
      members: ['a', 'b', 'c'],
    });

    expect(screen.getByText(/Recorded from this node's messages only/)).toBeTruthy();
  });

  it('in the Inspector, tells the story of the selected slot from the session’s trace', async () => {
    const api = new FakeApi();
    api.statusValue = makeStatus({ id: 'alice', role: 'follower', leader: 'bob', commitIndex: 20 });
    api.override.log = async (args: LogArgs | undefined) => fakeLogPage(args, { firstSlot: 1, newest: 20, commitIndex: 20, accepted: 0 });
    const session = new Session(api);
    await session.refreshStatus();
    render(InspectorPage, { session });

    const bob: BallotView = { round: 3, node: 'bob' };
    const trace: TraceMessage[] = [
      { at: 5_000, direction: 'in', from: 'bob', to: 'alice', type: 'accept', slot: 12, ballot: bob },
      { at: 5_001, direction: 'out', from: 'alice', to: 'bob', type: 'accepted', slot: 12, ballot: bob },
      { at: 5_020, direction: 'in', from: 'bob', to: 'alice', type: 'commit', slot: 12, ballot: bob },
    ];
    session.receive({ type: 'trace', messages: trace });
    flushSync();

    await fireEvent.input(screen.getByLabelText('Jump to slot'), { target: { value: '12' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Jump' }));

    const story = await screen.findByRole('region', { name: 'The story of slot 12' });
    await vi.waitFor(() => expect(within(story).getAllByRole('listitem')).toHaveLength(4));
    expect(story.textContent).toContain('Chosen at ballot 3.bob');
    expect(within(story).getAllByRole('listitem').map((e) => e.querySelector('span')?.textContent)).toEqual([
      'bob proposes a value for slot 12 at ballot 3.bob.',
      'alice accepts it at ballot 3.bob.',
      "A majority has accepted ballot 3.bob: bob, alice (2 of 3, bob's own vote included). The value is chosen.",
      'alice learns that it is chosen (commit from bob).',
    ]);

    await fireEvent.input(screen.getByLabelText('Jump to slot'), { target: { value: '11' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Jump' }));
    expect((await screen.findByRole('region', { name: 'The story of slot 11' })).textContent).toContain('Nothing about slot 11 was recorded.');
  });
});
