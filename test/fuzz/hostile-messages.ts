/**
 * The hostile member: a deterministic generator (from a seed) of what a compromised or badly broken
 * member holding the cluster secret sends. Every message is structurally valid (it encodes; the codec
 * accepts it) and semantically extreme: far slots, huge ranges and rounds, ids that are not members,
 * commands with seq 0 or invalid application payloads, huge and empty values, snapshot chunks claiming
 * 2^53-1 bytes, unknown transfers, joins, join replies with 64 members; alone, bundled, fragmented in
 * odd ways, replayed, and sent under the rogue's own member id or impersonating a real member.
 *
 * Fairness contract: Paxos is not Byzantine-tolerant, so a member that lies coherently about votes or
 * chosen values can make correct replicas disagree. The fuzzer fails on any disagreement, so the
 * generator tells no such lie; whatever it sends, a correct implementation must stay safe, live and
 * responsive. Precisely:
 *  - a value is offered for acceptance or learning (accept, accepted, promise and catch-up entries)
 *    only at a far slot (>= 2^32, never reached in a run) or slot 0, or at a stale ballot that every
 *    acceptor has already out-promised;
 *  - a commit index travels with a real member's ballot only if that member leads at that ballot and
 *    reported at least that commit index itself (else it is 0), so no accepted value is declared
 *    chosen that is not; and a message carrying a real member's ballot never counts as a vote
 *    for a real candidate: votes (promise, accepted) at such a ballot are sent only at far slots, or as
 *    the rogue's own vote in answer to a prepare it received (answerPrepare), which is harmless because
 *    the rogue never accepts anything: every chosen value then needs all real members' accepts;
 *  - commands never take a sequence number a real member could reach during a run (hostile-fields.ts);
 *    membership commands never remove a real member nor add a valid new id, and only one stranger id
 *    ever asks to join, so the configuration holds at most two members that never answer (the rogue
 *    and that stranger) beside the three real ones: a majority of it stays reachable.
 * Replays and duplicates are always fair: Paxos tolerates them.
 *
 * The same generator serves the simulator (hostileCoreMessages): core messages only, delivered in
 * process, with every command it introduces reported so the checker counts it as proposed.
 */
import type { Ballot } from '../../src-main/core/ballot';
import { randomInt, seededRandom, type RandomSource } from '../../src-main/core/random';
import type { Command, Message, MessageType, NodeId } from '../../src-main/core/types';
import { encodeMessage } from '../../src-main/net/codec';
import { MAX_FRAGMENT_COUNT } from '../../src-main/net/seal';
import { ANY_NODE, type JoinReplyStatus, type WireMessage, type WireMessageType } from '../../src-main/net/wire';
import { randomText, randomTraceRecords, randomUint, WIRE_MESSAGE_TYPES } from '../support/random-messages';
import {
  anySlot,
  ballotOf,
  between,
  chance,
  farSlot,
  hostileValue,
  MAX_INTEGER,
  OwnSequence,
  PHANTOM_IDS,
  pick,
  safe,
  staleBallot,
  STRANGER_ID,
  type PayloadContext,
} from './hostile-fields';

/** What the generator knows about the cluster it attacks (refreshed by the caller as it learns). */
export interface HostileView {
  /** The rogue's own id when it is a member (its messages then reach the protocol), else null. */
  readonly self: NodeId | null;
  /** The real replicas: the targets, and the identities the rogue may impersonate. */
  readonly realMembers: readonly NodeId[];
  /** The latest configuration: real members, the rogue, and any stranger the rogue had added. */
  readonly members: readonly NodeId[];
  readonly leader: NodeId | null;
  /** The ballot of that leader (ZERO_BALLOT when unknown). */
  readonly leaderBallot: Ballot;
  /** The commit index that leader reported at that ballot (read together with it). */
  readonly leaderCommitIndex: number;
  /** The highest commit index a real member reported: every slot up to it is chosen. */
  readonly commitIndex: number;
}

/** Named attacks, for the summary and for --only / --skip. */
export type AttackName = WireMessageType | 'bundle' | 'fragments' | 'replay' | 'sender-mismatch' | 'impersonate';

export const ATTACK_NAMES: readonly AttackName[] = [...WIRE_MESSAGE_TYPES, 'bundle', 'fragments', 'replay', 'sender-mismatch', 'impersonate'];

/** A fragment as the rogue seals it, header chosen freely (seal.ts still checks index < count <= 65535). */
export interface RawFragment {
  readonly messageId: number;
  readonly index: number;
  readonly count: number;
  readonly data: Uint8Array;
}

export type HostileAction =
  /**
   * Seal `messages` as `sealAs` (one message, or a bundle of several) and send them to `to`'s address,
   * in fragments of at most `fragmentBytes` datagram bytes. `freshEpoch`: start a new transport epoch
   * for `sealAs` first (above any the rogue or the real owner of that id used).
   */
  | { readonly kind: 'send'; readonly attack: AttackName; readonly sealAs: NodeId; readonly freshEpoch: boolean; readonly to: NodeId; readonly messages: readonly WireMessage[]; readonly fragmentBytes: number }
  | { readonly kind: 'fragments'; readonly attack: 'fragments'; readonly sealAs: NodeId; readonly to: NodeId; readonly pieces: readonly RawFragment[] }
  /**
   * Re-send a datagram seen earlier: one the rogue captured (sent to it) or one it sent itself, chosen
   * at `position` in [0, 1) of what it kept; to `to`, or (null) where it originally went.
   */
  | { readonly kind: 'replay'; readonly attack: 'replay'; readonly source: 'captured' | 'own'; readonly position: number; readonly to: NodeId | null };

export interface HostileGeneratorOptions {
  readonly seed: number;
  /** Share of actions sent impersonating a real member (in episodes of a few dozen), 0..1. Default 0.01. */
  readonly impersonationShare?: number;
  /** Attacks to draw from (default: all). */
  readonly attacks?: readonly AttackName[];
  /** Message types to build (default: every wire type); the simulator asks for core types only. */
  readonly messageTypes?: readonly WireMessageType[];
}

/** Datagram sizes the rogue fragments into: MTU-sized, or nearly the largest UDP payload. */
const FRAGMENT_BYTES = [1_400, 60_000] as const;
/** Byte budgets for hostile values: mostly small, sometimes large, rarely near the message limit. */
const VALUE_BUDGETS_BYTES = [16 * 1024, 16 * 1024, 16 * 1024, 256 * 1024, 1024 * 1024, 8 * 1024 * 1024] as const;
const JOIN_REPLY_STATUSES: readonly JoinReplyStatus[] = ['adding', 'member', 'busy', 'refused'];
const SNAPSHOT_CHUNK_BYTES = 16 * 1024;
/** A plausible wall clock for cluster-trace stamps (fixed: the generator is deterministic, and runs in the simulator). */
const WALL_CLOCK_MS = 1_750_000_000_000;

/** Weights of the attacks: message types sent plainly, plus the transport-level ones. */
const ATTACK_WEIGHTS: Readonly<Record<AttackName, number>> = {
  prevote: 3,
  prevoteReply: 3,
  prepare: 3,
  promise: 4,
  nack: 3,
  accept: 5,
  accepted: 3,
  commit: 4,
  commitAck: 3,
  forward: 8,
  catchupRequest: 5,
  catchupReply: 4,
  snapshotRequest: 3,
  snapshotChunk: 3,
  ping: 3,
  takeover: 2,
  join: 2,
  joinReply: 2,
  traceRequest: 2,
  traceClock: 2,
  traceBatch: 2,
  // Cluster control is trusted among members (like votes: a member holding the secret can isolate the
  // others for two minutes); the rogue sends only what the boundary must reject, and stale acks.
  faultRequest: 1,
  campaignRequest: 1,
  crashRequest: 1,
  controlAck: 1,
  bundle: 4,
  fragments: 4,
  replay: 6,
  'sender-mismatch': 1,
  impersonate: 0,
};

interface Episode {
  readonly victim: NodeId;
  remaining: number;
  fresh: boolean;
}

export class HostileGenerator {
  private readonly rng: RandomSource;
  private readonly ownSeq = new OwnSequence();
  private readonly impersonationShare: number;
  private readonly attacks: readonly AttackName[];
  private readonly weights: readonly number[];
  private readonly messageTypes: ReadonlySet<WireMessageType>;
  private episode: Episode | null = null;
  private nextRawMessageId: number;

  constructor(options: HostileGeneratorOptions) {
    this.rng = seededRandom(options.seed);
    const messageTypes = options.messageTypes ?? WIRE_MESSAGE_TYPES;
    this.messageTypes = new Set(messageTypes);
    const enabled = new Set(options.attacks ?? ATTACK_NAMES);
    this.impersonationShare = enabled.has('impersonate') ? (options.impersonationShare ?? 0.01) : 0;
    this.attacks = ATTACK_NAMES.filter((name) => enabled.has(name) && ATTACK_WEIGHTS[name] > 0 && (!isWireType(name) || this.messageTypes.has(name)));
    if (this.attacks.length === 0) throw new RangeError('no attack left to draw from');
    this.weights = this.attacks.map((name) => ATTACK_WEIGHTS[name]);
    // Raw fragments use message ids far from the ones ordinary sends count up from 0.
    this.nextRawMessageId = 2 ** 31 + randomInt(this.rng, 2 ** 30);
  }

  /** The next action against the cluster described by `view`. */
  next(view: HostileView): HostileAction {
    const attack = this.drawAttack();
    const { sealAs, freshEpoch } = this.identity(view);
    const to = pick(this.rng, view.realMembers);
    switch (attack) {
      case 'replay':
        return { kind: 'replay', attack, source: chance(this.rng, 0.6) ? 'captured' : 'own', position: this.rng.next(), to: chance(this.rng, 0.4) ? null : to };
      case 'fragments':
        return { kind: 'fragments', attack, sealAs, to, pieces: this.fragments(view, sealAs, to) };
      case 'bundle': {
        const count = pick(this.rng, [2, between(this.rng, 3, 10), between(this.rng, 11, 200)]);
        const messages = Array.from({ length: count }, () => this.message(view, this.drawType(), sealAs, to, 64 * 1024));
        return this.send(attack, sealAs, freshEpoch, to, messages);
      }
      case 'sender-mismatch': {
        const claimed = pick(this.rng, [...view.realMembers, ...PHANTOM_IDS].filter((id) => id !== sealAs));
        return this.send(attack, sealAs, freshEpoch, to, [this.message(view, this.drawType(), claimed, to, this.valueBudget())]);
      }
      case 'join':
        return this.join(view, to, sealAs, freshEpoch);
      default:
        return this.send(attack, sealAs, freshEpoch, to, [this.message(view, attack as WireMessageType, sealAs, to, this.valueBudget())]);
    }
  }

  /**
   * The rogue's own vote, in answer to a prepare a real candidate sent it: promised, with accepted and
   * chosen entries at far slots only, and an extreme commit index.
   */
  answerPrepare(view: HostileView, prepare: Extract<WireMessage, { type: 'prepare' }>): HostileAction {
    const context = this.payloadContext(view);
    const message: WireMessage = {
      type: 'promise',
      from: prepare.to,
      to: prepare.from,
      ballot: prepare.ballot,
      fromSlot: prepare.fromSlot,
      accepted: Array.from({ length: between(this.rng, 0, 3) }, () => ({ slot: farSlot(this.rng, view.commitIndex), ballot: this.anyBallot(view, prepare.from), value: hostileValue(this.rng, context, this.ownSeq, this.valueBudget()) })),
      chosen: Array.from({ length: between(this.rng, 0, 3) }, () => ({ slot: farSlot(this.rng, view.commitIndex), value: hostileValue(this.rng, context, this.ownSeq, this.valueBudget()) })),
      commitIndex: anySlot(this.rng, view.commitIndex),
    };
    return this.send('promise', prepare.to, false, prepare.from, [message]);
  }

  /** One core message (types of CORE_MESSAGE_TYPES only), from a real member or the rogue, with small values. */
  coreMessage(view: HostileView): Message {
    const from = view.self ?? pick(this.rng, view.realMembers);
    const others = view.realMembers.filter((id) => id !== from);
    const to = pick(this.rng, others.length > 0 ? others : view.realMembers);
    const type = pick(this.rng, CORE_MESSAGE_TYPES);
    const message = this.message(view, type, from, to, 4 * 1024);
    if (!isCoreMessage(message)) throw new Error(`${type} is not a core message`);
    return message;
  }

  /** Chunks in answer to a snapshot request sent to the rogue: lies about sizes, offsets and transfers. */
  answerSnapshotRequest(request: Extract<WireMessage, { type: 'snapshotRequest' }>): HostileAction {
    const totalBytes = pick(this.rng, [MAX_INTEGER, 2 ** 32, 0, 1, SNAPSHOT_CHUNK_BYTES * 3, between(this.rng, 1, 100)]);
    const transferId = pick(this.rng, [request.transferId, safe(request.transferId + 1), 0, MAX_INTEGER, randomUint(this.rng)]);
    const chunks = Array.from({ length: between(this.rng, 1, 8) }, (_, i): WireMessage => {
      const offset = pick(this.rng, [safe(request.offset + i * SNAPSHOT_CHUNK_BYTES), 0, MAX_INTEGER, totalBytes, 1]);
      const data = randomBytes(this.rng, pick(this.rng, [0, 1, 100, SNAPSHOT_CHUNK_BYTES, Math.min(totalBytes, SNAPSHOT_CHUNK_BYTES)]));
      return { type: 'snapshotChunk', from: request.to, to: request.from, transferId, slot: pick(this.rng, [0, 1, MAX_INTEGER, randomUint(this.rng)]), totalBytes, offset, data };
    });
    return this.send('snapshotChunk', request.to, false, request.from, chunks);
  }

  private drawAttack(): AttackName {
    let r = this.rng.next() * this.weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < this.attacks.length; i++) {
      r -= this.weights[i] as number;
      if (r < 0) return this.attacks[i] as AttackName;
    }
    return this.attacks[this.attacks.length - 1] as AttackName;
  }

  private drawType(): WireMessageType {
    const types = [...this.messageTypes].filter((type) => type !== 'join');
    return pick(this.rng, types.length > 0 ? types : [...this.messageTypes]);
  }

  /** Who seals the next action: the rogue itself, or (in an episode) the real member it impersonates. */
  private identity(view: HostileView): { sealAs: NodeId; freshEpoch: boolean } {
    if (this.episode === null && this.impersonationShare > 0 && chance(this.rng, this.impersonationShare / 30)) {
      this.episode = { victim: pick(this.rng, view.realMembers), remaining: between(this.rng, 10, 50), fresh: true };
    }
    const episode = this.episode;
    if (episode !== null) {
      const fresh = episode.fresh;
      episode.fresh = false;
      if (--episode.remaining <= 0) this.episode = null;
      return { sealAs: episode.victim, freshEpoch: fresh };
    }
    return { sealAs: view.self ?? pick(this.rng, view.realMembers), freshEpoch: false };
  }

  private send(attack: AttackName, sealAs: NodeId, freshEpoch: boolean, to: NodeId, messages: readonly WireMessage[]): HostileAction {
    return { kind: 'send', attack, sealAs, freshEpoch, to, messages, fragmentBytes: pick(this.rng, FRAGMENT_BYTES) };
  }

  private valueBudget(): number {
    return pick(this.rng, VALUE_BUDGETS_BYTES);
  }

  private payloadContext(view: HostileView): PayloadContext {
    return { self: view.self, realMembers: view.realMembers };
  }

  /** A ballot for fields that must not count as anybody's vote or leadership (any owner but `notOwner`). */
  private anyBallot(view: HostileView, notOwner: NodeId): Ballot {
    const owners = [...view.realMembers, ...PHANTOM_IDS, ...(view.self === null ? [] : [view.self])].filter((id) => id !== notOwner);
    return ballotOf(this.rng, pick(this.rng, owners), view.leaderBallot.round);
  }

  /** A ballot owned by nobody real: phantoms, the rogue itself, or a stale one. */
  private unrealBallot(view: HostileView): Ballot {
    if (chance(this.rng, 0.2)) return staleBallot(this.rng);
    return ballotOf(this.rng, pick(this.rng, [...PHANTOM_IDS, ...(view.self === null ? [] : [view.self])]), view.leaderBallot.round);
  }

  /**
   * A ballot and a commit index that may travel together (commit, accept). "Every slot up to i is
   * chosen, and for slots accepted at this ballot the accepted value is the chosen one" is true only
   * from the leader of that ballot: so a real ballot comes either as the leader's current one with at
   * most the commit index that leader reported, or with commit index 0; unreal ballots take anything.
   */
  private ballotWithCommit(view: HostileView, owner: NodeId): { ballot: Ballot; commitIndex: number } {
    const r = this.rng.next();
    if (r < 0.3 && view.leaderBallot.round > 0) return { ballot: view.leaderBallot, commitIndex: between(this.rng, 0, view.leaderCommitIndex) };
    const ballot = r < 0.6 ? ballotOf(this.rng, owner, view.leaderBallot.round) : this.unrealBallot(view);
    return { ballot, commitIndex: view.realMembers.includes(ballot.node) ? 0 : anySlot(this.rng, view.commitIndex) };
  }

  /** One message of `type` from `from` to `to`, hostile within the fairness contract. */
  message(view: HostileView, type: WireMessageType, from: NodeId, to: NodeId, budgetBytes: number): WireMessage {
    const rng = this.rng;
    const context = this.payloadContext(view);
    const value = (): Command[] => hostileValue(rng, context, this.ownSeq, budgetBytes);
    const slotish = (): number => anySlot(rng, view.commitIndex);
    switch (type) {
      case 'prevote':
        return { type, from, to, ballot: ballotOf(rng, pick(rng, [from, from, to, ...PHANTOM_IDS]), view.leaderBallot.round), commitIndex: slotish() };
      case 'prevoteReply':
        return { type, from, to, ballot: ballotOf(rng, pick(rng, [to, to, from]), view.leaderBallot.round), granted: chance(rng, 0.7), commitIndex: slotish() };
      case 'prepare':
        return { type, from, to, ballot: ballotOf(rng, pick(rng, [from, from, from, to, ...PHANTOM_IDS]), view.leaderBallot.round), fromSlot: slotish() };
      case 'promise': {
        // Not a vote for `to`: a ballot `to` does not own cannot be its campaign.
        const entries = between(rng, 0, 3);
        return {
          type,
          from,
          to,
          ballot: this.anyBallot(view, to),
          fromSlot: slotish(),
          accepted: Array.from({ length: entries }, () => ({ slot: farSlot(rng, view.commitIndex), ballot: this.anyBallot(view, to), value: value() })),
          chosen: Array.from({ length: between(rng, 0, 3) }, () => ({ slot: farSlot(rng, view.commitIndex), value: value() })),
          commitIndex: slotish(),
        };
      }
      case 'nack':
        return { type, from, to, ballot: chance(rng, 0.5) ? view.leaderBallot : ballotOf(rng, to, view.leaderBallot.round), promised: this.anyBallot(view, ''), commitIndex: slotish() };
      case 'accept': {
        const far = chance(rng, 0.8);
        const { ballot, commitIndex } = far ? this.ballotWithCommit(view, from) : { ballot: staleBallot(rng), commitIndex: between(rng, 0, view.commitIndex) };
        return { type, from, to, ballot, slot: far ? farSlot(rng, view.commitIndex) : slotish(), value: value(), commitIndex };
      }
      case 'accepted': {
        // A vote at a real ballot only for a far slot; at unreal ballots any slot (no leader uses them).
        const real = chance(rng, 0.5);
        return { type, from, to, ballot: real ? (view.leaderBallot.round > 0 ? view.leaderBallot : ballotOf(rng, to, 1)) : this.unrealBallot(view), slot: real ? farSlot(rng, view.commitIndex) : slotish() };
      }
      case 'commit':
        return { type, from, to, ...this.ballotWithCommit(view, from) };
      case 'commitAck':
        return { type, from, to, ballot: chance(rng, 0.5) ? view.leaderBallot : this.anyBallot(view, ''), commitIndex: slotish() };
      case 'forward':
        return { type, from, to, commands: this.forwardedCommands(view, context, budgetBytes) };
      case 'catchupRequest':
        return { type, from, to, fromSlot: pick(rng, [0, 1, slotish()]), toSlot: pick(rng, [MAX_INTEGER, 2 ** 50, slotish(), 0]) };
      case 'catchupReply':
        return {
          type,
          from,
          to,
          entries: Array.from({ length: between(rng, 0, 4) }, () => ({ slot: farSlot(rng, view.commitIndex), value: value() })),
          commitIndex: slotish(),
          compactedThrough: slotish(),
        };
      case 'snapshotRequest':
        return { type, from, to, transferId: pick(rng, [0, 1, 2, randomUint(rng), MAX_INTEGER]), offset: pick(rng, [0, SNAPSHOT_CHUNK_BYTES, MAX_INTEGER, randomUint(rng)]) };
      case 'snapshotChunk': {
        const data = randomBytes(rng, pick(rng, [0, 1, 512, SNAPSHOT_CHUNK_BYTES]));
        return { type, from, to, transferId: pick(rng, [0, 1, randomUint(rng), MAX_INTEGER]), slot: slotish(), totalBytes: pick(rng, [MAX_INTEGER, 2 ** 32, 0, data.length, randomUint(rng)]), offset: pick(rng, [0, MAX_INTEGER, randomUint(rng)]), data };
      }
      case 'ping':
        return { type, from, to, commitIndex: slotish() };
      case 'takeover':
        return { type, from, to, ballot: chance(rng, 0.4) && view.leaderBallot.round > 0 ? view.leaderBallot : ballotOf(rng, from, view.leaderBallot.round) };
      case 'join':
        return { type, from, to: chance(rng, 0.7) ? ANY_NODE : to };
      case 'joinReply':
        return {
          type,
          from,
          to,
          status: pick(rng, JOIN_REPLY_STATUSES),
          reason: randomText(rng, chance(rng, 0.1) ? 2_000 : 20),
          members: Array.from({ length: pick(rng, [0, 1, 3, 64]) }, (_, i) => ({ id: pick(rng, [...view.realMembers, ...PHANTOM_IDS, `m${i}`]), address: pick(rng, ['127.0.0.1:1', '', 'not an address', '[::1]:70000', randomText(rng, 30), `127.0.0.1:${randomInt(rng, 65_536)}`]) })),
        };
      // The cluster trace is observation only: whatever it says, no replica decides anything from it.
      case 'traceRequest':
        return { type, from, to, leaseId: pick(rng, [0, 1, randomUint(rng), MAX_INTEGER]), leaseMs: pick(rng, [0, 1, 6_000, 30_000, 30_001, MAX_INTEGER]), sentAt: pick(rng, [0, WALL_CLOCK_MS, MAX_INTEGER, randomUint(rng)]) };
      case 'traceClock':
        return { type, from, to, leaseId: pick(rng, [0, 1, randomUint(rng), MAX_INTEGER]), requestSentAt: pick(rng, [0, WALL_CLOCK_MS, MAX_INTEGER]), receivedAt: pick(rng, [0, WALL_CLOCK_MS, MAX_INTEGER]), sentAt: pick(rng, [0, WALL_CLOCK_MS, MAX_INTEGER]) };
      case 'traceBatch':
        return { type, from, to, leaseId: pick(rng, [0, 1, randomUint(rng), MAX_INTEGER]), seq: pick(rng, [0, 1, 2, MAX_INTEGER]), sentAt: pick(rng, [0, WALL_CLOCK_MS, MAX_INTEGER]), skipped: pick(rng, [0, 1, MAX_INTEGER]), records: randomTraceRecords(rng) };
      // Always invalid (control-check.ts rejects it): a valid one would be an isolation a member may order.
      case 'faultRequest':
        return chance(rng, 0.5)
          ? { type, from, to, requestId: 0, ttlMs: 1_000, dropPpm: 0, delayMs: 0, isolate: [] }
          : { type, from, to, requestId: pick(rng, [1, MAX_INTEGER]), ttlMs: pick(rng, [120_001, MAX_INTEGER]), dropPpm: pick(rng, [0, 1_000_001, MAX_INTEGER]), delayMs: pick(rng, [0, MAX_INTEGER]), isolate: chance(rng, 0.5) ? [to] : [] };
      case 'campaignRequest':
        return { type, from, to, requestId: 0 };
      case 'crashRequest':
        return { type, from, to, requestId: pick(rng, [0, 1, MAX_INTEGER]), downMs: pick(rng, [0, 2_999, 60_001, MAX_INTEGER]) };
      case 'controlAck':
        return { type, from, to, requestId: pick(rng, [0, 1, randomUint(rng), MAX_INTEGER]), applied: chance(rng, 0.5), reason: pick(rng, ['', 'only members may ask', '😀 '.repeat(50)]) };
    }
  }

  /** Commands to forward: hostile ones, plus (while it has one) the removal of a stranger the rogue had added. */
  private forwardedCommands(view: HostileView, context: PayloadContext, budgetBytes: number): Command[] {
    const extra = view.members.find((id) => !view.realMembers.includes(id) && id !== view.self);
    if (extra !== undefined && view.self !== null && chance(this.rng, 0.3)) return [{ origin: view.self, seq: this.ownSeq.next(), payload: JSON.stringify(['removeMember', extra]) }];
    return hostileValue(this.rng, context, this.ownSeq, budgetBytes);
  }

  /** A join: as the member being impersonated (in an episode), else as the stranger or a member that is not real. */
  private join(view: HostileView, to: NodeId, sealAs: NodeId, freshEpoch: boolean): HostileAction {
    if (!view.realMembers.includes(sealAs)) sealAs = pick(this.rng, [STRANGER_ID, ...view.members.filter((id) => !view.realMembers.includes(id)), sealAs]);
    return this.send('join', sealAs, freshEpoch, to, [this.message(view, 'join', sealAs, to, 0)]);
  }

  /** Fragment trickery: floods of empty pieces claiming 65535, conflicting counts and pieces, shuffled messages. */
  private fragments(view: HostileView, sealAs: NodeId, to: NodeId): RawFragment[] {
    const rng = this.rng;
    const id = (): number => {
      const messageId = this.nextRawMessageId;
      this.nextRawMessageId = (this.nextRawMessageId + 1) >>> 0;
      return messageId;
    };
    switch (randomInt(rng, 5)) {
      case 0: {
        // Many partial messages, each one empty piece of 65535: costs the receiver bookkeeping, not bytes.
        return Array.from({ length: between(rng, 20, 300) }, () => ({ messageId: id(), index: randomInt(rng, MAX_FRAGMENT_COUNT), count: MAX_FRAGMENT_COUNT, data: new Uint8Array(0) }));
      }
      case 1: {
        // One message, its pieces disagreeing about the count.
        const messageId = id();
        return [2, 3, MAX_FRAGMENT_COUNT, 2].map((count, i) => ({ messageId, index: i % 2, count, data: randomBytes(rng, 100) }));
      }
      case 2: {
        // The same piece twice with different bytes, then the rest: completes with garbage.
        const messageId = id();
        return [
          { messageId, index: 0, count: 2, data: randomBytes(rng, 200) },
          { messageId, index: 0, count: 2, data: randomBytes(rng, 200) },
          { messageId, index: 1, count: 2, data: randomBytes(rng, 200) },
        ];
      }
      case 3: {
        // A valid hostile message in pieces, last piece first, some twice.
        const encoded = encodeMessage(this.message(view, this.drawType(), sealAs, to, 64 * 1024));
        const count = Math.min(encoded.length, between(rng, 2, 12));
        const pieceBytes = Math.ceil(encoded.length / count);
        const messageId = id();
        const pieces = Array.from({ length: count }, (_, index) => ({ messageId, index, count, data: encoded.subarray(index * pieceBytes, (index + 1) * pieceBytes) }));
        return [...pieces.reverse(), ...pieces.filter(() => chance(rng, 0.3))];
      }
      default: {
        // A message that never completes: the first pieces of a 65535-piece message of full datagrams.
        const messageId = id();
        return Array.from({ length: between(rng, 1, 40) }, (_, index) => ({ messageId, index, count: MAX_FRAGMENT_COUNT, data: randomBytes(rng, 1_300) }));
      }
    }
  }
}

function isWireType(name: AttackName): name is WireMessageType {
  return (WIRE_MESSAGE_TYPES as readonly string[]).includes(name);
}

function randomBytes(rng: RandomSource, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = randomInt(rng, 256);
  return bytes;
}

/** The core's message types: what the simulator can deliver. */
export const CORE_MESSAGE_TYPES: readonly MessageType[] = ['prevote', 'prevoteReply', 'prepare', 'promise', 'nack', 'accept', 'accepted', 'commit', 'commitAck', 'forward', 'catchupRequest', 'catchupReply', 'takeover'];

/** A core message for the simulator to deliver, and the commands it introduces (for the checker's "proposed" set). */
export interface HostileInjection {
  readonly message: Message;
  readonly introduces: readonly Command[];
}

function isCoreMessage(message: WireMessage): message is Message {
  return (CORE_MESSAGE_TYPES as readonly string[]).includes(message.type);
}

/** Commands a message carries, wherever they are. */
export function commandsIn(message: WireMessage): Command[] {
  switch (message.type) {
    case 'forward':
      return [...message.commands];
    case 'accept':
      return [...message.value];
    case 'promise':
      return [...message.accepted.flatMap((e) => e.value), ...message.chosen.flatMap((e) => e.value)];
    case 'catchupReply':
      return message.entries.flatMap((e) => e.value);
    default:
      return [];
  }
}

/**
 * Hostile core messages for the simulator, forever, deterministic for `seed` and the views it is given.
 * `view()` is asked before each message; with `self` null every message impersonates a real member
 * (the simulator has no authentication to get past). Values stay small: the simulator runs in process.
 */
export function* hostileCoreMessages(seed: number, view: () => HostileView): Generator<HostileInjection, never, undefined> {
  const generator = new HostileGenerator({ seed, messageTypes: CORE_MESSAGE_TYPES });
  for (;;) {
    const message = generator.coreMessage(view());
    yield { message, introduces: commandsIn(message) };
  }
}
