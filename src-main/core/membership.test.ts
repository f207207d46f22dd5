import { describe, expect, it } from 'vitest';
import {
  applyMembershipSlot,
  bootstrapMembership,
  decodeMembershipChange,
  encodeMembershipChange,
  hasPendingChange,
  latestEpoch,
  MEMBERSHIP_DELAY_SLOTS as W,
  membersAt,
  parseMembershipState,
  relevantMembers,
  replayMembership,
  type MembershipChange,
  type MembershipState,
} from './membership';
import type { Command, SlotValue } from './types';

const members = (...ids: string[]) => ids.map((id) => ({ id, address: `${id}:7400` }));
const ids = (state: MembershipState, slot: number) => membersAt(state, slot).map((m) => m.id);
let seq = 0;
const change = (c: MembershipChange): Command => ({ origin: 'client', seq: ++seq, payload: encodeMembershipChange(c) });
const add = (id: string): Command => change({ type: 'addMember', id, address: `${id}:7400` });
const remove = (id: string): Command => change({ type: 'removeMember', id });

/** Applies `values` to consecutive slots from state.through + 1; returns the state and every outcome. */
function run(state: MembershipState, values: readonly SlotValue[]) {
  const outcomes = [];
  for (const value of values) {
    const result = applyMembershipSlot(state, state.through + 1, value);
    state = result.state;
    outcomes.push(...result.outcomes.values());
  }
  return { state, outcomes };
}

const noops = (n: number): SlotValue[] => Array.from({ length: n }, () => []);

describe('membership encoding', () => {
  it('round-trips both changes exactly', () => {
    const changes: MembershipChange[] = [
      { type: 'addMember', id: 'n4', address: '10.0.0.4:7400' },
      { type: 'addMember', id: 'x', address: '' },
      { type: 'removeMember', id: 'n2' },
    ];
    for (const c of changes) expect(decodeMembershipChange(encodeMembershipChange(c))).toEqual(c);
    expect(encodeMembershipChange({ type: 'removeMember', id: 'n2' })).toBe('["removeMember","n2"]');
  });

  it('accepts only the exact encoding: anything else is an ordinary command', () => {
    for (const payload of [
      '["addMember","n4"]', // missing address
      '["addMember","n4","a","b"]',
      '["removeMember","n2",""]',
      '["removeMember", "n2"]', // whitespace: not the canonical encoding
      '[ "removeMember","n2"]',
      '["removeMember",2]',
      '["removeMember","n2"',
      '["addMember","n\\u0034",""]', // escaped: decodes to n4 but is not what encode() writes
      '{"type":"removeMember","id":"n2"}',
      'removeMember n2',
      '',
    ]) {
      expect(decodeMembershipChange(payload), payload).toBeNull();
    }
  });

  it('a state survives parsing, and broken states are refused', () => {
    const state = run(bootstrapMembership(members('a', 'b')), [[add('c')]]).state;
    expect(parseMembershipState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(() => parseMembershipState({ epochs: [], through: 0 })).toThrow(/no epochs/);
    expect(() => parseMembershipState({ epochs: [{ fromSlot: 5, changedAt: 0, members: [] }], through: 0 })).toThrow(/without members/);
    expect(() =>
      parseMembershipState({
        epochs: [
          { fromSlot: 5, changedAt: 0, members: members('a') },
          { fromSlot: 5, changedAt: 1, members: members('b') },
        ],
        through: 0,
      }),
    ).toThrow(/out of order/);
  });
});

describe('applyMembershipSlot', () => {
  it('a change chosen at slot s governs slots >= s + W, and only those', () => {
    const start = bootstrapMembership(members('b', 'a'));
    expect(ids(start, 1)).toEqual(['a', 'b']); // sorted
    const { state, outcomes } = run(start, [[], [add('c')]]);
    expect(outcomes).toMatchObject([{ status: 'accepted', effectiveSlot: 2 + W }]);
    expect(ids(state, 2 + W - 1)).toEqual(['a', 'b']);
    expect(ids(state, 2 + W)).toEqual(['a', 'b', 'c']);
    expect(latestEpoch(state)).toMatchObject({ fromSlot: 2 + W, changedAt: 2 });
    expect(hasPendingChange(state)).toBe(true);
    expect(relevantMembers(state).map((m) => m.id)).toEqual(['a', 'b', 'c']);
  });

  it('rejects a change while another is still pending (change-in-progress), also within one slot', () => {
    const start = bootstrapMembership(members('a', 'b', 'c'));
    const sameSlot = run(start, [[add('d'), remove('a')]]);
    expect(sameSlot.outcomes.map((o) => o.status)).toEqual(['accepted', 'rejected']);
    expect(sameSlot.outcomes[1]).toMatchObject({ reason: 'change-in-progress' });
    // Still pending at s + W - 1, in effect from s + W: a change chosen there is judged against the new set.
    const later = run(start, [[add('d')], ...noops(W - 2), [remove('a')], [remove('a')]]);
    expect(later.outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.status))).toEqual(['accepted', 'change-in-progress', 'accepted']);
    expect(ids(later.state, 1 + W + W)).toEqual(['b', 'c', 'd']);
  });

  it('rejects adding a member twice, removing a non-member and removing the last member', () => {
    const { outcomes, state } = run(bootstrapMembership(members('a')), [[add('a')], [remove('z')], [remove('a')]]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.status))).toEqual(['already-member', 'not-a-member', 'last-member']);
    for (const o of outcomes) expect(o.status === 'rejected' && o.message.length > 0).toBe(true);
    expect(state.epochs).toHaveLength(1);
    expect(hasPendingChange(state)).toBe(false);
  });

  it('judges against the latest configuration, pending ones included, once nothing is pending', () => {
    // b is removed (in effect at 1 + W); adding it back afterwards is fine, removing it again is not.
    const { outcomes } = run(bootstrapMembership(members('a', 'b')), [[remove('b')], ...noops(W - 1), [remove('b')], [add('b')]]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.status))).toEqual(['accepted', 'not-a-member', 'accepted']);
  });

  it('ignores ordinary commands and requires consecutive slots', () => {
    const start = bootstrapMembership(members('a'));
    const { state, outcomes } = run(start, [[{ origin: 'a', seq: 1, payload: 'hello' }]]);
    expect(outcomes).toEqual([]);
    expect(state).toEqual({ ...start, through: 1 });
    expect(() => applyMembershipSlot(start, 2, [])).toThrow(/expected 1/);
  });

  it('prunes an epoch once no slot above the prefix needs it', () => {
    const start = bootstrapMembership(members('a', 'b'));
    const pending = run(start, [[add('c')], ...noops(W - 2)]).state; // through = W - 1; new epoch from 1 + W
    expect(pending.epochs.map((e) => e.fromSlot)).toEqual([1, 1 + W]);
    // through = W: slot W + 1 is the new epoch's first slot, so the bootstrap epoch is never needed again.
    const pruned = run(pending, [[]]).state;
    expect(pruned.epochs.map((e) => e.fromSlot)).toEqual([1 + W]);
    expect(relevantMembers(pruned).map((m) => m.id)).toEqual(['a', 'b', 'c']);
    const shrunk = run(pruned, [[remove('a')], ...noops(W)]).state;
    expect(shrunk.epochs).toHaveLength(1);
    expect(relevantMembers(shrunk).map((m) => m.id)).toEqual(['b', 'c']);
  });

  it('replayMembership is applyMembershipSlot over consecutive entries', () => {
    const start = bootstrapMembership(members('a', 'b'));
    const values: SlotValue[] = [[], [add('c')], [], [remove('a')]];
    expect(replayMembership(start, values.map((value, i) => ({ slot: i + 1, value })))).toEqual(run(start, values).state);
  });
});
