import { describe, expect, it } from 'vitest';
import type { TraceMessage } from '../../../shared/api';
import type { Member } from '../../app/membership';
import { clockTime } from '../recording/time';
import { headline, liveView, replayView } from './diagram-view';
import { replayState } from './replay-state';

function member(id: string, overrides: Partial<Member> = {}): Member {
  return { id, address: '?', self: id === 'alice', leader: false, role: 'member', standing: 'member', effectiveSlot: null, commitIndex: 10, reachable: true, lastHeardMs: 100, ...overrides };
}

const MEMBERS = [member('alice', { leader: true, role: 'leader', commitIndex: 120 }), member('bob', { standing: 'joining', effectiveSlot: 130 }), member('carol', { reachable: false, commitIndex: null })];

function msg(at: number, from: string, to: string, type: TraceMessage['type'], fields: Partial<TraceMessage> = {}): TraceMessage {
  return { at, direction: 'out', from, to, type, ...fields };
}

describe('liveView', () => {
  it('draws the status: leader, commit indexes, the unreachable, a pending change', () => {
    const view = liveView(MEMBERS);
    expect(view.replayAt).toBeNull();
    expect(view.nodes.map((node) => [node.id, node.leader, node.quiet, node.standing, node.labels.map((label) => label.text)])).toEqual([
      ['alice', true, null, 'member', ['commit 120', 'leader']],
      ['bob', false, null, 'joining', ['commit 10', 'joins at 130']],
      ['carol', false, 'unreachable', 'member', ['commit ?', 'unreachable']],
    ]);
    expect(view.description).toBe(
      '3 members. alice (this node), leader, commit index 120; bob, joins at slot 130, commit index 10; carol, unreachable, commit index unknown. ' +
        'Protocol messages to and from this node fly between the members as colored dots.',
    );
  });
});

describe('replayView', () => {
  const campaign = [
    msg(0, 'carol', 'alice', 'commit', { ballot: { round: 1, node: 'carol' }, slot: 5 }),
    msg(2_500, 'bob', 'alice', 'prepare', { ballot: { round: 2, node: 'bob' }, slot: 6 }),
    msg(2_501, 'alice', 'bob', 'promise', { ballot: { round: 2, node: 'bob' }, slot: 6, toSlot: 8 }),
  ];

  it('draws only what the recording tells, none of the live values', () => {
    const view = replayView(MEMBERS, replayState(campaign, 2_501));
    expect(view.replayAt).toBe(2_501);
    expect(view.nodes.map((node) => [node.id, node.leader, node.candidate, node.quiet, node.standing, node.labels.map((label) => label.text)])).toEqual([
      ['alice', false, false, null, 'member', ['commit ? · holds 8', 'promised 2.bob']],
      ['bob', false, true, null, 'member', ['commit ≥ 5', 'candidate 2.bob']],
      ['carol', false, false, 'silent', 'member', ['commit ≥ 5', 'silent', 'led at 1.carol']],
    ]);
    expect(view.description).toContain(`Replay at ${clockTime(2_501)}: nobody leads while bob campaigns at ballot 2.bob (promised by alice); carol led at ballot 1.carol. 3 members (today's).`);
    expect(view.description).toContain('carol, led before the campaign, at ballot 1.carol, silent (no message from it recorded in the last 2.5 s), commit index at least 5');
  });

  it('says so when the recording shows no leader yet, and names the leader once it does', () => {
    expect(headline(replayState([], 0))).toBe('no leader in the recording up to here');
    const led = [...campaign, msg(2_510, 'bob', 'alice', 'accept', { ballot: { round: 2, node: 'bob' }, slot: 6 })];
    const view = replayView(MEMBERS, replayState(led, 2_510));
    expect(headline(replayState(led, 2_510))).toBe('bob leads at ballot 2.bob');
    expect(view.nodes.map((node) => [node.id, node.leader, node.labels.at(-1)?.text])).toEqual([
      ['alice', false, 'commit ? · holds 8'], // a follower: the leader's ring says whom it follows
      ['bob', true, 'leader 2.bob'],
      ['carol', false, 'silent'],
    ]);
  });
});
