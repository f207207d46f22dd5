/**
 * Where a command's time goes, recorded only when asked (`synod-node --latency-probe`; issue 14: know
 * where the time goes before removing it). Every SAMPLE_EVERY_SLOTS-th slot is followed through this
 * node's turns, each stamp from this process's monotonic clock (performance.now()), so no stage ever
 * compares two machines' clocks:
 *
 *   leader:   submitted ─ accept sent ─ own fsync done
 *                          └──────────── first accepted back ─ chosen ─ applied (the client is answered)
 *   follower: accept arrived ─ fsync done ─ accepted sent
 *
 * `submitted` is the earliest submission among this node's own commands in the slot (a slot carries a
 * batch); a slot with none of them (a forwarded or re-proposed value) reports no submit stage. The
 * follower's lines for the same slot split the leader's "accept sent → first accepted" into the
 * follower's own work and what is left: the network and the two event loops' waits (the bench does that
 * sum, bench/latency-breakdown.ts). A line is logged (`latency`) when the slot is applied (leader) or its
 * accepted leaves (follower).
 *
 * Bounded: at most MAX_TRACKED slots and MAX_SUBMITTED submissions are followed; beyond that new ones are
 * not (a probe must not grow without bound under a flood). Pure: time is passed in.
 */
import type { Command, Slot } from '../core/types';
import type { WireMessage } from '../net/wire';
import type { LogFields } from './logger';

export const SAMPLE_EVERY_SLOTS = 4;
const MAX_TRACKED = 512;
const MAX_SUBMITTED = 4_096;

interface LeaderSlot {
  submittedAtMs: number | null;
  readonly acceptSentAtMs: number;
  persistedAtMs: number | null;
  firstAcceptedAtMs: number | null;
  chosenAtMs: number | null;
}

interface FollowerSlot {
  readonly arrivedAtMs: number;
  persistedAtMs: number | null;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

export class LatencyProbe {
  private readonly submitted = new Map<string, number>();
  private readonly leading = new Map<Slot, LeaderSlot>();
  private readonly following = new Map<Slot, FollowerSlot>();

  constructor(private readonly report: (fields: LogFields) => void) {}

  /** A command of this node was submitted (`origin/seq`). */
  noteSubmitted(key: string, atMs: number): void {
    if (this.submitted.size < MAX_SUBMITTED) this.submitted.set(key, atMs);
  }

  /** This node sent accepts for `slot` (its first send starts the slot's stages; retransmissions do not). */
  noteAcceptSent(slot: Slot, value: readonly Command[], atMs: number): void {
    if (!sampled(slot) || this.leading.has(slot) || this.leading.size >= MAX_TRACKED) return;
    let submittedAtMs: number | null = null;
    for (const command of value) {
      const at = this.submitted.get(`${command.origin}/${command.seq}`);
      if (at !== undefined && (submittedAtMs === null || at < submittedAtMs)) submittedAtMs = at;
    }
    this.leading.set(slot, { submittedAtMs, acceptSentAtMs: atMs, persistedAtMs: null, firstAcceptedAtMs: null, chosenAtMs: null });
  }

  /** An accept for `slot` reached this node (a follower's view) at `atMs`, when it arrived in the socket. */
  noteAcceptArrived(slot: Slot, atMs: number): void {
    if (!sampled(slot) || this.following.has(slot) || this.following.size >= MAX_TRACKED) return;
    this.following.set(slot, { arrivedAtMs: atMs, persistedAtMs: null });
  }

  /** The turn that accepted `slots` (as leader or follower) finished its fsync. */
  notePersisted(slots: readonly Slot[], atMs: number): void {
    for (const slot of slots) {
      const leading = this.leading.get(slot);
      if (leading !== undefined && leading.persistedAtMs === null) leading.persistedAtMs = atMs;
      const following = this.following.get(slot);
      if (following !== undefined && following.persistedAtMs === null) following.persistedAtMs = atMs;
    }
  }

  /** A follower's accepted for `slot` arrived here (the leader's view). */
  noteAcceptedArrived(slot: Slot, atMs: number): void {
    const leading = this.leading.get(slot);
    if (leading !== undefined && leading.firstAcceptedAtMs === null) leading.firstAcceptedAtMs = atMs;
  }

  /** This node sent its accepted for `slot` (after its fsync): the follower's line is complete. */
  noteAcceptedSent(slot: Slot, atMs: number): void {
    const following = this.following.get(slot);
    if (following === undefined) return;
    this.following.delete(slot);
    if (following.persistedAtMs === null) return;
    this.report({ role: 'follower', slot, fsyncMs: round(following.persistedAtMs - following.arrivedAtMs), sendMs: round(atMs - following.persistedAtMs), totalMs: round(atMs - following.arrivedAtMs) });
  }

  /** `slots` were known chosen and are about to be applied. */
  noteChosen(slots: readonly Slot[], atMs: number): void {
    for (const slot of slots) {
      const leading = this.leading.get(slot);
      if (leading !== undefined && leading.chosenAtMs === null) leading.chosenAtMs = atMs;
    }
  }

  /** `slots` were applied (their waiting clients answered): the leader's lines are complete. */
  noteApplied(slots: readonly Slot[], commands: readonly Command[], atMs: number): void {
    for (const command of commands) this.submitted.delete(`${command.origin}/${command.seq}`);
    for (const slot of slots) {
      const leading = this.leading.get(slot);
      if (leading === undefined) continue;
      this.leading.delete(slot);
      const { submittedAtMs, acceptSentAtMs, persistedAtMs, firstAcceptedAtMs, chosenAtMs } = leading;
      if (persistedAtMs === null || firstAcceptedAtMs === null || chosenAtMs === null) continue;
      this.report({
        role: 'leader',
        slot,
        ...(submittedAtMs === null ? {} : { queueMs: round(acceptSentAtMs - submittedAtMs) }),
        ownFsyncMs: round(persistedAtMs - acceptSentAtMs),
        firstAcceptedMs: round(firstAcceptedAtMs - acceptSentAtMs),
        chooseMs: round(chosenAtMs - Math.max(firstAcceptedAtMs, persistedAtMs)),
        applyMs: round(atMs - chosenAtMs),
        totalMs: round(atMs - (submittedAtMs ?? acceptSentAtMs)),
      });
    }
  }
}

function sampled(slot: Slot): boolean {
  return slot % SAMPLE_EVERY_SLOTS === 0;
}

/** What an arriving message means to the probe: an accept (a follower's first stamp), an accepted (the leader's). */
export function noteArrival(probe: LatencyProbe, message: WireMessage, arrivedAtMs: number): void {
  if (message.type === 'accept') probe.noteAcceptArrived(message.slot, arrivedAtMs);
  else if (message.type === 'accepted') probe.noteAcceptedArrived(message.slot, arrivedAtMs);
}
