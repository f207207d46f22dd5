import { describe, expect, it } from 'vitest';
import { makeMembership, makePeerStatus, makeStatus } from '../../test/support/renderer/fake-api';
import { describePendingChange, membersOf, pendingChangeOf, removalOutlook, standingLabel } from './membership';

const A = { id: 'me', address: '10.0.0.1:7400' };
const B = { id: 'b', address: '10.0.0.2:7400' };
const C = { id: 'c', address: '10.0.0.3:7400' };
const D = { id: 'd', address: '10.0.0.4:7400' };

describe('membersOf', () => {
  it('puts this node first, then the configuration by id, with live reachability and roles', () => {
    const status = makeStatus({
      id: 'me',
      address: A.address,
      leader: 'b',
      role: 'follower',
      peers: [makePeerStatus({ id: 'c', address: '10.9.9.9:7400' }), makePeerStatus({ id: 'b', commitIndex: null, reachable: false })],
      membership: makeMembership('me', [A, B, C]),
    });
    expect(membersOf(status).map((m) => [m.id, m.address, m.role, m.leader, m.standing, m.commitIndex, m.reachable])).toEqual([
      ['me', A.address, 'follower', false, 'member', 10, true],
      ['b', '127.0.0.1:7401', 'leader', true, 'member', null, false],
      // The address this node last heard it from wins over the recorded one.
      ['c', '10.9.9.9:7400', 'member', false, 'member', 10, true],
    ]);
  });

  it('takes the members from the replicated configuration, not from the peers heard from', () => {
    const status = makeStatus({ id: 'me', peers: [makePeerStatus({ id: 'b' }), makePeerStatus({ id: 'zed' })], membership: makeMembership('me', [A, B, D]) });
    expect(membersOf(status).map((m) => [m.id, m.address, m.reachable, m.lastHeardMs])).toEqual([
      ['me', status.address, true, null],
      ['b', '127.0.0.1:7401', true, 500],
      ['d', D.address, false, null],
    ]);
  });

  it('marks pending joiners and leavers with the slot the change takes effect', () => {
    const status = makeStatus({
      id: 'me',
      peers: [makePeerStatus({ id: 'b' })],
      membership: makeMembership('me', [A, B], { pending: { members: [A, D], fromSlot: 130, changedAt: 66 } }),
    });
    const members = membersOf(status);
    expect(members.map((m) => [m.id, m.standing, m.effectiveSlot, standingLabel(m)])).toEqual([
      ['me', 'member', null, 'member'],
      ['b', 'leaving', 130, 'leaves at slot 130'],
      ['d', 'joining', 130, 'joins at slot 130'],
    ]);
    const change = pendingChangeOf(status);
    expect(change).toEqual({ joining: ['d'], leaving: ['b'], fromSlot: 130, changedAt: 66 });
    expect(describePendingChange(change!)).toBe('d joins, b leaves at slot 130');
    expect(describePendingChange({ joining: ['cyd'], leaving: [], fromSlot: 130, changedAt: 66 })).toBe('cyd joins at slot 130');
  });

  it('shows this node outside the configuration while it joins or after it was removed', () => {
    const joining = makeStatus({ id: 'me', peers: [], membership: makeMembership('me', null) });
    expect(membersOf(joining).map((m) => [m.id, m.standing, standingLabel(m)])).toEqual([['me', 'outside', 'not a member']]);
    const removed = makeStatus({ id: 'me', peers: [], membership: makeMembership('me', [B, C]) });
    expect(membersOf(removed).map((m) => [m.id, m.standing])).toEqual([
      ['me', 'outside'],
      ['b', 'member'],
      ['c', 'member'],
    ]);
  });
});

describe('removalOutlook', () => {
  const status = makeStatus({
    id: 'me',
    peers: [makePeerStatus({ id: 'b' }), makePeerStatus({ id: 'c', reachable: false })],
    membership: makeMembership('me', [A, B, C]),
  });
  const members = membersOf(status);

  it('counts the reachable members that would remain against a majority of them', () => {
    expect(removalOutlook(members, 'c')).toEqual({ remaining: 2, reachable: 2, majority: 2, stalls: false });
    expect(removalOutlook(members, 'b')).toEqual({ remaining: 2, reachable: 1, majority: 2, stalls: true });
    expect(removalOutlook(members, 'me')).toEqual({ remaining: 2, reachable: 1, majority: 2, stalls: true });
  });
});
