/**
 * Upper bounds on the encoded size of core messages, so the core never produces a message larger than
 * the transport carries (a send that does not fit is a lost message the protocol cannot recover).
 *
 * The bounds follow the wire codec's layout (src-main/net/codec.ts: varint integers of at most 8
 * bytes, length-prefixed UTF-8 strings, values as counted lists of commands) but take the worst case
 * of every variable-length field, so encodeMessage(m).length <= messageSizeBound(m) always holds (a
 * codec test checks it on random messages). The core stays free of the codec: it only needs sizes.
 */
import type { Ballot } from './ballot';
import type { AcceptedEntry, ChosenEntry, Command, Message, SlotValue } from './types';
import { utf8ByteLength } from './utf8';

/** A varint-encoded safe integer takes at most this many bytes. */
const INTEGER_BYTES = 8;
/** Codec version, type code. */
const HEADER_BYTES = 2;

/** Bytes of a varint length prefix for `n`. */
function lengthPrefixBytes(n: number): number {
  let bytes = 1;
  for (let rest = n; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

function stringBytes(text: string): number {
  const bytes = utf8ByteLength(text);
  return lengthPrefixBytes(bytes) + bytes;
}

function ballotBytes(ballot: Ballot): number {
  return INTEGER_BYTES + stringBytes(ballot.node);
}

/** Bytes one command takes inside a value: origin, seq, payload. */
export function commandSizeBound(command: Command): number {
  return stringBytes(command.origin) + INTEGER_BYTES + stringBytes(command.payload);
}

/** Bytes of a slot value: the command count and the commands. */
export function valueSizeBound(value: SlotValue): number {
  let bytes = lengthPrefixBytes(value.length);
  for (const command of value) bytes += commandSizeBound(command);
  return bytes;
}

/** Bytes of one chosen entry inside a promise or a catch-up reply. */
export function chosenEntrySizeBound(entry: ChosenEntry): number {
  return INTEGER_BYTES + valueSizeBound(entry.value);
}

/** Bytes of one accepted entry inside a promise. */
export function acceptedEntrySizeBound(entry: AcceptedEntry): number {
  return INTEGER_BYTES + ballotBytes(entry.ballot) + valueSizeBound(entry.value);
}

/**
 * Bytes of a message around its entry lists (envelope, fixed fields, list counts): what a promise or a
 * catch-up reply costs before its first entry. Generous for list counts (a varint of a safe integer).
 */
export const MESSAGE_FRAME_BOUND_BYTES = HEADER_BYTES + 2 * (1 + 32) + 2 * (INTEGER_BYTES + 1 + 32) + 4 * INTEGER_BYTES + 2 * INTEGER_BYTES;

/** An upper bound on encodeMessage(message).length. */
export function messageSizeBound(message: Message): number {
  let bytes = HEADER_BYTES + stringBytes(message.from) + stringBytes(message.to);
  switch (message.type) {
    case 'prevote':
    case 'commit':
    case 'commitAck':
    case 'prepare':
    case 'accepted':
      return bytes + ballotBytes(message.ballot) + INTEGER_BYTES;
    case 'prevoteReply':
      return bytes + ballotBytes(message.ballot) + 1 + INTEGER_BYTES;
    case 'nack':
      return bytes + ballotBytes(message.ballot) + ballotBytes(message.promised) + INTEGER_BYTES;
    case 'takeover':
      return bytes + ballotBytes(message.ballot);
    case 'accept':
      return bytes + ballotBytes(message.ballot) + 2 * INTEGER_BYTES + valueSizeBound(message.value);
    case 'forward':
      return bytes + valueSizeBound(message.commands);
    case 'catchupRequest':
      return bytes + 2 * INTEGER_BYTES;
    case 'catchupReply':
      bytes += lengthPrefixBytes(message.entries.length) + 2 * INTEGER_BYTES;
      for (const entry of message.entries) bytes += chosenEntrySizeBound(entry);
      return bytes;
    case 'promise':
      bytes += ballotBytes(message.ballot) + 2 * INTEGER_BYTES + lengthPrefixBytes(message.accepted.length) + lengthPrefixBytes(message.chosen.length);
      for (const entry of message.accepted) bytes += acceptedEntrySizeBound(entry);
      for (const entry of message.chosen) bytes += chosenEntrySizeBound(entry);
      return bytes;
  }
}
