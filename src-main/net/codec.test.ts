import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ZERO_BALLOT } from '../core/ballot';
import { randomInt, seededRandom } from '../core/random';
import { isValidNodeId } from '../core/config';
import { CODEC_VERSION, MAX_CONTROL_ISOLATE, decodeMessage, encodeMessage, isNodeIdByte, MalformedMessageError, MAX_NODE_ID_BYTES, MAX_TRACE_BATCH_RECORDS, bundleOverheadBytes, decodePayload, decodeSizedPayload, encodeBundle, TRACE_RECORD_TYPES, traceRecordBytes } from './codec';
import { randomMessage, sampleAccept, WIRE_MESSAGE_TYPES } from '../../test/support/random-messages';
import type { WireMessage } from './wire';

/** Decodes, or returns the MalformedMessageError; any other exception fails the test. */
function tryDecode(bytes: Uint8Array): WireMessage | MalformedMessageError {
  try {
    return decodeMessage(bytes);
  } catch (error) {
    if (error instanceof MalformedMessageError) return error;
    throw error;
  }
}

/** Either rejected as malformed, or a valid message whose canonical encoding is exactly `bytes`. */
function expectMalformedOrCanonical(bytes: Uint8Array): void {
  const result = tryDecode(bytes);
  if (result instanceof MalformedMessageError) return;
  // Compared by hand first: expect() per byte position would dominate the run time.
  if (!Buffer.from(encodeMessage(result)).equals(bytes)) expect(encodeMessage(result)).toEqual(bytes);
}

const b = { round: 3, node: 'n1' };
const examples: WireMessage[] = [
  { type: 'prevote', from: 'n1', to: 'n2', ballot: b, commitIndex: 10 },
  { type: 'prevoteReply', from: 'n2', to: 'n1', ballot: b, granted: true, commitIndex: 0 },
  { type: 'prevoteReply', from: 'n2', to: 'n1', ballot: b, granted: false, commitIndex: 0 },
  { type: 'prepare', from: 'n1', to: 'n3', ballot: b, fromSlot: 1 },
  {
    type: 'promise',
    from: 'n3',
    to: 'n1',
    ballot: b,
    fromSlot: 5,
    accepted: [{ slot: 5, ballot: { round: 2, node: 'n2' }, value: [{ origin: 'n2', seq: 1, payload: 'x' }] }],
    chosen: [{ slot: 6, value: [] }],
    commitIndex: 4,
  },
  { type: 'promise', from: 'n3', to: 'n1', ballot: b, fromSlot: 1, accepted: [], chosen: [], commitIndex: 0 },
  { type: 'nack', from: 'n2', to: 'n1', ballot: b, promised: ZERO_BALLOT, commitIndex: Number.MAX_SAFE_INTEGER },
  sampleAccept(3, 150),
  { type: 'accept', from: 'n1', to: 'n2', ballot: b, slot: 9, value: [], commitIndex: 8 },
  { type: 'accepted', from: 'n2', to: 'n1', ballot: b, slot: 2 ** 32 },
  { type: 'commit', from: 'n1', to: 'n2', ballot: b, commitIndex: 127 },
  { type: 'commitAck', from: 'n2', to: 'n1', ballot: b, commitIndex: 128 },
  {
    type: 'forward',
    from: 'n2',
    to: 'n1',
    commands: [
      { origin: 'n2', seq: 1, payload: '\ufeffstarts with a byte-order mark' },
      { origin: 'n2', seq: 2, payload: 'emoji 😀 and 漢字 and NUL \u0000' },
      { origin: 'n2', seq: 3, payload: '' },
      { origin: 'n2', seq: 4, payload: `${'long '.repeat(100)}😀` },
    ],
  },
  { type: 'catchupRequest', from: 'n3', to: 'n1', fromSlot: 1, toSlot: 256 },
  { type: 'catchupReply', from: 'n1', to: 'n3', entries: [{ slot: 1, value: [{ origin: 'n1', seq: 1, payload: 'p' }] }], commitIndex: 1, compactedThrough: 0 },
  { type: 'catchupReply', from: 'n1', to: 'n3', entries: [], commitIndex: 900, compactedThrough: 800 },
  { type: 'snapshotRequest', from: 'n3', to: 'n1', transferId: 0, offset: 0 },
  { type: 'snapshotChunk', from: 'n1', to: 'n3', transferId: 42, slot: 800, totalBytes: 3, offset: 0, data: new Uint8Array([0, 255, 7]) },
  { type: 'snapshotChunk', from: 'n1', to: 'n3', transferId: 42, slot: 800, totalBytes: 3, offset: 3, data: new Uint8Array(0) },
  { type: 'ping', from: 'n2', to: 'n3', commitIndex: 77 },
  { type: 'ping', from: 'n2', to: 'n3', commitIndex: 0, challenge: '0123456789abcdef' },
  { type: 'ping', from: 'n3', to: 'n2', commitIndex: 0, echo: 'ffffffffffffffff' },
  { type: 'takeover', from: 'n1', to: 'n2', ballot: b },
  { type: 'join', from: 'n4', to: 'any-member' },
  { type: 'joinReply', from: 'n1', to: 'n4', status: 'adding', reason: '', members: [{ id: 'n1', address: '127.0.0.1:7401' }, { id: 'n2', address: '[::1]:7402' }] },
  { type: 'joinReply', from: 'n1', to: 'n4', status: 'refused', reason: 'not a member 😀', members: [] },
  { type: 'traceRequest', from: 'n1', to: 'n2', leaseId: 3, leaseMs: 6_000, sentAt: 1_764_400_000_123 },
  { type: 'faultRequest', from: 'n1', to: 'n2', requestId: 1, ttlMs: 30_000, dropPpm: 200_000, delayMs: 50, isolate: ['n3', 'node-4'] },
  { type: 'faultRequest', from: 'n1', to: 'n2', requestId: 9, ttlMs: 0, dropPpm: 0, delayMs: 0, isolate: [] },
  { type: 'campaignRequest', from: 'n1', to: 'n2', requestId: 2 ** 40 },
  { type: 'crashRequest', from: 'n1', to: 'n2', requestId: 3, downMs: 8_000 },
  { type: 'controlAck', from: 'n2', to: 'n1', requestId: 1, applied: true, reason: '' },
  { type: 'controlAck', from: 'n2', to: 'n1', requestId: 2, applied: false, reason: 'only members may ask 😀' },
  { type: 'traceRequest', from: 'n1', to: 'n2', leaseId: 3, leaseMs: 0, sentAt: 1_764_400_000_124 },
  { type: 'traceClock', from: 'n2', to: 'n1', leaseId: 3, requestSentAt: 1_764_400_000_123, receivedAt: 1_764_400_000_125, sentAt: 1_764_400_000_125 },
  {
    type: 'traceBatch',
    from: 'n3',
    to: 'n1',
    leaseId: 3,
    seq: 1,
    sentAt: 1_764_400_000_400,
    skipped: 12,
    records: [
      { at: 1_764_400_000_300, direction: 'out', from: 'n3', to: 'n2', type: 'accepted', slot: 42, ballot: b, bytes: 14 },
      { at: 1_764_400_000_300, direction: 'in', from: 'n1', to: 'n3', type: 'promise', slot: 40, toSlot: 45, ballot: b, bytes: 300, dropped: true },
      { at: 1_764_400_000_301, direction: 'in', from: 'n9', to: 'any-member', type: 'join', bytes: 20 },
      { at: 1_764_400_000_350, direction: 'out', from: 'n3', to: 'n1', type: 'nack', ballot: ZERO_BALLOT },
    ],
  },
  { type: 'traceBatch', from: 'n3', to: 'n1', leaseId: 3, seq: 2, sentAt: 5, skipped: 0, records: [] },
];

describe('codec round trip', () => {
  it('covers every message type', () => {
    expect(new Set(examples.map((m) => m.type))).toEqual(new Set(WIRE_MESSAGE_TYPES));
  });

  it.each(examples.map((m, i) => [`${i} ${m.type}`, m] as const))('round-trips %s', (_, m) => {
    const bytes = encodeMessage(m);
    expect(bytes[0]).toBe(CODEC_VERSION);
    expect(decodeMessage(bytes)).toEqual(m);
  });

  it('round-trips 5000 random messages exactly, and re-encodes them to the same bytes', () => {
    const rng = seededRandom(20240601);
    for (let i = 0; i < 5000; i++) {
      const m = randomMessage(rng);
      const bytes = encodeMessage(m);
      const decoded = decodeMessage(bytes);
      // Checked by hand first: expect() on every message would dominate the run time.
      if (!isDeepStrictEqual(decoded, m)) expect(decoded).toEqual(m);
      if (!Buffer.from(encodeMessage(decoded)).equals(bytes)) expect(encodeMessage(decoded)).toEqual(bytes);
    }
  }, 30_000);

  it('round-trips every type with random fields', () => {
    const rng = seededRandom(7);
    for (const type of WIRE_MESSAGE_TYPES) {
      for (let i = 0; i < 100; i++) {
        const m = randomMessage(rng, type);
        const decoded = decodeMessage(encodeMessage(m));
        if (!isDeepStrictEqual(decoded, m)) expect(decoded).toEqual(m);
      }
    }
  }, 30_000);

  it('decodes from a Buffer and returns chunk data as an independent plain Uint8Array', () => {
    const m: WireMessage = { type: 'snapshotChunk', from: 'n1', to: 'n2', transferId: 1, slot: 1, totalBytes: 2, offset: 0, data: new Uint8Array([1, 2]) };
    const bytes = Buffer.from(encodeMessage(m));
    const decoded = decodeMessage(bytes);
    expect(decoded).toEqual(m);
    if (decoded.type !== 'snapshotChunk') throw new Error('wrong type');
    expect(Object.getPrototypeOf(decoded.data)).toBe(Uint8Array.prototype);
    bytes.fill(0);
    expect(Array.from(decoded.data)).toEqual([1, 2]);
  });

  it('is compact: a small accepted message takes a few bytes', () => {
    expect(encodeMessage({ type: 'accepted', from: 'n2', to: 'n1', ballot: b, slot: 123_456 }).length).toBe(15);
  });
});

describe('codec rejects malformed input', () => {
  it('rejects every truncation of random messages', () => {
    const rng = seededRandom(99);
    for (let i = 0; i < 60; i++) {
      const bytes = encodeMessage(randomMessage(rng));
      for (let length = 0; length < bytes.length; length++) {
        const result = tryDecode(bytes.subarray(0, length));
        if (!(result instanceof MalformedMessageError)) expect.fail(`a ${length}-byte truncation decoded`);
      }
    }
  }, 30_000);

  it('rejects trailing bytes', () => {
    const bytes = encodeMessage(examples[0] as WireMessage);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => decodeMessage(longer)).toThrow(/trailing/);
  });

  it('turns every flipped byte into a MalformedMessageError or another valid, canonical message', () => {
    const rng = seededRandom(5);
    for (let i = 0; i < 150; i++) {
      let bytes = encodeMessage(randomMessage(rng));
      // Long payloads add time, not coverage.
      while (bytes.length > 600) bytes = encodeMessage(randomMessage(rng));
      for (let at = 0; at < bytes.length; at++) {
        const flipped = bytes.slice();
        flipped[at] = (flipped[at] as number) ^ (1 + randomInt(rng, 255));
        expectMalformedOrCanonical(flipped);
      }
    }
  }, 30_000);

  it('never throws anything but MalformedMessageError on random bytes', () => {
    const rng = seededRandom(11);
    for (let i = 0; i < 20_000; i++) {
      const bytes = new Uint8Array(randomInt(rng, 40));
      for (let j = 0; j < bytes.length; j++) bytes[j] = randomInt(rng, 256);
      // Mostly well-formed prefixes, so that decoding gets past the version and type bytes.
      if (bytes.length > 2 && rng.next() < 0.8) {
        bytes[0] = CODEC_VERSION;
        bytes[1] = 1 + randomInt(rng, 14);
      }
      expectMalformedOrCanonical(bytes);
    }
  }, 30_000);

  // version 1, type 8 (commit), from "n1", to "n2", then a ballot and commit index.
  const commitHeader = [1, 8, 2, 0x6e, 0x31, 2, 0x6e, 0x32];
  const cases: [string, number[], RegExp][] = [
    ['an unknown version', [2, 8, 2, 0x6e, 0x31, 2, 0x6e, 0x32, 1, 2, 0x6e, 0x31, 0], /version/],
    ['an unknown type 0', [1, 0, 2, 0x6e, 0x31, 2, 0x6e, 0x32], /type/],
    ['an unknown type 26', [1, 26, 2, 0x6e, 0x31, 2, 0x6e, 0x32], /type/],
    ['an empty input', [], /truncated/],
    ['an overlong varint', [...commitHeader, 0x81, 0x00, 2, 0x6e, 0x31, 0], /overlong/],
    ['an integer above 2^53 - 1', [...commitHeader, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 2, 0x6e, 0x31, 0], /safe/],
    ['a nine-byte varint', [...commitHeader, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81, 0x01, 2, 0x6e, 0x31, 0], /too long/],
    ['invalid UTF-8', [1, 8, 2, 0xc3, 0x28, 2, 0x6e, 0x32, 1, 2, 0x6e, 0x31, 0], /UTF-8|node id/],
    ['an invalid node id', [1, 8, 3, 0x6e, 0x20, 0x31, 2, 0x6e, 0x32, 1, 2, 0x6e, 0x31, 0], /node id/],
    ['an empty node id', [1, 8, 0, 2, 0x6e, 0x32, 1, 2, 0x6e, 0x31, 0], /node id/],
    ['an ownerless ballot with a round', [...commitHeader, 5, 0, 0], /node id/],
    ['a ballot node that is not an id', [...commitHeader, 5, 1, 0x2f, 0], /node id/],
    ['a boolean 2', [1, 2, 2, 0x6e, 0x31, 2, 0x6e, 0x32, 1, 2, 0x6e, 0x31, 2, 0], /boolean/],
    ['an absurd string length', [1, 10, 2, 0x6e, 0x31, 2, 0x6e, 0x32, 1, 2, 0x6e, 0x31, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x61], /exceeds/],
    ['an absurd node id length', [1, 8, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x6e], /node id/],
    ['an absurd command count', [1, 10, 2, 0x6e, 0x31, 2, 0x6e, 0x32, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], /exceeds/],
  ];

  it.each(cases)('rejects %s', (_, bytes, pattern) => {
    expect(() => decodeMessage(Uint8Array.from(bytes))).toThrow(MalformedMessageError);
    expect(() => decodeMessage(Uint8Array.from(bytes))).toThrow(pattern);
  });

  it('validates node ids exactly as core/config.ts does', () => {
    for (let c = 0; c < 256; c++) expect(isNodeIdByte(c)).toBe(isValidNodeId(String.fromCharCode(c)));
    expect(isValidNodeId('a'.repeat(MAX_NODE_ID_BYTES))).toBe(true);
    expect(isValidNodeId('a'.repeat(MAX_NODE_ID_BYTES + 1))).toBe(false);
    const longId = Uint8Array.from([1, 8, 33, ...Array.from({ length: 33 }, () => 0x61), 2, 0x6e, 0x32, 1, 2, 0x6e, 0x31, 0]);
    expect(() => decodeMessage(longId)).toThrow(/node id/);
  });

  it('rejects a UTF-8 encoded surrogate in a payload', () => {
    const bytes = Array.from(encodeMessage({ type: 'forward', from: 'n1', to: 'n2', commands: [{ origin: 'n1', seq: 1, payload: 'abc' }] }));
    // The payload is the last field: replace its 3 bytes by ED A0 80 (U+D800 in "UTF-8").
    bytes.splice(bytes.length - 3, 3, 0xed, 0xa0, 0x80);
    expect(() => decodeMessage(Uint8Array.from(bytes))).toThrow(/UTF-8/);
  });

  it('rejects a ping probe kind other than none, challenge and echo', () => {
    const bytes = encodeMessage({ type: 'ping', from: 'n1', to: 'n2', commitIndex: 5, echo: '0011223344556677' });
    const probeAt = bytes.length - 9;
    expect(bytes[probeAt]).toBe(2);
    const bogus = bytes.slice();
    bogus[probeAt] = 3;
    expect(tryDecode(bogus)).toBeInstanceOf(MalformedMessageError);
  });

  it('accepts a well-formed hand-built commit', () => {
    expect(decodeMessage(Uint8Array.from([...commitHeader, 5, 2, 0x6e, 0x31, 0x80, 0x01]))).toEqual({
      type: 'commit',
      from: 'n1',
      to: 'n2',
      ballot: { round: 5, node: 'n1' },
      commitIndex: 128,
    });
  });
});

describe('codec refuses to encode invalid messages', () => {
  const base = { type: 'commit', from: 'n1', to: 'n2', ballot: b, commitIndex: 1 } as const;
  it.each([
    ['a negative integer', { ...base, commitIndex: -1 }],
    ['a fraction', { ...base, commitIndex: 1.5 }],
    ['an unsafe integer', { ...base, commitIndex: 2 ** 53 }],
    ['NaN', { ...base, commitIndex: Number.NaN }],
    ['an invalid sender id', { ...base, from: 'n 1' }],
    ['an empty destination', { ...base, to: '' }],
    ['an ownerless ballot with a round', { ...base, ballot: { round: 1, node: '' } }],
    ['a ballot owned by an invalid id', { ...base, ballot: { round: 1, node: 'x/y' } }],
    ['a ping with both a challenge and an echo', { type: 'ping', from: 'n1', to: 'n2', commitIndex: 0, challenge: '0123456789abcdef', echo: '0123456789abcdef' }],
    ['a ping challenge of upper-case hex', { type: 'ping', from: 'n1', to: 'n2', commitIndex: 0, challenge: '0123456789ABCDEF' }],
    ['a ping echo of the wrong length', { type: 'ping', from: 'n1', to: 'n2', commitIndex: 0, echo: '0123' }],
  ] as [string, WireMessage][])('rejects %s', (_, m) => {
    expect(() => encodeMessage(m)).toThrow(RangeError);
  });

  it('rejects lone surrogates in short and long strings instead of replacing them', () => {
    for (const payload of ['\ud800', 'a\udc00b', `${'x'.repeat(100)}\ud83d`, `${'x'.repeat(100)}\ude00y`]) {
      expect(() => encodeMessage({ type: 'forward', from: 'n1', to: 'n2', commands: [{ origin: 'n1', seq: 1, payload }] })).toThrow(/surrogate/);
    }
  });

  it('rejects an unknown type', () => {
    expect(() => encodeMessage({ ...base, type: 'bogus' } as unknown as WireMessage)).toThrow(/unknown message type/);
  });

  it('still encodes correctly after a refused message', () => {
    expect(() => encodeMessage({ ...base, commitIndex: -1 })).toThrow(RangeError);
    expect(decodeMessage(encodeMessage(base))).toEqual(base);
  });
});

describe('bundles', () => {
  const messages: WireMessage[] = [
    { type: 'accept', from: 'n1', to: 'n2', ballot: { round: 3, node: 'n1' }, slot: 9, value: [{ origin: 'n2', seq: 4, payload: 'hello' }], commitIndex: 8 },
    { type: 'commit', from: 'n1', to: 'n2', ballot: { round: 3, node: 'n1' }, commitIndex: 9 },
    { type: 'ping', from: 'n1', to: 'n2', commitIndex: 9 },
  ];

  it('carries several messages in one payload, in order; a single message is its own payload', () => {
    const bundle = encodeBundle(messages.map((m) => encodeMessage(m)));
    expect(decodePayload(bundle)).toEqual(messages);
    expect(decodePayload(encodeMessage(messages[0] as WireMessage))).toEqual([messages[0]]);
    expect(bundle.length).toBeLessThanOrEqual(messages.reduce((n, m) => n + encodeMessage(m).length, 0) + bundleOverheadBytes(3, 100));
    expect(() => encodeBundle([encodeMessage(messages[0] as WireMessage)])).toThrow(/at least two/);
  });

  it('rejects damaged bundles with MalformedMessageError, never anything else', () => {
    const bundle = encodeBundle(messages.map((m) => encodeMessage(m)));
    for (let cut = 2; cut < bundle.length; cut++) expect(() => decodePayload(bundle.subarray(0, cut))).toThrow(MalformedMessageError);
    expect(() => decodePayload(new Uint8Array([...bundle, 0]))).toThrow(/trailing/);
    expect(() => decodePayload(new Uint8Array([1, 0, 1, 1, 0]))).toThrow(MalformedMessageError);
  });
});

describe('cluster-trace messages', () => {
  const batch = examples.find((m) => m.type === 'traceBatch' && m.records.length > 0) as Extract<WireMessage, { type: 'traceBatch' }>;

  it('sizes a batch exactly as traceRecordBytes says (what members pack their batches by)', () => {
    const rng = seededRandom(31);
    for (let i = 0; i < 500; i++) {
      const m = randomMessage(rng, 'traceBatch');
      if (m.type !== 'traceBatch') throw new Error('wrong type');
      let expected = encodeMessage({ ...m, records: [] }).length;
      let previousAt: number | null = null;
      for (const record of m.records) {
        expected += traceRecordBytes(record, previousAt);
        previousAt = record.at;
      }
      expect(encodeMessage(m).length).toBe(expected);
    }
  });

  it('is compact: a record after the first takes a dozen bytes or so', () => {
    const one = encodeMessage({ ...batch, records: batch.records.slice(0, 1) }).length;
    const two = encodeMessage({ ...batch, records: batch.records.slice(0, 2) }).length;
    expect(two - one).toBeLessThan(20);
  });

  it('rejects unknown record flags, unknown record types and too many records', () => {
    // A batch's count is its last byte when it holds no record; a minimal record: flags, type, at 0, n3 → n1.
    const header = Array.from(encodeMessage({ ...batch, records: [] }).subarray(0, -1));
    const record = (flags: number, type: number): number[] => [flags, type, 0, 2, 0x6e, 0x33, 2, 0x6e, 0x31];
    const withRecords = (...records: number[][]): Uint8Array => Uint8Array.from([...header, records.length, ...records.flat()]);
    expect(decodeMessage(withRecords(record(0, 0)))).toMatchObject({ records: [{ at: 0, direction: 'out', from: 'n3', to: 'n1', type: 'prevote' }] });
    expect(() => decodeMessage(withRecords(record(64, 0)))).toThrow(/flags/);
    expect(() => decodeMessage(withRecords(record(0, TRACE_RECORD_TYPES.length)))).toThrow(/trace record type/);
    expect(decodeMessage(withRecords(...Array.from({ length: MAX_TRACE_BATCH_RECORDS }, () => record(1, 6))))).toMatchObject({ type: 'traceBatch' });
    expect(() => decodeMessage(withRecords(...Array.from({ length: MAX_TRACE_BATCH_RECORDS + 1 }, () => record(1, 6))))).toThrow(/records/);
  });

  it.each([
    ['records out of time order', { ...batch, records: [...batch.records].reverse() }],
    ['more records than a batch holds', { ...batch, records: Array.from({ length: MAX_TRACE_BATCH_RECORDS + 1 }, () => batch.records[0]!) }],
    ['a record of an unknown type', { ...batch, records: [{ ...batch.records[0]!, type: 'snapshotChunk' }] }],
    ['a record from an invalid id', { ...batch, records: [{ ...batch.records[0]!, from: 'n 3' }] }],
    ['a negative lease', { type: 'traceRequest', from: 'n1', to: 'n2', leaseId: 1, leaseMs: -1, sentAt: 0 }],
  ] as [string, WireMessage][])('refuses to encode %s', (_, m) => {
    expect(() => encodeMessage(m)).toThrow(RangeError);
  });

  it('reports the encoded size of each message of a payload', () => {
    const messages = examples.slice(-4);
    const encoded = messages.map((m) => encodeMessage(m));
    expect(decodeSizedPayload(encodeBundle(encoded)).map((sized) => sized.bytes)).toEqual(encoded.map((e) => e.length));
    expect(decodeSizedPayload(encoded[0]!)).toEqual([{ message: messages[0], bytes: encoded[0]!.length }]);
  });
});

describe('cluster-control messages', () => {
  it('a fault request isolating more than MAX_CONTROL_ISOLATE peers is refused by the encoder and the decoder', () => {
    const isolate = Array.from({ length: MAX_CONTROL_ISOLATE + 1 }, (_, i) => `p${i}`);
    const message: WireMessage = { type: 'faultRequest', from: 'n1', to: 'n2', requestId: 1, ttlMs: 1, dropPpm: 0, delayMs: 0, isolate };
    expect(() => encodeMessage(message)).toThrow(RangeError);
    // The same bytes built by hand: the count's byte is the one before the first id.
    const ok = encodeMessage({ ...message, isolate: isolate.slice(0, MAX_CONTROL_ISOLATE) });
    const countAt = ok.length - isolate.slice(0, MAX_CONTROL_ISOLATE).reduce((sum, id) => sum + 1 + id.length, 0) - 1;
    expect(ok[countAt]).toBe(MAX_CONTROL_ISOLATE);
    const extra = new TextEncoder().encode('pX');
    const forged = new Uint8Array([...ok.slice(0, countAt), MAX_CONTROL_ISOLATE + 1, ...ok.slice(countAt + 1), extra.length, ...extra]);
    expect(tryDecode(forged)).toBeInstanceOf(MalformedMessageError);
  });

  it('a control ack with a reason longer than 200 characters is refused both ways', () => {
    const message: WireMessage = { type: 'controlAck', from: 'n2', to: 'n1', requestId: 1, applied: false, reason: 'x'.repeat(201) };
    expect(() => encodeMessage(message)).toThrow(RangeError);
  });
});
