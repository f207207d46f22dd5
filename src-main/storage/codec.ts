/**
 * Encodings of protocol values for the database and the journal. Compact JSON: the journal carries
 * one record per turn, so this is not on a per-message hot path, and JSON keeps records inspectable.
 */
import type { Ballot } from '../core/ballot';
import type { Command, PersistBatch, SlotValue } from '../core/types';

type EncodedCommand = [origin: string, seq: number, payload: string];

const toEncoded = (value: SlotValue): EncodedCommand[] => value.map((c) => [c.origin, c.seq, c.payload]);
const fromEncoded = (value: EncodedCommand[]): Command[] => value.map(([origin, seq, payload]) => ({ origin, seq, payload }));

export function encodeValue(value: SlotValue): string {
  return JSON.stringify(toEncoded(value));
}

export function decodeValue(text: string): Command[] {
  return fromEncoded(JSON.parse(text) as EncodedCommand[]);
}

export function encodeBallot(ballot: Ballot): string {
  return JSON.stringify([ballot.round, ballot.node]);
}

export function decodeBallot(text: string): Ballot {
  const [round, node] = JSON.parse(text) as [number, string];
  return { round, node };
}

interface EncodedBatch {
  p?: [number, string];
  a?: [slot: number, round: number, node: string, value: EncodedCommand[]][];
  c?: [slot: number, value: EncodedCommand[]][];
  q?: EncodedCommand[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** One journal record: everything one turn of the replica must make durable. */
export function encodeBatch(batch: PersistBatch): Uint8Array {
  const encoded: EncodedBatch = {};
  if (batch.promised !== null) encoded.p = [batch.promised.round, batch.promised.node];
  if (batch.accepted.length > 0) encoded.a = batch.accepted.map((e) => [e.slot, e.ballot.round, e.ballot.node, toEncoded(e.value)]);
  if (batch.chosen.length > 0) encoded.c = batch.chosen.map((e) => [e.slot, toEncoded(e.value)]);
  if (batch.proposals.length > 0) encoded.q = toEncoded(batch.proposals);
  return encoder.encode(JSON.stringify(encoded));
}

/** Inverse of encodeBatch. Throws on malformed input (the journal's CRC already vouched for the bytes). */
export function decodeBatch(bytes: Uint8Array): PersistBatch {
  const encoded = JSON.parse(decoder.decode(bytes)) as EncodedBatch;
  return {
    promised: encoded.p === undefined ? null : { round: encoded.p[0], node: encoded.p[1] },
    accepted: (encoded.a ?? []).map(([slot, round, node, value]) => ({ slot, ballot: { round, node }, value: fromEncoded(value) })),
    chosen: (encoded.c ?? []).map(([slot, value]) => ({ slot, value: fromEncoded(value) })),
    proposals: fromEncoded(encoded.q ?? []),
  };
}
