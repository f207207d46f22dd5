import { describe, expect, it } from 'vitest';
import { ZERO_BALLOT, type Ballot } from './ballot';
import { DEFAULT_PROTOCOL_CONFIG, type ProtocolConfig } from './config';
import { encodeMembershipChange, applyMembershipSlot, bootstrapMembership, MAX_MEMBERS } from './membership';
import { messageSizeBound } from './message-size';
import { seededRandom } from './random';
import { Replica } from './replica';
import { isEmptyReady, type ChosenEntry, type Command, type Message, type NodeId, type Ready, type SlotValue } from './types';

/**
 * Size and range bounds of the core (issue: a send never kills a node; one datagram never hangs a
 * replica): promises, catch-up replies and Readys stay bounded whatever a peer asks for.
 */

/** Small limits so a few dozen slots reach them: 1,000-byte batches, 140 KB messages. */
const SMALL: Partial<ProtocolConfig> = { maxBatchBytes: 1_000, maxCommandBytes: 100, maxCatchupBytes: 2_000, maxMessageBytes: 140_000 };

function fullSlot(slot: number): SlotValue {
  // Nine 100-byte commands: about 1,000 encoded bytes, a full batch.
  return Array.from({ length: 9 }, (_, i): Command => ({ origin: 'a', seq: slot * 10 + i + 1, payload: 'x'.repeat(90) }));
}

/** Replica `a` of {a, b, c} that knows `slots` full slots are chosen. */
function replicaWithChosen(slots: number, config: Partial<ProtocolConfig> = SMALL): { replica: Replica; drain: () => Ready[] } {
  const chosen: ChosenEntry[] = Array.from({ length: slots }, (_, i) => ({ slot: i + 1, value: fullSlot(i + 1) }));
  const replica = new Replica({
    id: 'a',
    members: ['a', 'b', 'c'],
    rng: seededRandom(1),
    config,
    durable: { promised: ZERO_BALLOT, accepted: [], chosen, proposals: [], appliedIndex: 0, compactedThrough: 0, ledger: [], membership: null },
  });
  const drain = (): Ready[] => {
    const readies: Ready[] = [];
    for (;;) {
      const ready = replica.ready();
      replica.advance(ready);
      if (isEmptyReady(ready)) return readies;
      readies.push(ready);
    }
  };
  return { replica, drain };
}

const ballot = (round: number, node: NodeId): Ballot => ({ round, node });

function sent(readies: readonly Ready[]): Message[] {
  return readies.flatMap((r) => r.messages);
}

describe('core size and range bounds', () => {
  it('refuses a prepare whose promise would not fit a message, without promising anything', () => {
    const { replica, drain } = replicaWithChosen(200);
    drain();
    replica.step({ type: 'prepare', from: 'b', to: 'a', ballot: ballot(5, 'b'), fromSlot: 1 });
    const readies = drain();
    const replies = sent(readies);
    expect(replies.map((m) => m.type)).toEqual(['nack']);
    expect(replies[0]).toMatchObject({ commitIndex: 200 });
    expect(readies.every((r) => r.persist.promised === null)).toBe(true);
    expect(replica.status().promised).toEqual(ZERO_BALLOT);
  });

  it('refuses a prepare when the slots it accepted alone would not fit a promise (a member far behind, accepting while it catches up)', () => {
    // Found by the simulator (seed 1569 of 2,000): 299 accepted slots, none known chosen, a 443 KB promise.
    const accepted = Array.from({ length: 200 }, (_, i) => ({ slot: i + 1, ballot: ballot(3, 'c'), value: fullSlot(i + 1) }));
    const replica = new Replica({
      id: 'a',
      members: ['a', 'b', 'c'],
      rng: seededRandom(1),
      config: SMALL,
      durable: { promised: ballot(3, 'c'), accepted, chosen: [], proposals: [], appliedIndex: 0, compactedThrough: 0, ledger: [], membership: null },
    });
    const drain = (): Ready[] => {
      const readies: Ready[] = [];
      for (let ready = replica.ready(); ; ready = replica.ready()) {
        replica.advance(ready);
        if (isEmptyReady(ready)) return readies;
        readies.push(ready);
      }
    };
    drain();
    replica.step({ type: 'prepare', from: 'b', to: 'a', ballot: ballot(5, 'b'), fromSlot: 1 });
    const replies = sent(drain());
    expect(replies.map((m) => m.type)).toEqual(['nack']);
    expect(replica.status().promised).toEqual(ballot(3, 'c'));
  });

  it('promises to a candidate that is only a little behind, within maxMessageBytes', () => {
    const { replica, drain } = replicaWithChosen(200);
    drain();
    replica.step({ type: 'prepare', from: 'b', to: 'a', ballot: ballot(5, 'b'), fromSlot: 198 });
    const replies = sent(drain());
    const promise = replies.find((m) => m.type === 'promise');
    expect(promise).toBeDefined();
    expect(promise?.type === 'promise' && promise.chosen.map((e) => e.slot)).toEqual([198, 199, 200]);
    for (const message of replies) expect(messageSizeBound(message)).toBeLessThanOrEqual(140_000);
  });

  it('denies a pre-vote to a candidate whose promise would not fit', () => {
    const { replica, drain } = replicaWithChosen(200);
    drain();
    replica.step({ type: 'prevote', from: 'b', to: 'a', ballot: ballot(5, 'b'), commitIndex: 10 });
    const reply = sent(drain()).find((m) => m.type === 'prevoteReply');
    expect(reply?.type === 'prevoteReply' && reply.granted).toBe(false);
  });

  it('answers a catch-up request for an absurd range with a bounded scan and a bounded reply', () => {
    const { replica, drain } = replicaWithChosen(200);
    drain();
    const started = performance.now();
    replica.step({ type: 'catchupRequest', from: 'b', to: 'a', fromSlot: 1, toSlot: Number.MAX_SAFE_INTEGER });
    const reply = sent(drain()).find((m) => m.type === 'catchupReply');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(reply?.type === 'catchupReply' && reply.entries.length).toBeGreaterThan(0);
    expect(messageSizeBound(reply as Message)).toBeLessThanOrEqual(2_000 + 200);
    // Far beyond anything known: an empty reply, found without walking 2^53 slots.
    replica.step({ type: 'catchupRequest', from: 'b', to: 'a', fromSlot: 2 ** 52, toSlot: Number.MAX_SAFE_INTEGER });
    const far = sent(drain()).find((m) => m.type === 'catchupReply');
    expect(far?.type === 'catchupReply' && far.entries).toEqual([]);
  });

  it('ignores accepts far above its commit index (they would make its promises unbounded) but still follows the leader', () => {
    const { replica, drain } = replicaWithChosen(0, {});
    drain();
    const window = DEFAULT_PROTOCOL_CONFIG.acceptWindowSlots;
    replica.step({ type: 'accept', from: 'b', to: 'a', ballot: ballot(1, 'b'), slot: window + 1, value: [], commitIndex: 0 });
    const far = drain();
    expect(far.flatMap((r) => r.persist.accepted)).toEqual([]);
    expect(replica.status().leader).toBe('b');
    replica.step({ type: 'accept', from: 'b', to: 'a', ballot: ballot(1, 'b'), slot: window, value: [], commitIndex: 0 });
    const near = drain();
    expect(near.flatMap((r) => r.persist.accepted).map((e) => e.slot)).toEqual([window]);
    expect(sent(near).map((m) => m.type)).toContain('accepted');
  });

  it('hands committed slots to the runtime at most maxCommittedCommandsPerReady commands per Ready', () => {
    const { drain } = replicaWithChosen(100, { ...SMALL, maxCommittedCommandsPerReady: 20 });
    const readies = drain();
    const perReady = readies.map((r) => r.committed.reduce((n, e) => n + e.value.length, 0)).filter((n) => n > 0);
    expect(perReady.every((n) => n <= 20)).toBe(true);
    expect(readies.flatMap((r) => r.committed).map((e) => e.slot)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('a replica far behind a peer fetches a snapshot instead of replaying the log', () => {
    const { replica, drain } = replicaWithChosen(0, {});
    drain();
    replica.step({ type: 'commit', from: 'b', to: 'a', ballot: ballot(1, 'b'), commitIndex: DEFAULT_PROTOCOL_CONFIG.snapshotCatchupSlots + 10 });
    replica.tick();
    const readies = drain();
    expect(readies.some((r) => r.snapshotFrom === 'b')).toBe(true);
    expect(sent(readies).some((m) => m.type === 'catchupRequest')).toBe(false);
  });
});

describe('membership commands from an untrusted log', () => {
  const state = bootstrapMembership([{ id: 'a', address: '127.0.0.1:1' }]);
  const chosenAt = (payload: string) => applyMembershipSlot(state, 1, [{ origin: 'a', seq: 1, payload }]);

  it('rejects an addMember with an invalid id or address instead of applying it', () => {
    const badId = chosenAt(JSON.stringify(['addMember', 'bad id!', '127.0.0.1:9']));
    expect([...badId.outcomes.values()][0]).toMatchObject({ status: 'rejected', reason: 'invalid-change' });
    expect(badId.state.epochs).toBe(state.epochs);
    const badAddress = chosenAt(encodeMembershipChange({ type: 'addMember', id: 'b', address: 'x y\n' }));
    expect([...badAddress.outcomes.values()][0]).toMatchObject({ status: 'rejected', reason: 'invalid-change' });
  });

  it(`rejects growing a cluster beyond ${MAX_MEMBERS} members`, () => {
    const full = bootstrapMembership(Array.from({ length: MAX_MEMBERS }, (_, i) => ({ id: `n${i}`, address: '' })));
    const { outcomes } = applyMembershipSlot(full, 1, [{ origin: 'n0', seq: 1, payload: encodeMembershipChange({ type: 'addMember', id: 'one-more', address: '' }) }]);
    expect([...outcomes.values()][0]).toMatchObject({ status: 'rejected', reason: 'too-many-members' });
  });
});
