/** The hostile generator: deterministic, always encodable, covers every message type, and keeps its fairness contract. */
import { describe, expect, it } from 'vitest';
import { ballotsEqual } from '../../src-main/core/ballot';
import { isValidNodeId } from '../../src-main/core/config';
import { decodeMembershipChange } from '../../src-main/core/membership';
import { decodePayload, encodeBundle, encodeMessage } from '../../src-main/net/codec';
import { MAX_MESSAGE_BYTES } from '../../src-main/net/fragments';
import type { WireMessage } from '../../src-main/net/wire';
import { FIRST_FAR_SEQ, FIRST_FAR_SLOT } from './hostile-fields';
import { CORE_MESSAGE_TYPES, HostileGenerator, hostileCoreMessages, type HostileAction, type HostileView } from './hostile-messages';
import { WIRE_MESSAGE_TYPES } from '../support/random-messages';

const REAL = ['n1', 'n2', 'n3'];
const VIEW: HostileView = { self: 'mallory', realMembers: REAL, members: [...REAL, 'mallory'], leader: 'n2', leaderBallot: { round: 7, node: 'n2' }, leaderCommitIndex: 480, commitIndex: 500 };

/** A cluster whose ballots and slots a hostile member already pushed to the limit. */
const EXHAUSTED_VIEW: HostileView = { ...VIEW, leaderBallot: { round: Number.MAX_SAFE_INTEGER, node: 'n2' }, leaderCommitIndex: Number.MAX_SAFE_INTEGER, commitIndex: Number.MAX_SAFE_INTEGER };

function actions(seed: number, count: number, impersonationShare = 0.05, view = VIEW): HostileAction[] {
  const generator = new HostileGenerator({ seed, impersonationShare });
  return Array.from({ length: count }, () => generator.next(view));
}

function sent(action: HostileAction): readonly WireMessage[] {
  return action.kind === 'send' ? action.messages : [];
}

const isFar = (slot: number): boolean => slot === 0 || slot >= FIRST_FAR_SLOT;
const isReal = (id: string): boolean => REAL.includes(id);

/** The fairness contract of hostile-messages.ts, message by message; returns what it breaks. */
function unfairness(message: WireMessage, view: HostileView): string | null {
  const commitClaim = (ballot: { round: number; node: string }, commitIndex: number): string | null =>
    isReal(ballot.node) && commitIndex > 0 && !(ballotsEqual(ballot, view.leaderBallot) && commitIndex <= view.leaderCommitIndex) ? `commit index ${commitIndex} at real ballot ${ballot.round}.${ballot.node}` : null;
  switch (message.type) {
    case 'accept':
      if (!isFar(message.slot) && message.ballot.round > 1) return `accept at plausible slot ${message.slot}, ballot ${message.ballot.round}`;
      return commitClaim(message.ballot, message.commitIndex);
    case 'commit':
      return commitClaim(message.ballot, message.commitIndex);
    case 'accepted':
      return isReal(message.ballot.node) && !isFar(message.slot) ? `vote at real ballot for slot ${message.slot}` : null;
    case 'promise':
      if (message.ballot.node === message.to) return 'a vote for the receiver';
      return [...message.accepted, ...message.chosen].every((e) => isFar(e.slot)) ? null : 'promise entry at a plausible slot';
    case 'catchupReply':
      return message.entries.every((e) => isFar(e.slot)) ? null : 'catch-up entry at a plausible slot';
    case 'forward':
      for (const command of message.commands) {
        if (isReal(command.origin) && command.seq !== 0 && command.seq < FIRST_FAR_SEQ) return `command ${command.origin}/${command.seq} may collide`;
        const change = decodeMembershipChange(command.payload);
        if (change?.type === 'removeMember' && isReal(change.id)) return `removes ${change.id}`;
        if (change?.type === 'addMember' && isValidNodeId(change.id) && !view.members.includes(change.id)) return `adds ${change.id}`;
      }
      return null;
    default:
      return null;
  }
}

describe('HostileGenerator', () => {
  it('is deterministic for a seed', () => {
    expect(JSON.stringify(actions(42, 300))).toBe(JSON.stringify(actions(42, 300)));
    expect(JSON.stringify(actions(42, 50))).not.toBe(JSON.stringify(actions(43, 50)));
  });

  it('produces only messages the codec encodes and the transport can send, of every type and attack', () => {
    const types = new Set<string>();
    const attacks = new Set<string>();
    for (const [seed, view] of [[1, VIEW], [2, VIEW], [3, EXHAUSTED_VIEW]] as const) {
      for (const action of actions(seed, 1_000, 0.05, view)) {
        attacks.add(action.attack);
        const messages = sent(action);
        if (messages.length === 0) continue;
        const encoded = messages.map((m) => encodeMessage(m));
        const payload = encoded.length === 1 ? (encoded[0] as Uint8Array) : encodeBundle(encoded);
        expect(payload.length).toBeLessThan(MAX_MESSAGE_BYTES);
        expect(decodePayload(payload)).toHaveLength(messages.length);
        for (const message of messages) types.add(message.type);
      }
    }
    expect([...types].sort()).toEqual([...WIRE_MESSAGE_TYPES].sort());
    for (const attack of ['bundle', 'fragments', 'replay', 'sender-mismatch']) expect(attacks).toContain(attack);
  });

  it('keeps its fairness contract (no lie crash-fault Paxos could not survive), in answers too', () => {
    for (const seed of [5, 6]) {
      const generator = new HostileGenerator({ seed });
      for (let i = 0; i < 1_500; i++) {
        for (const message of sent(generator.next(VIEW))) expect(unfairness(message, VIEW), JSON.stringify(message).slice(0, 300)).toBeNull();
      }
      // The answers to what the rogue receives encode too, whatever the request said.
      for (const transferId of [0, 1, Number.MAX_SAFE_INTEGER]) {
        const request = { type: 'snapshotRequest', from: 'n1', to: 'mallory', transferId, offset: Number.MAX_SAFE_INTEGER } as const;
        for (let i = 0; i < 20; i++) for (const message of sent(generator.answerSnapshotRequest(request))) expect(() => encodeMessage(message)).not.toThrow();
      }
      const prepare = { type: 'prepare', from: 'n1', to: 'mallory', ballot: { round: 9, node: 'n1' }, fromSlot: 400 } as const;
      for (const message of sent(generator.answerPrepare(VIEW, prepare))) {
        expect(message.type === 'promise' && message.ballot).toEqual(prepare.ballot);
        expect(message.type === 'promise' && [...message.accepted, ...message.chosen].every((e) => isFar(e.slot))).toBe(true);
      }
    }
  });

  it('seals as a real member only when impersonation is enabled, in episodes that start a fresh epoch', () => {
    const sealedAsReal = (list: HostileAction[]): HostileAction[] => list.filter((a) => a.kind !== 'replay' && isReal(a.sealAs));
    expect(sealedAsReal(actions(9, 3_000, 0))).toEqual([]);
    const impersonated = sealedAsReal(actions(9, 3_000, 0.2));
    expect(impersonated.length).toBeGreaterThan(50);
    expect(impersonated.some((a) => a.kind === 'send' && a.freshEpoch)).toBe(true);
  });
});

describe('hostileCoreMessages', () => {
  it('yields core messages only, impersonating real members, and reports the commands they introduce', () => {
    const coreView: HostileView = { ...VIEW, self: null, members: REAL };
    const stream = hostileCoreMessages(11, () => coreView);
    for (let i = 0; i < 2_000; i++) {
      const { message, introduces } = stream.next().value;
      expect(CORE_MESSAGE_TYPES).toContain(message.type);
      expect(REAL).toContain(message.from);
      expect(unfairness(message, coreView)).toBeNull();
      if (message.type === 'forward') expect(introduces).toEqual(message.commands);
    }
  });
});
