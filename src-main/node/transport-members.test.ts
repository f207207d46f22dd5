import { describe, expect, it } from 'vitest';
import { bootstrapMembership, type Member, type MembershipState } from '../core/membership';
import type { NodeId } from '../core/types';
import type { HostPort } from '../net/address';
import { UNKNOWN_ADDRESS } from '../net/udp-transport';
import type { LogFields } from './logger';
import { peersOf, TransportMembers } from './transport-members';

const member = (id: string, address = `10.0.0.${id.slice(1)}:7400`): Member => ({ id, address });

/** Transport members over a fake transport, whose peers are whatever it was last given. */
function transportMembers(membership: MembershipState | null, contactMembers: readonly Member[] = []) {
  const world = {
    membership,
    contactMembers,
    peers: new Map<NodeId, HostPort>(),
    forgotten: [] as NodeId[],
    events: [] as { name: string; fields: LogFields | undefined }[],
    setMembersCalls: 0,
  };
  const members = new TransportMembers({
    self: 'n1',
    membership: () => world.membership,
    contactMembers: () => world.contactMembers,
    transportPeers: () => [...world.peers].map(([id, address]) => ({ id, address: `${address.host}:${address.port}` })),
    setTransportMembers: (peers) => {
      world.setMembersCalls++;
      world.peers = new Map(peers);
    },
    forget: (peer) => world.forgotten.push(peer),
    logger: { event: (name, fields) => world.events.push({ name, fields }) },
  });
  return { members, world };
}

describe('transport members', () => {
  it('are the other members, at the address the transport follows them at, else the recorded one', () => {
    const peers = peersOf('n1', [member('n1'), member('n2'), member('n3'), member('n4', '0.0.0.0')], new Map([['n3', '192.168.1.3:7400']]));
    expect(peers).toEqual(
      new Map([
        ['n2', { host: '10.0.0.2', port: 7400 }],
        ['n3', { host: '192.168.1.3', port: 7400 }],
        ['n4', UNKNOWN_ADDRESS],
      ]),
    );
  });

  it('follow the membership, or the join contact members before it is known, and forget the peers that left', () => {
    const { members, world } = transportMembers(null, [member('n2')]);
    members.sync();
    expect([...world.peers.keys()]).toEqual(['n2']);
    world.membership = bootstrapMembership([member('n1'), member('n3'), member('n4')]);
    members.sync();
    expect([...world.peers.keys()]).toEqual(['n3', 'n4']);
    expect(world.forgotten).toEqual(['n2']);
    expect(world.events).toEqual([
      { name: 'members', fields: { peers: 'n2' } },
      { name: 'members', fields: { peers: 'n3,n4' } },
    ]);
  });

  it('do nothing while the epochs stay the same, nor when the same members come in new epochs', () => {
    const membership = bootstrapMembership([member('n1'), member('n2')]);
    const { members, world } = transportMembers(membership);
    members.sync();
    members.sync();
    expect(world.setMembersCalls).toBe(1);
    world.membership = { ...membership, epochs: [...membership.epochs] };
    members.sync();
    expect(world.setMembersCalls).toBe(1);
    expect(world.events).toHaveLength(1);
  });
});
