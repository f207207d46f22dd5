/**
 * Field values for hostile messages: structurally valid (every one encodes), semantically extreme.
 *
 * The fairness rule these helpers serve (see hostile-messages.ts): a hostile member may send nonsense
 * of any size and range, but it never tells a lie that crash-fault Paxos cannot survive, because the
 * fuzzer fails on any disagreement and such a lie would cause one in any correct implementation. So
 * values that a replica could accept or learn are only ever placed at FAR slots (never reached during a
 * run) or slot 0 (no such slot), and every command it introduces either has its own origin, an origin
 * that is not a real member, or a sequence number that a real member can never reach during a run.
 */
import type { Ballot } from '../../src-main/core/ballot';
import { randomInt, type RandomSource } from '../../src-main/core/random';
import type { Command, NodeId } from '../../src-main/core/types';
import { randomText, randomUint } from '../support/random-messages';

export const MAX_INTEGER = Number.MAX_SAFE_INTEGER;
/** Slots at or above this are never reached in a run (4 billion slots): values there are never chosen. */
export const FIRST_FAR_SLOT = 2 ** 32;
/** Sequence numbers at or above this are never reached by a real member during a run. */
export const FIRST_FAR_SEQ = 2 ** 40;
/** Valid node ids that are not members and never will be: ballot owners and origins of the rogue's fiction. */
export const PHANTOM_IDS: readonly NodeId[] = ['zz-phantom', 'ghost_0', 'Z'];
/**
 * The one id under which the rogue asks to join as a stranger, so it may become a member. One only:
 * with the rogue itself that makes at most 5 members of which 3 answer, still a majority. (Every
 * addMember in a forward names an invalid id or a member already, so only this join grows the cluster;
 * and a captured join replayed at another member is, for the cluster, that same stranger asking again.)
 */
export const STRANGER_ID: NodeId = 'stranger-1';
/** Plausible slots and indexes are drawn this close to the cluster's commit index. */
const PLAUSIBLE_SPREAD_SLOTS = 256;

export function pick<T>(rng: RandomSource, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[randomInt(rng, items.length)] as T;
}

export function chance(rng: RandomSource, probability: number): boolean {
  return rng.next() < probability;
}

/** An integer in [min, max]. */
export function between(rng: RandomSource, min: number, max: number): number {
  return min + randomInt(rng, max - min + 1);
}

/** `n` capped at the largest safe integer: fields derived from what the cluster reports stay encodable. */
export function safe(n: number): number {
  return Math.min(MAX_INTEGER, n);
}

/** A slot no run reaches, or the non-slot 0. */
export function farSlot(rng: RandomSource, commitIndex: number): number {
  return pick(rng, [
    0,
    FIRST_FAR_SLOT,
    FIRST_FAR_SLOT + randomInt(rng, 2 ** 20),
    2 ** 50,
    2 ** 50 + randomInt(rng, 1000),
    MAX_INTEGER,
    MAX_INTEGER - randomInt(rng, 1000),
    safe(Math.max(FIRST_FAR_SLOT, commitIndex + 10_000_000)),
  ]);
}

/**
 * A slot or index for fields that only ask or inform (catch-up ranges, commit indexes, fromSlot):
 * extreme values, plus plausible ones near the cluster's commit index.
 */
export function anySlot(rng: RandomSource, commitIndex: number): number {
  if (chance(rng, 0.5)) return farSlot(rng, commitIndex);
  return safe(pick(rng, [1, commitIndex, commitIndex + 1, Math.max(0, commitIndex - randomInt(rng, PLAUSIBLE_SPREAD_SLOTS)), commitIndex + randomInt(rng, PLAUSIBLE_SPREAD_SLOTS), 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]));
}

/** A round: huge (exhausting the ballot space), just above the leader's, or stale. */
export function extremeRound(rng: RandomSource, leaderRound: number): number {
  return safe(pick(rng, [MAX_INTEGER, MAX_INTEGER - 1, MAX_INTEGER - randomInt(rng, 64), 2 ** 32, 2 ** 31, leaderRound + 1, leaderRound + 1 + randomInt(rng, 1000), leaderRound, 1, 0]));
}

/** A ballot owned by `owner` (round 0 means "no ballot" and must then have owner '' to be ZERO_BALLOT). */
export function ballotOf(rng: RandomSource, owner: NodeId, leaderRound: number): Ballot {
  const round = extremeRound(rng, leaderRound);
  return round === 0 && chance(rng, 0.5) ? { round: 0, node: '' } : { round, node: owner };
}

/** A ballot below every promise in a running cluster (round 0 or 1 of an id sorting before "n"). */
export function staleBallot(rng: RandomSource): Ballot {
  return pick(rng, [{ round: 0, node: '' }, { round: 0, node: 'A' }, { round: 1, node: 'A' }]);
}

/** An application payload (app/commands.ts, core/membership.ts encodings) that is valid or invalid in every way. */
export function hostilePayload(rng: RandomSource, context: PayloadContext): string {
  const at = pick(rng, [1_700_000_000_000, 0, MAX_INTEGER]);
  const target = pick(rng, [...context.realMembers, ...PHANTOM_IDS, context.self ?? 'mallory']);
  const variants: (() => string)[] = [
    () => JSON.stringify(['tweet', at, `hostile ${randomInt(rng, 1e9)}`]),
    () => JSON.stringify(['tweet', at, randomText(rng, 80)]),
    () => JSON.stringify(['tweet', at, '']),
    () => JSON.stringify(['tweet', at, 'x'.repeat(pick(rng, [1001, 4096, 70_000]))]),
    () => JSON.stringify(['tweet', -1, 'negative time']),
    () => '["tweet",1e308,"x"]',
    () => '["tweet", 1, "spaced"]',
    () => JSON.stringify(['register', '', at]),
    () => JSON.stringify(['register', randomText(rng, 20), at]),
    () => JSON.stringify(['block', target, at]),
    () => JSON.stringify(['unblock', target, at]),
    () => JSON.stringify(['block', 'bad id!', at]),
    // The poison pill of issue 11: an invalid id in a membership change.
    () => JSON.stringify(['addMember', 'bad id!', '127.0.0.1:9']),
    () => JSON.stringify(['addMember', '', '127.0.0.1:9']),
    () => JSON.stringify(['addMember', 'x'.repeat(33), '127.0.0.1:9']),
    () => JSON.stringify(['addMember', pick(rng, context.realMembers), 'not an address']),
    () => JSON.stringify(['addMember', context.self ?? pick(rng, context.realMembers), '127.0.0.1:1']),
    () => JSON.stringify(['removeMember', 'bad id!']),
    () => JSON.stringify(['removeMember', pick(rng, PHANTOM_IDS)]),
    () => JSON.stringify(['addMember']),
    () => '{"type":"tweet"}',
    () => '',
    () => randomText(rng, 60),
    () => '\u0000'.repeat(between(rng, 1, 64)),
  ];
  return pick(rng, variants)();
}

export interface PayloadContext {
  /** The rogue's own member id, or null when it is not a member. */
  readonly self: NodeId | null;
  /** The real replicas (never removed, never impersonated in commands with reachable sequence numbers). */
  readonly realMembers: readonly NodeId[];
}

/** Issues the rogue's own sequence numbers (1, 2, 3...), as an origin does. */
export class OwnSequence {
  private last = 0;

  next(): number {
    return ++this.last;
  }
}

/**
 * A command whose id cannot collide with a real member's next commands: the rogue's own origin with
 * its own counter (or anything), a phantom origin, or a real member's origin with seq 0, a far seq or
 * the largest safe integer (which poisons that member's counter after a restart if it is chosen).
 */
export function hostileCommand(rng: RandomSource, context: PayloadContext, ownSeq: OwnSequence): Command {
  const payload = hostilePayload(rng, context);
  const r = rng.next();
  if (r < 0.35 && context.self !== null) return { origin: context.self, seq: chance(rng, 0.8) ? ownSeq.next() : pick(rng, [0, MAX_INTEGER, randomUint(rng)]), payload };
  if (r < 0.6) return { origin: pick(rng, PHANTOM_IDS), seq: pick(rng, [0, 1, 2, randomUint(rng), MAX_INTEGER]), payload };
  return { origin: pick(rng, context.realMembers), seq: pick(rng, [0, FIRST_FAR_SEQ + randomInt(rng, 2 ** 30), MAX_INTEGER, MAX_INTEGER - 1]), payload };
}

/** Encoded bytes of a command, at most (UTF-8 takes at most 3 bytes per UTF-16 unit; ids and seq ~45). */
export function commandBytesBound(command: Command): number {
  return 3 * command.payload.length + 50;
}

/**
 * A list of hostile commands: empty, a few, or very many, of at most `budgetBytes` encoded bytes in
 * all (so the message that carries it stays below the transport's 16 MiB limit).
 */
export function hostileValue(rng: RandomSource, context: PayloadContext, ownSeq: OwnSequence, budgetBytes: number): Command[] {
  const count = pick(rng, [0, 1, 2, between(rng, 3, 20), chance(rng, 0.1) ? between(rng, 21, 5_000) : 3]);
  const value: Command[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const command = hostileCommand(rng, context, ownSeq);
    bytes += commandBytesBound(command);
    if (bytes > budgetBytes) break;
    value.push(command);
  }
  return value;
}
