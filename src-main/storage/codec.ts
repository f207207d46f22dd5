/**
 * Encodings of protocol values for the database and the journal. Compact JSON: the journal carries
 * one record per turn, so this is not on a per-message hot path, and JSON keeps records inspectable.
 */
import type { Ballot } from '../core/ballot';
import type { AcceptedEntry, Command, PersistBatch, Slot, SlotValue } from '../core/types';

/**
 * A PersistBatch as the storage layer records it: a chosen value that is the value this replica
 * accepted for the slot (nearly always) is recorded as `null`, "the accepted one", instead of a copy.
 */
export interface StagedBatch {
  readonly promised: Ballot | null;
  readonly accepted: readonly AcceptedEntry[];
  readonly chosen: readonly { readonly slot: Slot; readonly value: SlotValue | null }[];
  readonly proposals: readonly Command[];
}

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
  /** A chosen slot and its value, or 0 for "the value accepted in that slot". */
  c?: [slot: number, value: EncodedCommand[] | 0][];
  q?: EncodedCommand[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/**
 * The StagedBatch of a turn: `acceptedValue(slot)` is the value this replica currently holds as
 * accepted for the slot (after this batch's own accepts), compared by identity.
 */
export function stagedBatch(batch: PersistBatch, acceptedValue: (slot: Slot) => SlotValue | undefined): StagedBatch {
  return { ...batch, chosen: batch.chosen.map((e) => ({ slot: e.slot, value: acceptedValue(e.slot) === e.value ? null : e.value })) };
}

/** One journal record: everything one turn of the replica must make durable. */
export function encodeBatch(batch: StagedBatch): Uint8Array {
  const encoded: EncodedBatch = {};
  if (batch.promised !== null) encoded.p = [batch.promised.round, batch.promised.node];
  if (batch.accepted.length > 0) encoded.a = batch.accepted.map((e) => [e.slot, e.ballot.round, e.ballot.node, toEncoded(e.value)]);
  if (batch.chosen.length > 0) encoded.c = batch.chosen.map((e) => [e.slot, e.value === null ? 0 : toEncoded(e.value)]);
  if (batch.proposals.length > 0) encoded.q = toEncoded(batch.proposals);
  return encoder.encode(JSON.stringify(encoded));
}

/** Inverse of encodeBatch. Throws on malformed input (the journal's CRC already vouched for the bytes). */
export function decodeBatch(bytes: Uint8Array): StagedBatch {
  const encoded = JSON.parse(decoder.decode(bytes)) as EncodedBatch;
  return {
    promised: encoded.p === undefined ? null : { round: encoded.p[0], node: encoded.p[1] },
    accepted: (encoded.a ?? []).map(([slot, round, node, value]) => ({ slot, ballot: { round, node }, value: fromEncoded(value) })),
    chosen: (encoded.c ?? []).map(([slot, value]) => ({ slot, value: value === 0 ? null : fromEncoded(value) })),
    proposals: fromEncoded(encoded.q ?? []),
  };
}
