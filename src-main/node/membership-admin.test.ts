import { describe, expect, it } from 'vitest';
import type { CommandReceipt } from '../../shared/domain';
import { bootstrapMembership, decodeMembershipChange, type MembershipState } from '../core/membership';
import type { Command, NodeId } from '../core/types';
import type { WireMessage } from '../net/wire';
import { silentLogger } from './logger';
import { MembershipAdmin, type MembershipAdminContext } from './membership-admin';

function admin(options: { members?: readonly NodeId[]; reachable?: readonly NodeId[]; newcomerAddress?: string | null } = {}) {
  const membership: MembershipState = bootstrapMembership((options.members ?? ['n1', 'n2', 'n3']).map((id) => ({ id, address: `10.0.0.${id.slice(1)}:7400` })));
  const proposed: string[] = [];
  const sent: WireMessage[] = [];
  let seq = 0;
  const ctx: MembershipAdminContext = {
    id: 'n1',
    membership: () => membership,
    isMember: () => true,
    propose: (payload) => {
      proposed.push(payload);
      const command: Command = { origin: 'n1', seq: ++seq, payload };
      return { ok: true as const, command };
    },
    wait: () => new Promise<CommandReceipt>(() => undefined),
    reachablePeers: () => new Set(options.reachable ?? ['n2', 'n3']),
    send: (message) => sent.push(message),
    setJoinContact: () => undefined,
    strangerAddress: () => (options.newcomerAddress === undefined ? '10.0.0.9:7400' : options.newcomerAddress),
    onContactMembers: () => undefined,
    logger: silentLogger,
  };
  return { admin: new MembershipAdmin(ctx), proposed, sent };
}

const refusal = async (promise: Promise<unknown>): Promise<{ kind: string; message: string }> => {
  const error = (await promise.then(
    () => null,
    (e: unknown) => e,
  )) as { kind: string; message: string } | null;
  if (error === null) throw new Error('expected a refusal');
  return error;
};

describe('membership administration', () => {
  it('refuses to remove a non-member or the last member, and asks for confirmation when the rest would stall', async () => {
    expect((await refusal(admin().admin.removeMember('n7', false))).message).toMatch(/not a member/);
    expect((await refusal(admin({ members: ['n1'] }).admin.removeMember('n1', false))).message).toMatch(/last member/);
    // n2 and n3 unreachable: removing n3 leaves n1 and n2, of which only n1 is reachable: no majority.
    const stalled = admin({ reachable: [] });
    const error = await refusal(stalled.admin.removeMember('n3', false));
    expect(error.kind).toBe('needs-consent');
    expect(error.message).toMatch(/Only 1 of the 2 members that would remain are reachable/);
    expect(stalled.proposed).toEqual([]);
    // With force it is proposed.
    void stalled.admin.removeMember('n3', true);
    expect(stalled.proposed.map((payload) => decodeMembershipChange(payload))).toEqual([{ type: 'removeMember', id: 'n3' }]);
  });

  it('proposes one change at a time, and the next once the first is chosen', async () => {
    const { admin: a, proposed } = admin();
    void a.removeMember('n3', false);
    expect((await refusal(a.removeMember('n2', false))).message).toMatch(/under way/);
    a.noteChosen(5, { origin: 'n1', seq: 1, payload: proposed[0] as string }, { status: 'accepted', change: { type: 'removeMember', id: 'n3' }, effectiveSlot: 69 });
    void a.removeMember('n2', false);
    expect(proposed).toHaveLength(2);
  });

  it('answers every join, proposes addMember once per newcomer at the address its datagram came from', () => {
    const { admin: a, proposed, sent } = admin();
    a.onJoin('n9');
    a.onJoin('n9');
    expect(proposed.map((payload) => decodeMembershipChange(payload))).toEqual([{ type: 'addMember', id: 'n9', address: '10.0.0.9:7400' }]);
    expect(sent.filter((m) => m.type === 'joinReply')).toHaveLength(2);
  });

  it('proposes nothing for a newcomer whose address it does not know', () => {
    const { admin: a, proposed, sent } = admin({ newcomerAddress: null });
    a.onJoin('n9');
    expect(proposed).toEqual([]);
    expect(sent).toHaveLength(1);
  });
});
