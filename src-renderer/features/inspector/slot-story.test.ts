import { describe, expect, it } from 'vitest';
import { B1A, B2B, recorderWith, REPROPOSED, sent } from '../../../test/support/renderer/slot-trace';
import type { ObservedMessage, RecordedMessage } from '../recording/trace-recorder.svelte';
import { slotStory } from './slot-story';

function received(message: ObservedMessage, at: number): ObservedMessage {
  return { ...message, at, direction: 'in' };
}

function record(messages: readonly ObservedMessage[]): readonly RecordedMessage[] {
  return recorderWith(messages).messages;
}

function describeSteps(steps: ReturnType<typeof slotStory>['steps']): string[] {
  return steps.map(({ message: m, reproposal }) => `${m.at} ${m.from}>${m.to} ${m.type}${reproposal ? ' again' : ''}`);
}

describe('slotStory', () => {
  it('follows a slot from the election through a majority to every learner', () => {
    const acceptedByB = sent(1_003, 'b', 'a', 'accepted', 7, B1A);
    const messages = record([
      sent(100, 'a', 'b', 'prepare', 5, B1A),
      sent(101, 'b', 'a', 'promise', 5, B1A),
      sent(900, 'a', 'b', 'commit', 6, B1A),
      sent(1_000, 'a', 'b', 'accept', 7, B1A),
      sent(1_000, 'a', 'c', 'accept', 7, B1A),
      acceptedByB,
      received(acceptedByB, 1_004), // the leader's copy of the same message
      sent(1_005, 'c', 'a', 'accepted', 7, B1A),
      sent(1_010, 'a', 'b', 'commit', 7, B1A),
      sent(1_010, 'a', 'c', 'commit', 7, B1A),
      sent(1_500, 'a', 'b', 'accept', 8, B1A), // another slot
      sent(2_000, 'a', 'b', 'commit', 8, B1A), // a later heartbeat: b knew already
    ]);

    const story = slotStory(messages, 7, ['a', 'b', 'c']);

    expect(describeSteps(story.steps)).toEqual([
      '100 a>b prepare',
      '101 b>a promise',
      '1000 a>b accept',
      '1000 a>c accept',
      '1003 b>a accepted',
      '1005 c>a accepted',
      '1010 a>b commit',
      '1010 a>c commit',
    ]);
    expect(story.lifelines).toEqual(['a', 'b', 'c']);
    expect(story.needed).toBe(2);
    expect(story.reproposed).toBe(false);
    expect(story.proposals).toEqual([
      {
        ballot: B1A,
        proposer: 'a',
        at: 1_000,
        acceptors: [
          { member: 'b', at: 1_003 },
          { member: 'c', at: 1_005 },
        ],
        majorityAt: 1_003,
      },
    ]);
    expect(story.chosen).toMatchObject({ at: 1_003, ballot: B1A, how: 'majority' });
    expect(story.steps.find((s) => s.message.serial === story.chosen?.after)?.message).toMatchObject({ type: 'accepted', from: 'b' });
    expect(story.events.map((e) => `${e.at} ${e.kind}`)).toEqual([
      '1000 proposed',
      '1003 accepted',
      '1003 majority',
      '1005 accepted',
      '1010 learned',
      '1010 learned',
    ]);
    expect(story.events[2]).toMatchObject({ kind: 'majority', votes: ['a', 'b'], needed: 2 });
  });

  it('tells a re-proposal by a new leader at a higher ballot', () => {
    const messages = record([
      ...REPROPOSED,
      // An older campaign that did not concern slot 7's decision.
      sent(50, 'c', 'a', 'prepare', 1, { round: 1, node: 'c' }),
    ]);

    const story = slotStory(messages, 7, ['a', 'b', 'c']);

    expect(story.reproposed).toBe(true);
    expect(describeSteps(story.steps)).toEqual([
      '1000 a>b accept',
      '1000 a>c accept',
      '4000 b>c prepare',
      '4002 c>b promise',
      '4010 b>c accept again',
      '4012 c>b accepted',
      '4020 b>c commit',
    ]);
    expect(story.steps[0]?.message.dropped).toBe(true);
    expect(story.proposals.map((p) => [p.proposer, p.ballot, p.acceptors.length, p.majorityAt])).toEqual([
      ['a', B1A, 0, null],
      ['b', B2B, 1, 4_012],
    ]);
    expect(story.chosen).toMatchObject({ at: 4_012, ballot: B2B, how: 'majority' });
    expect(story.events.filter((e) => e.kind === 'proposed')).toEqual([
      { kind: 'proposed', at: 1_000, proposer: 'a', ballot: B1A, before: null },
      { kind: 'proposed', at: 4_010, proposer: 'b', ballot: B2B, before: 'a' },
    ]);
  });

  it('in one follower’s trace of five members, shows the slot chosen by the leader’s commit', () => {
    const accept = sent(1_000, 'a', 'b', 'accept', 7, B1A);
    const messages = record([received(accept, 1_001), sent(1_002, 'b', 'a', 'accepted', 7, B1A), received(sent(1_030, 'a', 'b', 'commit', 7, B1A), 1_031)]);

    const story = slotStory(messages, 7, ['a', 'b', 'c', 'd', 'e']);

    expect(story.needed).toBe(3);
    expect(story.proposals[0]?.majorityAt).toBeNull();
    expect(story.chosen).toMatchObject({ at: 1_031, ballot: B1A, how: 'commit' });
    expect(story.events.map((e) => e.kind)).toEqual(['proposed', 'accepted', 'learned']);
    expect(story.lifelines).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('does not take a heartbeat for learning: only a commit that moved a receiver past the slot', () => {
    const heartbeatsOnly = record([sent(1_000, 'a', 'b', 'commit', 50, B1A), sent(1_100, 'a', 'b', 'commit', 50, B1A)]);
    expect(slotStory(heartbeatsOnly, 7, ['a', 'b', 'c']).steps).toEqual([]);

    const crossing = record([sent(1_000, 'a', 'b', 'commit', 6, B1A), sent(1_100, 'a', 'b', 'commit', 9, B1A), sent(1_200, 'a', 'b', 'commit', 9, B1A)]);
    const story = slotStory(crossing, 7, ['a', 'b', 'c']);
    expect(describeSteps(story.steps)).toEqual(['1100 a>b commit']);
    expect(story.chosen).toMatchObject({ at: 1_100, ballot: B1A, how: 'commit' });
    expect(story.proposals).toEqual([]);
  });

  it('tells a member that was behind learning the slot by catch-up, with its request', () => {
    const messages = record([
      sent(1_000, 'c', 'a', 'catchupRequest', 5, undefined, { toSlot: 9 }),
      sent(1_001, 'c', 'a', 'catchupRequest', 20, undefined), // another range
      sent(1_010, 'a', 'c', 'catchupReply', 5, undefined, { toSlot: 9 }),
      sent(1_020, 'a', 'c', 'catchupReply', 5, undefined, { toSlot: 9 }), // a repeat: c knew already
    ]);

    const story = slotStory(messages, 7, ['a', 'b', 'c']);

    expect(describeSteps(story.steps)).toEqual(['1000 c>a catchupRequest', '1010 a>c catchupReply']);
    expect(story.steps.map((s) => s.role)).toEqual(['ask', 'learn']);
    expect(story.chosen).toMatchObject({ at: 1_010, ballot: null, how: 'catch-up' });
    expect(story.events).toEqual([{ kind: 'learned', at: 1_010, member: 'c', from: 'a', how: 'catch-up' }]);
  });

  it('counts votes whose proposal was not recorded, and each voter once', () => {
    const messages = record([sent(1_000, 'b', 'a', 'accepted', 7, B1A), sent(1_200, 'b', 'a', 'accepted', 7, B1A)]);
    const story = slotStory(messages, 7, ['a', 'b', 'c']);

    expect(story.proposals).toEqual([{ ballot: B1A, proposer: 'a', at: 1_000, acceptors: [{ member: 'b', at: 1_000 }], majorityAt: 1_000 }]);
  });

  it('tells nothing about a slot nobody recorded', () => {
    const messages = record([sent(1_000, 'a', 'b', 'accept', 8, B1A), sent(1_000, 'a', 'b', 'prepare', 1, B1A)]);
    const story = slotStory(messages, 7, ['a', 'b']);

    expect(story.steps).toEqual([]);
    expect(story.events).toEqual([]);
    expect(story.chosen).toBeNull();
  });
});
