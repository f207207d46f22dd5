import { describe, expect, it } from 'vitest';
import { MAX_BALLOT_ROUND, ZERO_BALLOT } from './ballot';
import { DEFAULT_PROTOCOL_CONFIG } from './config';
import { checkMessage, promiseSpanSlots, type CheckView } from './message-check';
import type { Command, Message } from './types';

const view: CheckView = { commitIndex: 100, config: DEFAULT_PROTOCOL_CONFIG };
const b = { round: 3, node: 'b' };
const envelope = { from: 'b', to: 'a' } as const;
const command = (seq: number, payload = 'x', origin = 'b'): Command => ({ origin, seq, payload });

describe('checkMessage (the semantic validation boundary)', () => {
  const cases: [string, Message, string | null][] = [
    ['a normal accept', { ...envelope, type: 'accept', ballot: b, slot: 120, value: [command(1)], commitIndex: 100 }, null],
    ['an accept far above the commit index it announces', { ...envelope, type: 'accept', ballot: b, slot: 2 ** 50, value: [], commitIndex: 100 }, 'far-slot'],
    ['an accept at slot 0', { ...envelope, type: 'accept', ballot: b, slot: 0, value: [], commitIndex: 0 }, 'bad-slot'],
    ['an accept with the zero ballot', { ...envelope, type: 'accept', ballot: ZERO_BALLOT, slot: 1, value: [], commitIndex: 0 }, 'bad-ballot'],
    ['a prepare with a round beyond the maximum', { ...envelope, type: 'prepare', ballot: { round: MAX_BALLOT_ROUND + 1, node: 'b' }, fromSlot: 1 }, 'bad-ballot'],
    ['a command with seq 0', { ...envelope, type: 'forward', commands: [command(0)] }, 'bad-command'],
    ['an oversized command', { ...envelope, type: 'forward', commands: [command(1, 'x'.repeat(DEFAULT_PROTOCOL_CONFIG.maxCommandBytes + 1))] }, 'bad-command'],
    ['a command twice in one value', { ...envelope, type: 'forward', commands: [command(1), command(1)] }, 'bad-command'],
    ["a forward of another node's command", { ...envelope, type: 'forward', commands: [command(1, 'x', 'c')] }, 'foreign-command'],
    ['a catch-up request with toSlot 2^53 - 1', { ...envelope, type: 'catchupRequest', fromSlot: 1, toSlot: Number.MAX_SAFE_INTEGER }, null],
    ['a reversed catch-up range', { ...envelope, type: 'catchupRequest', fromSlot: 10, toSlot: 9 }, 'bad-range'],
    ['a catch-up reply beyond what we asked for', { ...envelope, type: 'catchupReply', entries: [{ slot: 2 ** 40, value: [] }], commitIndex: 2 ** 41, compactedThrough: 0 }, 'far-slot'],
    ['a catch-up reply out of order', { ...envelope, type: 'catchupReply', entries: [{ slot: 102, value: [] }, { slot: 101, value: [] }], commitIndex: 200, compactedThrough: 0 }, 'unordered-entries'],
    // Found by the simulator's hostile member (regressions.test.ts replays a seed): a commit at the
    // leader's own ballot in another member's name made the leader follow that member and forward its own
    // commands there, where they were dropped; they were never chosen.
    ["a commit at another node's ballot", { ...envelope, type: 'commit', ballot: { round: 3, node: 'a' }, commitIndex: 0 }, 'foreign-ballot'],
    ["an accept at another node's ballot", { ...envelope, type: 'accept', ballot: { round: 3, node: 'c' }, slot: 101, value: [], commitIndex: 100 }, 'foreign-ballot'],
    ["a prepare at another node's ballot", { ...envelope, type: 'prepare', ballot: { round: 3, node: 'a' }, fromSlot: 1 }, 'foreign-ballot'],
    ["a prevote at another node's ballot", { ...envelope, type: 'prevote', ballot: { round: 3, node: 'c' }, commitIndex: 0 }, 'foreign-ballot'],
    ["a takeover at another node's ballot", { ...envelope, type: 'takeover', ballot: { round: 3, node: 'a' } }, 'foreign-ballot'],
    ["a promise at the candidate's ballot (a reply carries the receiver's)", { ...envelope, type: 'promise', ballot: { round: 3, node: 'a' }, fromSlot: 1, accepted: [], chosen: [], commitIndex: 0 }, null],
    ['a nack of nothing promised', { ...envelope, type: 'nack', ballot: b, promised: ZERO_BALLOT, commitIndex: 0 }, null],
    [
      'a promise reporting a far slot',
      { ...envelope, type: 'promise', ballot: b, fromSlot: 5, accepted: [{ slot: 5 + promiseSpanSlots(DEFAULT_PROTOCOL_CONFIG), ballot: b, value: [] }], chosen: [], commitIndex: 0 },
      'far-slot',
    ],
    ['a promise reporting a slot below fromSlot', { ...envelope, type: 'promise', ballot: b, fromSlot: 5, accepted: [], chosen: [{ slot: 4, value: [] }], commitIndex: 4 }, 'unordered-entries'],
    ['a normal promise', { ...envelope, type: 'promise', ballot: b, fromSlot: 5, accepted: [{ slot: 6, ballot: b, value: [command(2)] }], chosen: [{ slot: 5, value: [] }], commitIndex: 5 }, null],
  ];
  for (const [name, message, expected] of cases) {
    it(`${expected === null ? 'admits' : 'drops'} ${name}`, () => expect(checkMessage(message, view)).toBe(expected));
  }
});
