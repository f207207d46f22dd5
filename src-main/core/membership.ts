/**
 * Cluster membership as replicated state ("Paxos Made Moderately Complex": reconfiguration through the log).
 *
 * The rule: a membership change (addMember / removeMember, an ordinary command in the log) chosen at
 * slot s governs slots s + W and later, where W = MEMBERSHIP_DELAY_SLOTS. The configuration of slot t
 * is therefore fixed by the chosen values of slots <= t - W, which every replica computes the same way
 * (applyMembershipSlot is a pure function of the log).
 *
 * Why it is safe:
 *  - Paxos is safe per slot as long as every quorum used for a slot (phase 1 and phase 2) is a
 *    majority of one fixed member set. Here that set is config(t), a function of the chosen prefix,
 *    and chosen values are unique, so every proposer that knows config(t) agrees on it.
 *  - A leader proposes slot t only when its commit index is >= t - W (the pipeline window never exceeds
 *    W; validateProtocolConfig checks it), so it always knows config(t) before it proposes there.
 *  - A leadership is bound to one configuration: its phase 1 used a majority of config(fromSlot), and
 *    it proposes only slots with that same configuration. At the first slot B with a different one, it
 *    waits until every slot < B is chosen and runs a fresh phase 1 among config(B) from B (or, if it
 *    is not in config(B), hands leadership to a member that is). So every slot's phase 1 quorum is a
 *    majority of that slot's own configuration, and the quorums of any two ballots for a slot meet.
 *
 * One change in flight: a change chosen at slot s while an earlier change is still pending (its first
 * slot is above s) is rejected deterministically, as are adding a member twice, removing a non-member
 * and removing the last member. Rejected changes are recorded (so clients learn why) but change nothing.
 */
import { isValidNodeId, NODE_ID_PATTERN } from './node-id';
import type { NodeId, Slot, SlotValue } from './types';
import { commandKey } from './types';

/**
 * W: how many slots after its own a membership change takes effect. Cluster-wide and fixed (every
 * replica must compute the same configurations); the leader's pipeline window must not exceed it.
 */
export const MEMBERSHIP_DELAY_SLOTS = 64;

/** The first slot a membership change chosen in `slot` governs. */
export function effectiveSlotOf(slot: Slot): Slot {
  return slot + MEMBERSHIP_DELAY_SLOTS;
}

/**
 * A cluster has at most this many members: a join reply lists them all in one message, and every
 * member talks to every other. Adding one more is rejected like any other invalid change.
 */
export const MAX_MEMBERS = 64;

/** host:port, [v6]:port or '' (unknown): at most a DNS name's 253 bytes plus brackets and port. */
const MEMBER_ADDRESS_PATTERN = /^(?:[A-Za-z0-9._%:[\]-]{1,262})?$/;

/** Whether a member address may be recorded (the runtime parses it; anything unparsable means unknown). */
export function isValidMemberAddress(address: string): boolean {
  return MEMBER_ADDRESS_PATTERN.test(address);
}

export interface Member {
  readonly id: NodeId;
  /** Where peers reach this member (host:port of its UDP socket). Opaque to the core. */
  readonly address: string;
}

export type MembershipChange =
  | { readonly type: 'addMember'; readonly id: NodeId; readonly address: string }
  | { readonly type: 'removeMember'; readonly id: NodeId };

/** The member set that governs slots >= fromSlot (until the next epoch's fromSlot). */
export interface MembershipEpoch {
  readonly fromSlot: Slot;
  /** Sorted by id. */
  readonly members: readonly Member[];
  /** The slot of the change that created this epoch (0 for the bootstrap configuration). */
  readonly changedAt: Slot;
}

/**
 * Epochs sorted by fromSlot, the first one in effect at the oldest slot anyone still needs; never
 * empty. A state covers the chosen prefix through `through`: configurations are known for slots
 * <= through + W.
 */
export interface MembershipState {
  readonly epochs: readonly MembershipEpoch[];
  readonly through: Slot;
}

export type MembershipRejection = 'invalid-change' | 'change-in-progress' | 'already-member' | 'not-a-member' | 'last-member' | 'too-many-members';

export type MembershipOutcome =
  | { readonly status: 'accepted'; readonly change: MembershipChange; readonly effectiveSlot: Slot }
  | { readonly status: 'rejected'; readonly change: MembershipChange; readonly reason: MembershipRejection; readonly message: string };

function sortMembers(members: readonly Member[]): Member[] {
  return [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The configuration a new cluster starts with (slot 1 onwards). */
export function bootstrapMembership(members: readonly Member[]): MembershipState {
  if (members.length === 0) throw new Error('a cluster needs at least one member');
  if (new Set(members.map((m) => m.id)).size !== members.length) throw new Error('member ids must be unique');
  return { epochs: [{ fromSlot: 1, members: sortMembers(members), changedAt: 0 }], through: 0 };
}

const ADD = 'addMember';
const REMOVE = 'removeMember';

/** The payload of a membership command: `["addMember",id,address]` or `["removeMember",id]`. */
export function encodeMembershipChange(change: MembershipChange): string {
  return change.type === ADD ? JSON.stringify([ADD, change.id, change.address]) : JSON.stringify([REMOVE, change.id]);
}

/**
 * The change a payload encodes, or null. Like the app's decoder it accepts only exact encodings (it
 * re-encodes and compares), so every replica reads every payload the same way.
 */
export function decodeMembershipChange(payload: string): MembershipChange | null {
  // Cheap test first: this runs on every chosen command.
  if (!payload.startsWith(`["${ADD}"`) && !payload.startsWith(`["${REMOVE}"`)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) return null;
  const parts = parsed as string[];
  let change: MembershipChange | null = null;
  if (parts[0] === ADD && parts.length === 3) change = { type: ADD, id: parts[1] as string, address: parts[2] as string };
  if (parts[0] === REMOVE && parts.length === 2) change = { type: REMOVE, id: parts[1] as string };
  return change !== null && encodeMembershipChange(change) === payload ? change : null;
}

export function isMembershipPayload(payload: string): boolean {
  return decodeMembershipChange(payload) !== null;
}

function epochAt(state: MembershipState, slot: Slot): MembershipEpoch {
  let found = state.epochs[0] as MembershipEpoch;
  for (const epoch of state.epochs) if (epoch.fromSlot <= slot) found = epoch;
  return found;
}

/** The members governing `slot`. Only meaningful for slot <= state.through + W. */
export function membersAt(state: MembershipState, slot: Slot): readonly Member[] {
  return epochAt(state, slot).members;
}

/** The newest configuration, possibly not in effect yet. */
export function latestEpoch(state: MembershipState): MembershipEpoch {
  return state.epochs[state.epochs.length - 1] as MembershipEpoch;
}

/** Whether a chosen change has yet to take effect at the first unchosen slot. */
export function hasPendingChange(state: MembershipState): boolean {
  return latestEpoch(state).fromSlot > state.through + 1;
}

/** Whether two sorted id lists name the same members. */
export function sameIds(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** Every member of any epoch still relevant: who may take part in deciding slots > through. */
export function relevantMembers(state: MembershipState): Member[] {
  const byId = new Map<NodeId, Member>();
  for (const epoch of state.epochs) for (const member of epoch.members) byId.set(member.id, member);
  return sortMembers([...byId.values()]);
}

/** Whether a change names a valid id (and, when adding, a valid address); anything else is rejected when chosen. */
export function isValidMembershipChange(change: MembershipChange): boolean {
  return isValidNodeId(change.id) && (change.type !== ADD || isValidMemberAddress(change.address));
}

function judge(state: MembershipState, slot: Slot, change: MembershipChange): MembershipRejection | null {
  // A chosen value can come from a buggy or hostile member: nonsense is rejected, never applied or thrown on.
  if (!isValidMembershipChange(change)) return 'invalid-change';
  const latest = latestEpoch(state);
  if (latest.fromSlot > slot) return 'change-in-progress';
  const isMember = latest.members.some((m) => m.id === change.id);
  if (change.type === ADD) return isMember ? 'already-member' : latest.members.length >= MAX_MEMBERS ? 'too-many-members' : null;
  if (!isMember) return 'not-a-member';
  return latest.members.length <= 1 ? 'last-member' : null;
}

function describeMembershipRejection(reason: MembershipRejection, change: MembershipChange): string {
  switch (reason) {
    case 'invalid-change':
      return `not a valid membership change (member ids match ${String(NODE_ID_PATTERN)}, addresses are host:port)`;
    case 'too-many-members':
      return `a cluster has at most ${MAX_MEMBERS} members`;
    case 'change-in-progress':
      return 'another membership change is still taking effect; retry in a moment';
    case 'already-member':
      return `"${change.id}" is already a member`;
    case 'not-a-member':
      return `"${change.id}" is not a member`;
    case 'last-member':
      return `"${change.id}" is the last member; a cluster cannot have fewer than one`;
  }
}

/**
 * Applies the membership commands in the chosen value of `slot`, which must be state.through + 1.
 * Returns the new state (pruned of epochs no slot > slot needs) and an outcome per membership command,
 * keyed by command id. The new state shares `epochs` (the same array) when the slot changed none, so
 * callers tell a change by identity.
 */
export function applyMembershipSlot(state: MembershipState, slot: Slot, value: SlotValue): { state: MembershipState; outcomes: Map<string, MembershipOutcome> } {
  if (slot !== state.through + 1) throw new Error(`membership applied at slot ${slot}, expected ${state.through + 1}`);
  const outcomes = new Map<string, MembershipOutcome>();
  let epochs = [...state.epochs];
  for (const command of value) {
    const change = decodeMembershipChange(command.payload);
    if (change === null) continue;
    const current: MembershipState = { epochs, through: slot - 1 };
    const reason = judge(current, slot, change);
    const key = commandKey(command.origin, command.seq);
    if (reason !== null) {
      outcomes.set(key, { status: 'rejected', change, reason, message: describeMembershipRejection(reason, change) });
      continue;
    }
    const members = latestEpoch(current).members;
    const next = change.type === ADD ? sortMembers([...members, { id: change.id, address: change.address }]) : members.filter((m) => m.id !== change.id);
    const effectiveSlot = effectiveSlotOf(slot);
    epochs.push({ fromSlot: effectiveSlot, members: next, changedAt: slot });
    outcomes.set(key, { status: 'accepted', change, effectiveSlot });
  }
  // Slots > slot never need an epoch that a later one replaced at or before slot + 1.
  epochs = epochs.filter((_, i) => (epochs[i + 1]?.fromSlot ?? Infinity) > slot + 1);
  const unchanged = epochs.length === state.epochs.length && epochs.every((epoch, i) => epoch === state.epochs[i]);
  return { state: { epochs: unchanged ? state.epochs : epochs, through: slot }, outcomes };
}

/** Applies consecutive chosen entries (starting at state.through + 1) to the membership. */
export function replayMembership(state: MembershipState, entries: Iterable<{ readonly slot: Slot; readonly value: SlotValue }>): MembershipState {
  let current = state;
  for (const entry of entries) current = applyMembershipSlot(current, entry.slot, entry.value).state;
  return current;
}

/** A state validated from untrusted or stored form (snapshots, checkpoints); throws with the reason. */
export function parseMembershipState(value: unknown): MembershipState {
  const fail = (why: string): never => {
    throw new Error(`invalid membership state: ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const { epochs, through } = value as { epochs?: unknown; through?: unknown };
  if (typeof through !== 'number' || !Number.isSafeInteger(through) || through < 0) return fail('bad "through"');
  if (!Array.isArray(epochs) || epochs.length === 0) return fail('no epochs');
  const parsed: MembershipEpoch[] = epochs.map((raw: unknown) => {
    const { fromSlot, members, changedAt } = (raw ?? {}) as { fromSlot?: unknown; members?: unknown; changedAt?: unknown };
    if (typeof fromSlot !== 'number' || !Number.isSafeInteger(fromSlot) || fromSlot < 1) return fail('bad epoch fromSlot');
    if (typeof changedAt !== 'number' || !Number.isSafeInteger(changedAt) || changedAt < 0) return fail('bad epoch changedAt');
    if (!Array.isArray(members) || members.length === 0) return fail('an epoch without members');
    const list = members.map((m: unknown) => {
      const { id, address } = (m ?? {}) as { id?: unknown; address?: unknown };
      if (typeof id !== 'string' || typeof address !== 'string') return fail('bad member');
      return { id, address };
    });
    return { fromSlot, changedAt, members: sortMembers(list) };
  });
  for (let i = 1; i < parsed.length; i++) if ((parsed[i] as MembershipEpoch).fromSlot <= (parsed[i - 1] as MembershipEpoch).fromSlot) fail('epochs out of order');
  return { epochs: parsed, through };
}
