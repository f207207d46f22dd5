/**
 * Random and sample WireMessages for the codec's property tests and benchmark, and the building blocks
 * of the hostile-member fuzzer (test/fuzz). Test code: no production module imports it.
 *
 * The generator aims at the codec's edges: integers at varint boundaries and up to
 * Number.MAX_SAFE_INTEGER, ZERO_BALLOT, empty and long lists, strings with multi-byte and astral
 * characters, NUL and a leading byte-order mark. Deterministic for a given RandomSource.
 */
import { ZERO_BALLOT, type Ballot } from '../../src-main/core/ballot';
import { randomInt, type RandomSource } from '../../src-main/core/random';
import type { AcceptedEntry, AcceptMessage, AcceptedMessage, ChosenEntry, Command, SlotValue } from '../../src-main/core/types';
import type { TraceMessage } from '../../shared/domain';
import { MAX_CONTROL_ISOLATE, MAX_TRACE_BATCH_RECORDS, TRACE_RECORD_TYPES, WIRE_MESSAGE_TYPES } from '../../src-main/net/codec';
import type { WireMessage, WireMessageType } from '../../src-main/net/wire';

export { WIRE_MESSAGE_TYPES };

const ID_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const COMMON_IDS = ['n1', 'n2', 'n3', 'node-4', 'Z'];
const BOUNDARY_INTEGERS = [0, 1, 127, 128, 255, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 49, Number.MAX_SAFE_INTEGER];
const TEXT_PIECES = ['a', 'Z', ' ', '"', '\\', '\u0000', '\u007f', 'é', 'ß', '\u07ff', '\u0800', '€', '漢', '\uffff', '\ufeff', '😀', '\u{10ffff}', '#paxos'];

function pick<T>(rng: RandomSource, items: readonly T[]): T {
  return items[randomInt(rng, items.length)] as T;
}

export function randomNodeId(rng: RandomSource): string {
  if (rng.next() < 0.6) return pick(rng, COMMON_IDS);
  const length = 1 + randomInt(rng, 32);
  let id = '';
  for (let i = 0; i < length; i++) id += ID_CHARACTERS[randomInt(rng, ID_CHARACTERS.length)];
  return id;
}

export function randomUint(rng: RandomSource): number {
  const r = rng.next();
  if (r < 0.3) return randomInt(rng, 200);
  if (r < 0.5) return pick(rng, BOUNDARY_INTEGERS);
  if (r < 0.8) return randomInt(rng, 2 ** 32);
  // Up to 2^53 - 1: 21 high bits and 32 low bits.
  return randomInt(rng, 2 ** 21) * 2 ** 32 + randomInt(rng, 2 ** 32);
}

export function randomText(rng: RandomSource, maxPieces = 60): string {
  const pieces = randomInt(rng, maxPieces + 1);
  let text = '';
  for (let i = 0; i < pieces; i++) {
    const r = rng.next();
    if (r < 0.6) text += String.fromCharCode(0x20 + randomInt(rng, 0x5f));
    else if (r < 0.9) text += pick(rng, TEXT_PIECES);
    else {
      // Any non-ASCII BMP character outside the surrogate range [0xd800, 0xe000).
      const c = 0x80 + randomInt(rng, 0xd800 - 0x80 + 0x2000);
      text += String.fromCharCode(c < 0xd800 ? c : c + 0x800);
    }
  }
  return text;
}

function randomBallot(rng: RandomSource): Ballot {
  return rng.next() < 0.15 ? ZERO_BALLOT : { round: randomUint(rng), node: randomNodeId(rng) };
}

function randomCommand(rng: RandomSource): Command {
  return { origin: randomNodeId(rng), seq: randomUint(rng), payload: randomText(rng, rng.next() < 0.1 ? 400 : 40) };
}

function randomList<T>(rng: RandomSource, item: (rng: RandomSource) => T, maxItems: number): T[] {
  const count = rng.next() < 0.2 ? 0 : randomInt(rng, maxItems + 1);
  return Array.from({ length: count }, () => item(rng));
}

function randomValue(rng: RandomSource): SlotValue {
  return randomList(rng, randomCommand, 6);
}

function randomChosen(rng: RandomSource): ChosenEntry {
  return { slot: randomUint(rng), value: randomValue(rng) };
}

function randomAccepted(rng: RandomSource): AcceptedEntry {
  return { slot: randomUint(rng), ballot: randomBallot(rng), value: randomValue(rng) };
}

function randomBytes(rng: RandomSource, maxBytes: number): Uint8Array {
  const bytes = new Uint8Array(randomInt(rng, maxBytes + 1));
  for (let i = 0; i < bytes.length; i++) bytes[i] = randomInt(rng, 256);
  return bytes;
}

/** Trace records in time order (what the codec requires), every optional field present or not. */
export function randomTraceRecords(rng: RandomSource, maxRecords: number = MAX_TRACE_BATCH_RECORDS): TraceMessage[] {
  const count = rng.next() < 0.2 ? 0 : randomInt(rng, maxRecords + 1);
  let at = rng.next() < 0.5 ? 1_700_000_000_000 + randomInt(rng, 2 ** 30) : randomInt(rng, 2 ** 32);
  return Array.from({ length: count }, () => {
    at += rng.next() < 0.5 ? 0 : randomInt(rng, rng.next() < 0.9 ? 100 : 2 ** 20);
    const record: { -readonly [K in keyof TraceMessage]: TraceMessage[K] } = { at, direction: rng.next() < 0.5 ? 'in' : 'out', from: randomNodeId(rng), to: randomNodeId(rng), type: pick(rng, TRACE_RECORD_TYPES) };
    if (rng.next() < 0.7) record.slot = randomUint(rng);
    if (rng.next() < 0.2) record.toSlot = randomUint(rng);
    if (rng.next() < 0.5) record.ballot = randomBallot(rng);
    if (rng.next() < 0.8) record.bytes = randomUint(rng);
    if (rng.next() < 0.1) record.dropped = true;
    return record;
  });
}

/** A random message of `type` (a random type when omitted). */
export function randomMessage(rng: RandomSource, type: WireMessageType = pick(rng, WIRE_MESSAGE_TYPES)): WireMessage {
  const from = randomNodeId(rng);
  const to = randomNodeId(rng);
  switch (type) {
    case 'prevote':
      return { type, from, to, ballot: randomBallot(rng), commitIndex: randomUint(rng) };
    case 'prevoteReply':
      return { type, from, to, ballot: randomBallot(rng), granted: rng.next() < 0.5, commitIndex: randomUint(rng) };
    case 'prepare':
      return { type, from, to, ballot: randomBallot(rng), fromSlot: randomUint(rng) };
    case 'promise':
      return { type, from, to, ballot: randomBallot(rng), fromSlot: randomUint(rng), accepted: randomList(rng, randomAccepted, 4), chosen: randomList(rng, randomChosen, 4), commitIndex: randomUint(rng) };
    case 'nack':
      return { type, from, to, ballot: randomBallot(rng), promised: randomBallot(rng), commitIndex: randomUint(rng) };
    case 'accept':
      return { type, from, to, ballot: randomBallot(rng), slot: randomUint(rng), value: randomValue(rng), commitIndex: randomUint(rng) };
    case 'accepted':
      return { type, from, to, ballot: randomBallot(rng), slot: randomUint(rng) };
    case 'commit':
    case 'commitAck':
      return { type, from, to, ballot: randomBallot(rng), commitIndex: randomUint(rng) };
    case 'forward':
      return { type, from, to, commands: randomValue(rng) };
    case 'catchupRequest':
      return { type, from, to, fromSlot: randomUint(rng), toSlot: randomUint(rng) };
    case 'catchupReply':
      return { type, from, to, entries: randomList(rng, randomChosen, 4), commitIndex: randomUint(rng), compactedThrough: randomUint(rng) };
    case 'snapshotRequest':
      return { type, from, to, transferId: randomUint(rng), offset: randomUint(rng) };
    case 'snapshotChunk':
      return { type, from, to, transferId: randomUint(rng), slot: randomUint(rng), totalBytes: randomUint(rng), offset: randomUint(rng), data: randomBytes(rng, 300) };
    case 'ping':
      return { type, from, to, commitIndex: randomUint(rng) };
    case 'takeover':
      return { type, from, to, ballot: randomBallot(rng) };
    case 'join':
      return { type, from, to };
    case 'joinReply':
      return { type, from, to, status: pick(rng, ['adding', 'member', 'busy', 'refused'] as const), reason: randomNodeId(rng), members: randomList(rng, (r) => ({ id: randomNodeId(r), address: `127.0.0.1:${randomInt(r, 65536)}` }), 4) };
    case 'traceRequest':
      return { type, from, to, leaseId: randomUint(rng), leaseMs: randomUint(rng), sentAt: randomUint(rng) };
    case 'traceClock':
      return { type, from, to, leaseId: randomUint(rng), requestSentAt: randomUint(rng), receivedAt: randomUint(rng), sentAt: randomUint(rng) };
    case 'traceBatch':
      return { type, from, to, leaseId: randomUint(rng), seq: randomUint(rng), sentAt: randomUint(rng), skipped: randomUint(rng), records: randomTraceRecords(rng, rng.next() < 0.8 ? 8 : MAX_TRACE_BATCH_RECORDS) };
    case 'faultRequest':
      return { type, from, to, requestId: randomUint(rng), ttlMs: randomUint(rng), dropPpm: randomUint(rng), delayMs: randomUint(rng), isolate: randomList(rng, randomNodeId, MAX_CONTROL_ISOLATE) };
    case 'campaignRequest':
      return { type, from, to, requestId: randomUint(rng) };
    case 'crashRequest':
      return { type, from, to, requestId: randomUint(rng), downMs: randomUint(rng) };
    case 'controlAck':
      return { type, from, to, requestId: randomUint(rng), applied: rng.next() < 0.5, reason: randomNodeId(rng) };
  }
}

/** A tweet command payload as the app encodes it (app/commands.ts), about `textChars` + 30 bytes. */
export function tweetPayload(at: number, textChars: number): string {
  const words = 'consensus is reached when a majority of acceptors accept the same ballot ';
  return JSON.stringify(['tweet', at, words.repeat(Math.ceil(textChars / words.length)).slice(0, textChars)]);
}

/** A leader's accept carrying `commands` tweets of about `payloadBytes` each, from several origins. */
export function sampleAccept(commands: number, payloadBytes: number): AcceptMessage {
  const at = 1_700_000_000_000;
  const value: Command[] = Array.from({ length: commands }, (_, i) => ({
    origin: `n${(i % 3) + 1}`,
    seq: 10_000 + i,
    payload: tweetPayload(at + i, Math.max(0, payloadBytes - 30)),
  }));
  return { type: 'accept', from: 'n1', to: 'n2', ballot: { round: 7, node: 'n1' }, slot: 123_456, value, commitIndex: 123_400 };
}

export function sampleAccepted(): AcceptedMessage {
  return { type: 'accepted', from: 'n2', to: 'n1', ballot: { round: 7, node: 'n1' }, slot: 123_456 };
}
