import { describe, expect, it } from 'vitest';
import type { BallotView, TraceMessage } from '../../../shared/api';
import { memberAt, ReplayFold, replayState, roleAt, SILENT_MS, type ReplayState } from './replay-state';

function ballot(round: number, node: string): BallotView {
  return { round, node };
}

function msg(at: number, from: string, to: string, type: TraceMessage['type'], fields: Partial<TraceMessage> = {}): TraceMessage {
  return { at, direction: 'out', from, to, type, ...fields };
}

/** carol led at 1.carol with slot 5 committed, went quiet; bob was elected at 2.bob and chose slot 6. */
const ELECTION: TraceMessage[] = [
  msg(0, 'carol', 'alice', 'commit', { ballot: ballot(1, 'carol'), slot: 5 }),
  msg(0, 'carol', 'bob', 'commit', { ballot: ballot(1, 'carol'), slot: 5 }),
  msg(2, 'alice', 'carol', 'commitAck', { ballot: ballot(1, 'carol'), slot: 5 }),
  msg(3, 'bob', 'carol', 'commitAck', { ballot: ballot(1, 'carol'), slot: 4 }),
  // 3: bob campaigns, from slot 6 (its commit index is 5 by now).
  msg(3_000, 'bob', 'alice', 'prepare', { ballot: ballot(2, 'bob'), slot: 6 }),
  msg(3_000, 'bob', 'carol', 'prepare', { ballot: ballot(2, 'bob'), slot: 6 }),
  // 6: alice promises, and reports holding a value up to slot 7.
  msg(3_002, 'alice', 'bob', 'promise', { ballot: ballot(2, 'bob'), slot: 6, toSlot: 7 }),
  // 7: bob leads.
  msg(3_010, 'bob', 'alice', 'accept', { ballot: ballot(2, 'bob'), slot: 6 }),
  msg(3_010, 'bob', 'carol', 'accept', { ballot: ballot(2, 'bob'), slot: 6 }),
  msg(3_012, 'alice', 'bob', 'accepted', { ballot: ballot(2, 'bob'), slot: 6 }),
  msg(3_020, 'bob', 'alice', 'commit', { ballot: ballot(2, 'bob'), slot: 6 }),
];

function after(count: number, messages: readonly TraceMessage[] = ELECTION): ReplayState {
  const last = messages[count - 1];
  return new ReplayFold().stateAt(messages, count, last?.at ?? 0);
}

describe('replayState', () => {
  it('knows nothing before the first message: no leader, no number, nobody silent', () => {
    const state = replayState([], 1_000);
    expect(state.leader).toBeNull();
    expect(state.campaign).toBeNull();
    expect(memberAt(state, 'alice')).toEqual({ id: 'alice', ballot: null, commitAtLeast: null, heldSlot: null, lastSentAt: null, silent: false });
    expect(roleAt(state, 'alice')).toBeNull();
  });

  it('follows an election: prepare, promise, accept, accepted, commit', () => {
    // Before the prepare: carol leads at 1.carol; each commit index is what the member stated itself.
    let state = after(4);
    expect(state.leader).toEqual({ id: 'carol', ballot: ballot(1, 'carol'), since: 0 });
    expect(roleAt(state, 'alice')?.role).toBe('follower');
    expect(memberAt(state, 'carol').commitAtLeast).toBe(5);
    expect(memberAt(state, 'bob').commitAtLeast).toBe(4); // it received commit 5, but said 4

    // The prepare: a campaign, no leader while it goes on; carol led before it.
    state = after(5);
    expect(state.leader).toBeNull();
    expect(state.campaign).toEqual({ id: 'bob', ballot: ballot(2, 'bob'), since: 3_000, promisedBy: [] });
    expect(state.formerLeader?.id).toBe('carol');
    expect(roleAt(state, 'bob')?.role).toBe('candidate');
    expect(roleAt(state, 'carol')?.role).toBe('former leader');
    expect(roleAt(state, 'alice')).toBeNull();
    expect(memberAt(state, 'bob').commitAtLeast).toBe(5); // it prepares from slot 6
    expect(memberAt(state, 'carol').silent).toBe(true); // nothing from it for 3 s

    // The promise: a vote, and what alice holds.
    state = after(7);
    expect(state.campaign?.promisedBy).toEqual(['alice']);
    expect(roleAt(state, 'alice')?.role).toBe('promised');
    expect(memberAt(state, 'alice')).toMatchObject({ ballot: ballot(2, 'bob'), commitAtLeast: 5, heldSlot: 7 });

    // The accept: bob leads; the campaign is over.
    state = after(8);
    expect(state.leader).toEqual({ id: 'bob', ballot: ballot(2, 'bob'), since: 3_010 });
    expect(state.campaign).toBeNull();
    expect(state.formerLeader).toBeNull();
    expect(roleAt(state, 'alice')?.role).toBe('follower'); // it promised bob's ballot
    expect(roleAt(state, 'carol')).toBeNull(); // silent since 1.carol: whether it follows, nobody can tell
    expect(memberAt(state, 'bob').heldSlot).toBe(6);

    // accepted, then commit: bob's commit index, not alice's (she has not said).
    state = after(ELECTION.length);
    expect(memberAt(state, 'bob').commitAtLeast).toBe(6);
    expect(memberAt(state, 'alice').commitAtLeast).toBe(5);
    expect(memberAt(state, 'alice').heldSlot).toBe(7);
  });

  it('does not count a dropped promise as a vote', () => {
    const messages = [...ELECTION.slice(0, 6), { ...(ELECTION[6] as TraceMessage), dropped: true }];
    const state = after(messages.length, messages);
    expect(state.campaign?.promisedBy).toEqual([]);
    expect(memberAt(state, 'alice').heldSlot).toBe(7); // still: alice sent it
  });

  it('changes leader at a higher ballot and ignores the deposed one still sending at its old ballot', () => {
    const messages = [
      msg(0, 'alice', 'bob', 'commit', { ballot: ballot(3, 'alice'), slot: 10 }),
      msg(100, 'carol', 'bob', 'accept', { ballot: ballot(4, 'carol'), slot: 11 }),
      msg(150, 'alice', 'bob', 'commit', { ballot: ballot(3, 'alice'), slot: 10 }),
      msg(200, 'bob', 'carol', 'accepted', { ballot: ballot(4, 'carol'), slot: 11 }),
    ];
    const state = replayState(messages, 200);
    expect(state.leader).toEqual({ id: 'carol', ballot: ballot(4, 'carol'), since: 100 });
    expect(roleAt(state, 'bob')?.role).toBe('follower');
    expect(roleAt(state, 'alice')).toBeNull();
  });

  it('keeps the leader that goes on leading after a campaign that got nowhere', () => {
    const messages = [
      msg(0, 'alice', 'bob', 'commit', { ballot: ballot(3, 'alice'), slot: 10 }),
      msg(100, 'carol', 'bob', 'prepare', { ballot: ballot(4, 'carol'), slot: 8 }),
      msg(150, 'alice', 'bob', 'commit', { ballot: ballot(3, 'alice'), slot: 10 }),
    ];
    expect(replayState(messages.slice(0, 2), 100).campaign?.id).toBe('carol');
    const state = replayState(messages, 150);
    expect(state.leader?.id).toBe('alice');
    expect(state.campaign).toBeNull();
    // A dropped commit reached nobody: it does not end the campaign's turn.
    const dropped = replayState([...messages.slice(0, 2), { ...(messages[2] as TraceMessage), dropped: true }], 150);
    expect(dropped.campaign?.id).toBe('carol');
    expect(dropped.formerLeader?.id).toBe('alice');
  });

  it('marks a member that stops sending silent after SILENT_MS, and one never heard once the recording reaches back that far', () => {
    const messages = [
      msg(0, 'alice', 'bob', 'commit', { ballot: ballot(1, 'alice'), slot: 1 }),
      msg(1, 'bob', 'alice', 'commitAck', { ballot: ballot(1, 'alice'), slot: 1 }),
      msg(1_500, 'alice', 'bob', 'ping', { slot: 1 }),
    ];
    let state = replayState(messages, SILENT_MS);
    expect(memberAt(state, 'alice').silent).toBe(false);
    expect(memberAt(state, 'bob').silent).toBe(false);
    expect(memberAt(state, 'carol').silent).toBe(true); // nothing from it since the recording began

    state = replayState(messages, SILENT_MS + 1);
    expect(memberAt(state, 'bob')).toMatchObject({ silent: true, lastSentAt: 1, commitAtLeast: 1 });
    expect(memberAt(state, 'alice').silent).toBe(false);

    // A recording shorter than SILENT_MS cannot tell.
    expect(memberAt(replayState(messages.slice(0, 1), 1_000), 'carol').silent).toBe(false);
  });

  it('reads a recording twice-observed the same as once', () => {
    const echoed = ELECTION.flatMap((m) => [m, { ...m, direction: 'in' as const, at: m.at + 1 }]);
    const once = replayState(ELECTION, 3_100);
    const twice = replayState(echoed, 3_100);
    expect(twice.leader).toEqual(once.leader);
    expect([...twice.members.values()].map((m) => [m.id, m.commitAtLeast, m.heldSlot, m.ballot])).toEqual(
      [...once.members.values()].map((m) => [m.id, m.commitAtLeast, m.heldSlot, m.ballot]),
    );
  });
});

describe('ReplayFold', () => {
  it('moving forward, back and over a changed recording gives what reading it all again gives', () => {
    const fold = new ReplayFold();
    const counts = [4, 8, 5, ELECTION.length, 5];
    expect(counts.map((count) => fold.stateAt(ELECTION, count, 3_100))).toEqual(counts.map((count) => replayState(ELECTION.slice(0, count), 3_100)));

    // New messages at the end (a new array, the same ones behind the cursor): read on.
    const grown = [...ELECTION, msg(3_500, 'alice', 'bob', 'commitAck', { ballot: ballot(2, 'bob'), slot: 6 })];
    expect(fold.stateAt(grown, grown.length, 3_600)).toEqual(replayState(grown, 3_600));
    // One merged in behind the cursor (another member's clock), then one evicted at the front: start over.
    fold.stateAt(grown, 5, 3_100);
    const merged = [...ELECTION.slice(0, 2), msg(1, 'alice', 'bob', 'commitAck', { ballot: ballot(1, 'carol'), slot: 9 }), ...ELECTION.slice(2)];
    expect(fold.stateAt(merged, 7, 3_100)).toEqual(replayState(merged.slice(0, 7), 3_100));
    expect(memberAt(fold.stateAt(merged, 7, 3_100), 'alice').commitAtLeast).toBe(9);
    const evicted = merged.slice(1);
    expect(fold.stateAt(evicted, 8, 3_100)).toEqual(replayState(evicted.slice(0, 8), 3_100));
  });
});
