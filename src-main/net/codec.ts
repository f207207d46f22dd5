/**
 * The binary encoding of WireMessages, the body of every datagram (before fragmentation and sealing).
 *
 * Layout: u8 codec version (1) | u8 message type | from | to | the type's fields in declaration order.
 *   integer   unsigned LEB128 varint, at most 8 bytes, value <= Number.MAX_SAFE_INTEGER
 *   string    varint byte length + UTF-8 bytes
 *   bytes     varint length + raw bytes
 *   boolean   u8 0 or 1
 *   ballot    integer round + string node ('' only with round 0, i.e. ZERO_BALLOT)
 *   list      varint count + elements (a value is a list of commands: origin, seq, payload)
 *   probe     (ping only, after commitIndex) u8 0 none, 1 challenge, 2 echo; then, unless 0, the 64-bit
 *             value as 8 raw bytes (16 lowercase hex digits in the message)
 *   trace record (traceBatch only) u8 flags (TRACE_FLAG_*; no other bits) | u8 message type (index in
 *             TRACE_RECORD_TYPES) | at: the first record's as an integer, every later one as the integer
 *             difference from the previous (so `at` never decreases) | from | to | then, as the flags say,
 *             slot, toSlot, ballot, bytes. A batch holds at most MAX_TRACE_BATCH_RECORDS records.
 *
 * Invariants:
 *  - decodeMessage(encodeMessage(m)) deep-equals m for every valid message.
 *  - The encoding is canonical: the decoder accepts exactly the byte strings the encoder produces
 *    (no overlong varints, no booleans other than 0/1, no trailing bytes), so any accepted input
 *    re-encodes to itself. Everything else is a MalformedMessageError and nothing else is ever thrown,
 *    however hostile the input.
 *  - Every node id (envelope, ballots, command origins) passes isValidNodeId on both sides.
 *  - The decoder never allocates more than the input can justify: a length or count larger than the
 *    remaining bytes is rejected before anything is allocated.
 *
 * Strings must be well-formed UTF-16: a lone surrogate cannot travel in UTF-8, and replacing it with
 * U+FFFD would let replicas apply a different payload than the one proposed. encodeMessage refuses such
 * a message (RangeError) rather than send something else than what it was given.
 */
import type { Ballot } from '../core/ballot';
import { isValidNodeId } from '../core/config';
import type { AcceptedEntry, ChosenEntry, Command, SlotValue } from '../core/types';
import type { ProtocolMessageType, TraceMessage } from '../../shared/domain';
import type { JoinReplyStatus, WireMessage, WireMessageType } from './wire';

export const CODEC_VERSION = 1;

/** The input is not a message this codec could have produced. */
export class MalformedMessageError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`malformed message at byte ${offset}: ${reason}`);
    this.name = 'MalformedMessageError';
  }
}

const TYPE_CODES: Readonly<Record<WireMessageType, number>> = {
  prevote: 1,
  prevoteReply: 2,
  prepare: 3,
  promise: 4,
  nack: 5,
  accept: 6,
  accepted: 7,
  commit: 8,
  commitAck: 9,
  forward: 10,
  catchupRequest: 11,
  catchupReply: 12,
  snapshotRequest: 13,
  snapshotChunk: 14,
  ping: 15,
  takeover: 16,
  join: 17,
  joinReply: 18,
  traceRequest: 19,
  traceClock: 20,
  traceBatch: 21,
  faultRequest: 22,
  campaignRequest: 23,
  controlAck: 24,
  crashRequest: 25,
};

/** Every wire message type, in code order (TYPE_CODES is typed exhaustively, so none is missing). */
export const WIRE_MESSAGE_TYPES = Object.keys(TYPE_CODES) as readonly WireMessageType[];

/** The message types a trace record names, by their code (the index): append only. */
export const TRACE_RECORD_TYPES: readonly ProtocolMessageType[] = [
  'prevote',
  'prevoteReply',
  'prepare',
  'promise',
  'nack',
  'accept',
  'accepted',
  'commit',
  'commitAck',
  'forward',
  'catchupRequest',
  'catchupReply',
  'takeover',
  'snapshot',
  'ping',
  'join',
];
const TRACE_TYPE_CODES: ReadonlyMap<ProtocolMessageType, number> = new Map(TRACE_RECORD_TYPES.map((type, code) => [type, code]));
const TRACE_FLAG_IN = 1;
const TRACE_FLAG_DROPPED = 2;
const TRACE_FLAG_SLOT = 4;
const TRACE_FLAG_TO_SLOT = 8;
const TRACE_FLAG_BALLOT = 16;
const TRACE_FLAG_BYTES = 32;
const TRACE_FLAGS_KNOWN = 63;
/**
 * Records in one trace batch at most. A record takes 8 to about 110 bytes; a member packs its batches to
 * one datagram's worth (node/trace-lease.ts), so this only bounds what a decoder accepts (and keeps the
 * count a 1-byte varint).
 */
export const MAX_TRACE_BATCH_RECORDS = 100;

const JOIN_REPLY_STATUSES: readonly JoinReplyStatus[] = ['adding', 'member', 'busy', 'refused'];
const PROBE_NONE = 0;
const PROBE_CHALLENGE = 1;
const PROBE_ECHO = 2;
const PROBE_VALUE_BYTES = 8;
const PROBE_VALUE_PATTERN = /^[0-9a-f]{16}$/;
/** A join reply lists at most this many members (a cluster is a handful of machines). */
const MAX_JOIN_REPLY_MEMBERS = 64;

/** A fault request isolates at most this many peers (a cluster is a handful of machines; MAX_MEMBERS). */
export const MAX_CONTROL_ISOLATE = 64;
/** A control ack's reason is short words, at most this many characters. */
const MAX_CONTROL_REASON_CHARS = 200;

const TYPES_BY_CODE: readonly (WireMessageType | undefined)[] = (() => {
  const table: (WireMessageType | undefined)[] = [];
  for (const [type, code] of Object.entries(TYPE_CODES) as [WireMessageType, number][]) table[code] = type;
  return table;
})();

/** A string of at most this many UTF-16 units needs at most 3 * 42 = 126 bytes: a 1-byte length prefix. */
const SHORT_STRING_UNITS = 42;
/** Decoded strings up to this many bytes take the ASCII fast path when they are ASCII (ids, small texts). */
const ASCII_FAST_PATH_BYTES = 24;
/** The scratch writer keeps at most this much capacity between calls, so one huge message does not pin memory. */
const RETAINED_SCRATCH_BYTES = 1 << 20;
const INITIAL_SCRATCH_BYTES = 64 * 1024;

const utf8Encoder = new TextEncoder();
// ignoreBOM: a payload that starts with U+FEFF must keep it (the default strips it, breaking round trips).
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface WellFormedString {
  isWellFormed(): boolean;
}

function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

function checkUint(n: number, field: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`cannot encode ${field}: ${String(n)} is not a non-negative safe integer`);
}

/** Ids that passed isValidNodeId lately: a batch repeats a few origins many times. Bounded by clearing. */
const validatedIds = new Set<string>();
const MAX_VALIDATED_IDS = 64;

function checkNodeId(id: string, field: string): void {
  if (validatedIds.has(id)) return;
  if (!isValidNodeId(id)) throw new RangeError(`cannot encode ${field}: "${id}" is not a valid node id`);
  if (validatedIds.size >= MAX_VALIDATED_IDS) validatedIds.clear();
  validatedIds.add(id);
}

/** Bytes allowed in a node id, mirroring NODE_ID_PATTERN of core/config.ts (a test checks they agree). */
const NODE_ID_BYTE = (() => {
  const table = new Uint8Array(256);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-') table[c.charCodeAt(0)] = 1;
  return table;
})();
export const MAX_NODE_ID_BYTES = 32;

/** Whether `c` may appear in a node id (exported for the test that compares it with isValidNodeId). */
export function isNodeIdByte(c: number): boolean {
  return NODE_ID_BYTE[c] === 1;
}

function illFormed(): never {
  throw new RangeError('cannot encode a string that is not well-formed UTF-16 (lone surrogate)');
}

/** A growable byte buffer. One module-level instance is reused: encoding is synchronous and not reentrant. */
class Writer {
  buf = new Uint8Array(INITIAL_SCRATCH_BYTES);
  pos = 0;

  reset(): void {
    if (this.buf.length > RETAINED_SCRATCH_BYTES) this.buf = new Uint8Array(INITIAL_SCRATCH_BYTES);
    this.pos = 0;
  }

  /** A copy of the bytes written (the scratch buffer itself is reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private ensure(extraBytes: number): void {
    const needed = this.pos + extraBytes;
    if (needed <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(needed, this.buf.length * 2));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  /** `n` must already be checked (checkUint). */
  varint(n: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    // Bit operations only work on 32 bits: above 2^31 peel 7-bit groups with division.
    while (n >= 0x80000000) {
      buf[pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    while (n >= 0x80) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  uint(n: number, field: string): void {
    checkUint(n, field);
    this.varint(n);
  }

  string(s: string): void {
    const units = s.length;
    if (units <= SHORT_STRING_UNITS) {
      this.ensure(1 + 3 * units);
      const end = this.utf8Short(s, this.pos + 1);
      this.buf[this.pos] = end - this.pos - 1;
      this.pos = end;
      return;
    }
    if (!(s as unknown as WellFormedString).isWellFormed()) illFormed();
    const maxBytes = 3 * units;
    const reservedPrefixBytes = varintBytes(maxBytes);
    this.ensure(reservedPrefixBytes + maxBytes);
    const start = this.pos + reservedPrefixBytes;
    const { written } = utf8Encoder.encodeInto(s, this.buf.subarray(start));
    const prefixBytes = varintBytes(written);
    // The real length may need a shorter prefix than the worst case reserved for: close the gap.
    if (prefixBytes !== reservedPrefixBytes) this.buf.copyWithin(this.pos + prefixBytes, start, start + written);
    this.varint(written);
    this.pos += written;
  }

  /** UTF-8 of a short string at `pos` (capacity already ensured); returns the end position. */
  private utf8Short(s: string, pos: number): number {
    const buf = this.buf;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        buf[pos++] = c;
      } else if (c < 0x800) {
        buf[pos++] = 0xc0 | (c >> 6);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const low = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c > 0xdbff || low < 0xdc00 || low > 0xdfff) illFormed();
        i++;
        const cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        buf[pos++] = 0xf0 | (cp >> 18);
        buf[pos++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[pos++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[pos++] = 0x80 | (cp & 0x3f);
      } else {
        buf[pos++] = 0xe0 | (c >> 12);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
      }
    }
    return pos;
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  nodeId(id: string, field: string): void {
    checkNodeId(id, field);
    this.string(id);
  }

  /** A ping's path-validation field: at most one of `challenge` and `echo`. */
  probe(challenge: string | undefined, echo: string | undefined): void {
    if (challenge !== undefined && echo !== undefined) throw new RangeError('cannot encode a ping with both a challenge and an echo');
    const value = challenge ?? echo;
    if (value === undefined) return this.u8(PROBE_NONE);
    if (typeof value !== 'string' || !PROBE_VALUE_PATTERN.test(value)) throw new RangeError(`cannot encode a ping ${challenge === undefined ? 'echo' : 'challenge'}: ${JSON.stringify(value)} is not 16 lowercase hex digits`);
    this.u8(challenge === undefined ? PROBE_ECHO : PROBE_CHALLENGE);
    this.ensure(PROBE_VALUE_BYTES);
    this.buf.set(Buffer.from(value, 'hex'), this.pos);
    this.pos += PROBE_VALUE_BYTES;
  }

  traceRecord(record: TraceMessage, previousAt: number | null): void {
    const code = TRACE_TYPE_CODES.get(record.type);
    if (code === undefined) throw new RangeError(`cannot encode a trace record of type ${String(record.type)}`);
    if (previousAt !== null && !(record.at >= previousAt)) throw new RangeError('cannot encode trace records out of time order');
    this.u8(traceFlags(record));
    this.u8(code);
    this.uint(previousAt === null ? record.at : record.at - previousAt, 'trace record at');
    this.nodeId(record.from, 'trace record from');
    this.nodeId(record.to, 'trace record to');
    if (record.slot !== undefined) this.uint(record.slot, 'trace record slot');
    if (record.toSlot !== undefined) this.uint(record.toSlot, 'trace record toSlot');
    if (record.ballot !== undefined) this.ballot(record.ballot, 'trace record ballot');
    if (record.bytes !== undefined) this.uint(record.bytes, 'trace record bytes');
  }

  ballot(b: Ballot, field: string): void {
    this.uint(b.round, `${field}.round`);
    // ZERO_BALLOT ("no ballot yet") is the only ballot without an owner.
    if (b.node !== '' || b.round !== 0) checkNodeId(b.node, `${field}.node`);
    this.string(b.node);
  }

  value(value: SlotValue): void {
    this.varint(value.length);
    for (const c of value) {
      this.nodeId(c.origin, 'command origin');
      this.uint(c.seq, 'command seq');
      this.string(c.payload);
    }
  }
}

class Reader {
  pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  fail(reason: string): never {
    throw new MalformedMessageError(reason, this.pos);
  }

  get remainingBytes(): number {
    return this.bytes.length - this.pos;
  }

  u8(): number {
    if (this.pos >= this.bytes.length) this.fail('truncated');
    return this.bytes[this.pos++] as number;
  }

  uint(): number {
    let b = this.u8();
    if (b < 0x80) return b;
    let result = b & 0x7f;
    let scale = 0x80;
    for (let i = 1; ; i++) {
      b = this.u8();
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        // A final zero group adds nothing: the same value has a shorter (the canonical) encoding.
        if (b === 0) this.fail('overlong varint');
        // Terms are exact and rounding is monotonic, so a sum above the limit stays above it.
        if (result > Number.MAX_SAFE_INTEGER) this.fail('integer beyond the safe range');
        return result;
      }
      // 8 groups of 7 bits cover 53 bits: a ninth group is never needed.
      if (i >= 7) this.fail('varint too long');
      scale *= 0x80;
    }
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) this.fail(`invalid boolean ${b}`);
    return b === 1;
  }

  /** A length or count; each unit takes at least `minUnitBytes` of what remains. */
  length(minUnitBytes: number): number {
    const n = this.uint();
    if (n * minUnitBytes > this.remainingBytes) this.fail(`length ${n} exceeds the ${this.remainingBytes} remaining bytes`);
    return n;
  }

  string(): string {
    const byteLength = this.length(1);
    const bytes = this.bytes;
    const start = this.pos;
    const end = start + byteLength;
    this.pos = end;
    if (byteLength <= ASCII_FAST_PATH_BYTES) {
      let s = '';
      let i = start;
      for (; i < end; i++) {
        const b = bytes[i] as number;
        if (b >= 0x80) break;
        s += String.fromCharCode(b);
      }
      if (i === end) return s;
    }
    try {
      return utf8Decoder.decode(bytes.subarray(start, end));
    } catch {
      this.pos = start;
      return this.fail('invalid UTF-8');
    }
  }

  bytesField(): Uint8Array {
    const byteLength = this.length(1);
    const start = this.pos;
    this.pos += byteLength;
    // A copy, as a plain Uint8Array: the message must not pin (or alias) the datagram buffers.
    return new Uint8Array(this.bytes.subarray(start, this.pos));
  }

  /** A node id, validated while it is read (cheaper than decoding a string and matching the pattern). */
  nodeId(allowEmpty = false): string {
    const start = this.pos;
    const byteLength = this.uint();
    if (byteLength === 0 && allowEmpty) return '';
    if (byteLength === 0 || byteLength > MAX_NODE_ID_BYTES || byteLength > this.remainingBytes) {
      this.pos = start;
      this.fail('invalid node id');
    }
    const bytes = this.bytes;
    let id = '';
    for (let i = this.pos; i < this.pos + byteLength; i++) {
      const c = bytes[i] as number;
      if (NODE_ID_BYTE[c] !== 1) {
        this.pos = start;
        this.fail('invalid node id');
      }
      id += String.fromCharCode(c);
    }
    this.pos += byteLength;
    return id;
  }

  /** 8 raw bytes as 16 lowercase hex digits. */
  probeValue(): string {
    if (this.remainingBytes < PROBE_VALUE_BYTES) this.fail('truncated');
    const value = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, PROBE_VALUE_BYTES).toString('hex');
    this.pos += PROBE_VALUE_BYTES;
    return value;
  }

  ballot(): Ballot {
    const round = this.uint();
    // ZERO_BALLOT ("no ballot yet") is the only ballot without an owner.
    const node = this.nodeId(round === 0);
    return { round, node };
  }

  traceRecords(): TraceMessage[] {
    // A record takes at least 6 bytes (flags, type, at, from, to).
    const count = this.length(6);
    if (count > MAX_TRACE_BATCH_RECORDS) this.fail(`a trace batch of ${count} records`);
    const records: TraceMessage[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      const flags = this.u8();
      if ((flags & ~TRACE_FLAGS_KNOWN) !== 0) this.fail(`unknown trace record flags ${flags}`);
      const type = TRACE_RECORD_TYPES[this.u8()] ?? this.fail('unknown trace record type');
      at = i === 0 ? this.uint() : at + this.uint();
      if (at > Number.MAX_SAFE_INTEGER) this.fail('trace record time beyond the safe range');
      const record: { -readonly [K in keyof TraceMessage]: TraceMessage[K] } = { at, direction: (flags & TRACE_FLAG_IN) !== 0 ? 'in' : 'out', from: this.nodeId(), to: this.nodeId(), type };
      if ((flags & TRACE_FLAG_SLOT) !== 0) record.slot = this.uint();
      if ((flags & TRACE_FLAG_TO_SLOT) !== 0) record.toSlot = this.uint();
      if ((flags & TRACE_FLAG_BALLOT) !== 0) record.ballot = this.ballot();
      if ((flags & TRACE_FLAG_BYTES) !== 0) record.bytes = this.uint();
      if ((flags & TRACE_FLAG_DROPPED) !== 0) record.dropped = true;
      records.push(record);
    }
    return records;
  }

  value(): SlotValue {
    // A command takes at least 3 bytes (origin, seq, payload).
    const count = this.length(3);
    const value: Command[] = new Array<Command>(count);
    for (let i = 0; i < count; i++) value[i] = { origin: this.nodeId(), seq: this.uint(), payload: this.string() };
    return value;
  }

  chosenEntries(): ChosenEntry[] {
    // An entry takes at least 2 bytes (slot, empty value).
    const count = this.length(2);
    const entries: ChosenEntry[] = new Array<ChosenEntry>(count);
    for (let i = 0; i < count; i++) entries[i] = { slot: this.uint(), value: this.value() };
    return entries;
  }

  acceptedEntries(): AcceptedEntry[] {
    // An entry takes at least 4 bytes (slot, round, empty node, empty value).
    const count = this.length(4);
    const entries: AcceptedEntry[] = new Array<AcceptedEntry>(count);
    for (let i = 0; i < count; i++) entries[i] = { slot: this.uint(), ballot: this.ballot(), value: this.value() };
    return entries;
  }
}

const writer = new Writer();

/**
 * The bytes of `m`. Throws a RangeError for a message that is not valid (an integer that is not a
 * non-negative safe integer, an invalid node id, a lone surrogate): a caller bug, never sent half-right.
 */
export function encodeMessage(m: WireMessage): Uint8Array {
  const w = writer;
  w.reset();
  const code = TYPE_CODES[m.type] as number | undefined;
  if (code === undefined) throw new RangeError(`cannot encode unknown message type ${String(m.type)}`);
  w.u8(CODEC_VERSION);
  w.u8(code);
  w.nodeId(m.from, 'from');
  w.nodeId(m.to, 'to');
  switch (m.type) {
    case 'prevote':
      w.ballot(m.ballot, 'ballot');
      w.uint(m.commitIndex, 'commitIndex');
      break;
    case 'prevoteReply':
      w.ballot(m.ballot, 'ballot');
      w.u8(m.granted ? 1 : 0);
      w.uint(m.commitIndex, 'commitIndex');
      break;
    case 'prepare':
      w.ballot(m.ballot, 'ballot');
      w.uint(m.fromSlot, 'fromSlot');
      break;
    case 'promise':
      w.ballot(m.ballot, 'ballot');
      w.uint(m.fromSlot, 'fromSlot');
      w.varint(m.accepted.length);
      for (const e of m.accepted) {
        w.uint(e.slot, 'accepted slot');
        w.ballot(e.ballot, 'accepted ballot');
        w.value(e.value);
      }
      w.varint(m.chosen.length);
      for (const e of m.chosen) {
        w.uint(e.slot, 'chosen slot');
        w.value(e.value);
      }
      w.uint(m.commitIndex, 'commitIndex');
      break;
    case 'nack':
      w.ballot(m.ballot, 'ballot');
      w.ballot(m.promised, 'promised');
      w.uint(m.commitIndex, 'commitIndex');
      break;
    case 'accept':
      w.ballot(m.ballot, 'ballot');
      w.uint(m.slot, 'slot');
      w.value(m.value);
      w.uint(m.commitIndex, 'commitIndex');
      break;
    case 'accepted':
      w.ballot(m.ballot, 'ballot');
      w.uint(m.slot, 'slot');
      break;
    case 'commit':
    case 'commitAck':
      w.ballot(m.ballot, 'ballot');
      w.uint(m.commitIndex, 'commitIndex');
      break;
    case 'forward':
      w.value(m.commands);
      break;
    case 'catchupRequest':
      w.uint(m.fromSlot, 'fromSlot');
      w.uint(m.toSlot, 'toSlot');
      break;
    case 'catchupReply':
      w.varint(m.entries.length);
      for (const e of m.entries) {
        w.uint(e.slot, 'entry slot');
        w.value(e.value);
      }
      w.uint(m.commitIndex, 'commitIndex');
      w.uint(m.compactedThrough, 'compactedThrough');
      break;
    case 'snapshotRequest':
      w.uint(m.transferId, 'transferId');
      w.uint(m.offset, 'offset');
      break;
    case 'snapshotChunk':
      w.uint(m.transferId, 'transferId');
      w.uint(m.slot, 'slot');
      w.uint(m.totalBytes, 'totalBytes');
      w.uint(m.offset, 'offset');
      w.bytes(m.data);
      break;
    case 'ping':
      w.uint(m.commitIndex, 'commitIndex');
      w.probe(m.challenge, m.echo);
      break;
    case 'takeover':
      w.ballot(m.ballot, 'ballot');
      break;
    case 'join':
      break;
    case 'joinReply':
      w.u8(JOIN_REPLY_STATUSES.indexOf(m.status));
      w.string(m.reason);
      if (m.members.length > MAX_JOIN_REPLY_MEMBERS) throw new RangeError(`cannot encode a join reply with ${m.members.length} members`);
      w.varint(m.members.length);
      for (const member of m.members) {
        w.nodeId(member.id, 'member id');
        w.string(member.address);
      }
      break;
    case 'traceRequest':
      w.uint(m.leaseId, 'leaseId');
      w.uint(m.leaseMs, 'leaseMs');
      w.uint(m.sentAt, 'sentAt');
      break;
    case 'traceClock':
      w.uint(m.leaseId, 'leaseId');
      w.uint(m.requestSentAt, 'requestSentAt');
      w.uint(m.receivedAt, 'receivedAt');
      w.uint(m.sentAt, 'sentAt');
      break;
    case 'traceBatch': {
      w.uint(m.leaseId, 'leaseId');
      w.uint(m.seq, 'seq');
      w.uint(m.sentAt, 'sentAt');
      w.uint(m.skipped, 'skipped');
      if (m.records.length > MAX_TRACE_BATCH_RECORDS) throw new RangeError(`cannot encode a trace batch of ${m.records.length} records`);
      w.varint(m.records.length);
      let previousAt: number | null = null;
      for (const record of m.records) {
        w.traceRecord(record, previousAt);
        previousAt = record.at;
      }
      break;
    }
    case 'faultRequest':
      w.uint(m.requestId, 'requestId');
      w.uint(m.ttlMs, 'ttlMs');
      w.uint(m.dropPpm, 'dropPpm');
      w.uint(m.delayMs, 'delayMs');
      if (m.isolate.length > MAX_CONTROL_ISOLATE) throw new RangeError(`cannot encode a fault request isolating ${m.isolate.length} peers`);
      w.varint(m.isolate.length);
      for (const id of m.isolate) w.nodeId(id, 'isolate');
      break;
    case 'campaignRequest':
      w.uint(m.requestId, 'requestId');
      break;
    case 'crashRequest':
      w.uint(m.requestId, 'requestId');
      w.uint(m.downMs, 'downMs');
      break;
    case 'controlAck':
      w.uint(m.requestId, 'requestId');
      w.u8(m.applied ? 1 : 0);
      if (m.reason.length > MAX_CONTROL_REASON_CHARS) throw new RangeError(`cannot encode a control ack reason of ${m.reason.length} characters`);
      w.string(m.reason);
      break;
  }
  return w.finish();
}

/** The message `bytes` encode. Throws MalformedMessageError (and nothing else) for anything else. */
export function decodeMessage(bytes: Uint8Array): WireMessage {
  const r: Reader = new Reader(bytes);
  const version = r.u8();
  if (version !== CODEC_VERSION) r.fail(`unknown codec version ${version}`);
  const code = r.u8();
  const type = TYPES_BY_CODE[code];
  if (type === undefined) r.fail(`unknown message type ${code}`);
  const from = r.nodeId();
  const to = r.nodeId();
  const m = decodeBody(r, type, from, to);
  if (r.remainingBytes !== 0) r.fail(`${r.remainingBytes} trailing bytes`);
  return m;
}

function decodeBody(r: Reader, type: WireMessageType, from: string, to: string): WireMessage {
  switch (type) {
    case 'prevote':
      return { type, from, to, ballot: r.ballot(), commitIndex: r.uint() };
    case 'prevoteReply':
      return { type, from, to, ballot: r.ballot(), granted: r.bool(), commitIndex: r.uint() };
    case 'prepare':
      return { type, from, to, ballot: r.ballot(), fromSlot: r.uint() };
    case 'promise':
      return { type, from, to, ballot: r.ballot(), fromSlot: r.uint(), accepted: r.acceptedEntries(), chosen: r.chosenEntries(), commitIndex: r.uint() };
    case 'nack':
      return { type, from, to, ballot: r.ballot(), promised: r.ballot(), commitIndex: r.uint() };
    case 'accept':
      return { type, from, to, ballot: r.ballot(), slot: r.uint(), value: r.value(), commitIndex: r.uint() };
    case 'accepted':
      return { type, from, to, ballot: r.ballot(), slot: r.uint() };
    case 'commit':
    case 'commitAck':
      return { type, from, to, ballot: r.ballot(), commitIndex: r.uint() };
    case 'forward':
      return { type, from, to, commands: r.value() };
    case 'catchupRequest':
      return { type, from, to, fromSlot: r.uint(), toSlot: r.uint() };
    case 'catchupReply':
      return { type, from, to, entries: r.chosenEntries(), commitIndex: r.uint(), compactedThrough: r.uint() };
    case 'snapshotRequest':
      return { type, from, to, transferId: r.uint(), offset: r.uint() };
    case 'snapshotChunk':
      return { type, from, to, transferId: r.uint(), slot: r.uint(), totalBytes: r.uint(), offset: r.uint(), data: r.bytesField() };
    case 'ping': {
      const commitIndex = r.uint();
      const probe = r.u8();
      if (probe === PROBE_NONE) return { type, from, to, commitIndex };
      if (probe === PROBE_CHALLENGE) return { type, from, to, commitIndex, challenge: r.probeValue() };
      if (probe === PROBE_ECHO) return { type, from, to, commitIndex, echo: r.probeValue() };
      return r.fail(`unknown ping probe ${probe}`);
    }
    case 'takeover':
      return { type, from, to, ballot: r.ballot() };
    case 'join':
      return { type, from, to };
    case 'joinReply': {
      const status = JOIN_REPLY_STATUSES[r.u8()] ?? r.fail('unknown join reply status');
      const reason = r.string();
      const count = r.uint();
      if (count > MAX_JOIN_REPLY_MEMBERS) r.fail(`a join reply with ${count} members`);
      const members: { id: string; address: string }[] = [];
      for (let i = 0; i < count; i++) members.push({ id: r.nodeId(), address: r.string() });
      return { type, from, to, status, reason, members };
    }
    case 'traceRequest':
      return { type, from, to, leaseId: r.uint(), leaseMs: r.uint(), sentAt: r.uint() };
    case 'traceClock':
      return { type, from, to, leaseId: r.uint(), requestSentAt: r.uint(), receivedAt: r.uint(), sentAt: r.uint() };
    case 'traceBatch':
      return { type, from, to, leaseId: r.uint(), seq: r.uint(), sentAt: r.uint(), skipped: r.uint(), records: r.traceRecords() };
    case 'faultRequest': {
      const requestId = r.uint();
      const ttlMs = r.uint();
      const dropPpm = r.uint();
      const delayMs = r.uint();
      const count = r.uint();
      if (count > MAX_CONTROL_ISOLATE) r.fail(`a fault request isolating ${count} peers`);
      const isolate: string[] = [];
      for (let i = 0; i < count; i++) isolate.push(r.nodeId());
      return { type, from, to, requestId, ttlMs, dropPpm, delayMs, isolate };
    }
    case 'campaignRequest':
      return { type, from, to, requestId: r.uint() };
    case 'crashRequest':
      return { type, from, to, requestId: r.uint(), downMs: r.uint() };
    case 'controlAck': {
      const requestId = r.uint();
      const applied = r.bool();
      const reason = r.string();
      if (reason.length > MAX_CONTROL_REASON_CHARS) r.fail(`a control ack reason of ${reason.length} characters`);
      return { type, from, to, requestId, applied, reason };
    }
  }
}

function traceFlags(record: TraceMessage): number {
  return (
    (record.direction === 'in' ? TRACE_FLAG_IN : 0) |
    (record.dropped === true ? TRACE_FLAG_DROPPED : 0) |
    (record.slot !== undefined ? TRACE_FLAG_SLOT : 0) |
    (record.toSlot !== undefined ? TRACE_FLAG_TO_SLOT : 0) |
    (record.ballot !== undefined ? TRACE_FLAG_BALLOT : 0) |
    (record.bytes !== undefined ? TRACE_FLAG_BYTES : 0)
  );
}

/**
 * The encoded size of `record` inside a trace batch after a record stamped `previousAt` (null: it is the
 * first), exactly as the writer lays it out: what a member packs its batches by. For a record the
 * encoder accepts (valid ids, safe integers, in time order).
 */
export function traceRecordBytes(record: TraceMessage, previousAt: number | null): number {
  // Node ids are ASCII of at most 32 bytes: a 1-byte length prefix.
  let bytes = 2 + varintBytes(previousAt === null ? record.at : record.at - previousAt) + 1 + record.from.length + 1 + record.to.length;
  if (record.slot !== undefined) bytes += varintBytes(record.slot);
  if (record.toSlot !== undefined) bytes += varintBytes(record.toSlot);
  if (record.ballot !== undefined) bytes += varintBytes(record.ballot.round) + 1 + record.ballot.node.length;
  if (record.bytes !== undefined) bytes += varintBytes(record.bytes);
  return bytes;
}

/**
 * Bundles: several encoded messages for one peer in one datagram, so a turn's messages to a peer cost
 * one system call and one seal instead of one each. Layout: codec version, type code 0 (no message
 * uses it), the count, then each message as length-prefixed bytes. A bundle holds at least two messages.
 */
const BUNDLE_CODE = 0;

/** Bytes a bundle adds around its messages, at most: header, count, and a length prefix per message. */
export function bundleOverheadBytes(messages: number, largestMessageBytes: number): number {
  const varintBytes = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4);
  return 2 + varintBytes(messages) + messages * varintBytes(largestMessageBytes);
}

export function encodeBundle(encodedMessages: readonly Uint8Array[]): Uint8Array {
  if (encodedMessages.length < 2) throw new RangeError('a bundle holds at least two messages');
  const w = writer;
  w.reset();
  w.u8(CODEC_VERSION);
  w.u8(BUNDLE_CODE);
  w.varint(encodedMessages.length);
  for (const message of encodedMessages) w.bytes(message);
  return w.finish();
}

/** The messages a payload carries: one message, or a bundle of several. Throws MalformedMessageError. */
export function decodePayload(bytes: Uint8Array): WireMessage[] {
  return decodeSizedPayload(bytes).map((sized) => sized.message);
}

/** decodePayload, with each message's encoded size (what the traces report). */
export function decodeSizedPayload(bytes: Uint8Array): { readonly message: WireMessage; readonly bytes: number }[] {
  if (bytes.length < 2 || bytes[1] !== BUNDLE_CODE) return [{ message: decodeMessage(bytes), bytes: bytes.length }];
  const r = new Reader(bytes);
  if (r.u8() !== CODEC_VERSION) r.fail('unknown codec version');
  r.u8();
  const count = r.length(2);
  if (count < 2) r.fail(`a bundle of ${count} messages`);
  const messages: { message: WireMessage; bytes: number }[] = [];
  for (let i = 0; i < count; i++) {
    const encoded = r.bytesField();
    messages.push({ message: decodeMessage(encoded), bytes: encoded.length });
  }
  if (r.remainingBytes !== 0) r.fail(`${r.remainingBytes} trailing bytes after the bundle`);
  return messages;
}
