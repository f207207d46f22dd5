/**
 * Whom a lagging replica catches up from. Every peer's latest claim about its commit index is kept (a
 * restarted peer's lower claim replaces its higher one), and the replica catches up from the peer that
 * claims the most. A claim is only a claim: a buggy or hostile peer can say it is far ahead and then
 * serve nothing. So a source under which this replica's commit index does not move for PATIENCE_TICKS is
 * benched for BENCH_TICKS and the next best claim is used; an honest leader's heartbeats always offer one.
 *
 * A claim also goes stale: a peer not heard from for `staleTicks` (a crashed leader, say) is not a
 * source, or a woken laptop would keep asking the dead leader while the survivors need its vote.
 *
 * Invariants: at most MAX_PEERS claims are kept (the oldest is forgotten first); a benched peer is never
 * selected before its bench ends, nor a peer silent for staleTicks.
 */
import type { NodeId, Slot } from './types';

/** How long catching up from one source may make no progress before it is benched (10 s of 10 ms ticks). */
export const PATIENCE_TICKS = 1_000;
const BENCH_TICKS = 3 * PATIENCE_TICKS;
const MAX_PEERS = 256;

export interface CatchupTarget {
  readonly peer: NodeId;
  readonly commitIndex: Slot;
}

export class CatchupSources {
  private readonly claims = new Map<NodeId, { commitIndex: Slot; heardAtTick: number }>();
  private readonly benchedUntil = new Map<NodeId, number>();
  /** The source in use, since when, and our commit index when we last saw it make progress. */
  private current: { peer: NodeId; progressAtTick: number; commitAtProgress: Slot } | null = null;

  constructor(private readonly staleTicks: number) {}

  /** A peer says, at `now`, that every slot <= commitIndex is chosen. */
  note(peer: NodeId, commitIndex: Slot, now: number): void {
    this.claims.delete(peer);
    this.claims.set(peer, { commitIndex, heardAtTick: now });
    if (this.claims.size > MAX_PEERS) this.claims.delete(this.claims.keys().next().value as NodeId);
  }

  /** The best source for a replica whose commit index is `commit`, or null when nobody claims to be ahead. */
  select(commit: Slot, now: number): CatchupTarget | null {
    this.benchIfStuck(commit, now);
    let best: CatchupTarget | null = null;
    for (const [peer, { commitIndex, heardAtTick }] of this.claims) {
      if (commitIndex <= commit || now - heardAtTick > this.staleTicks || (this.benchedUntil.get(peer) ?? -1) > now) continue;
      if (best === null || commitIndex > best.commitIndex) best = { peer, commitIndex };
    }
    if (best === null) this.current = null;
    else if (this.current?.peer !== best.peer) this.current = { peer: best.peer, progressAtTick: now, commitAtProgress: commit };
    return best;
  }

  private benchIfStuck(commit: Slot, now: number): void {
    const current = this.current;
    if (current === null) return;
    if (commit > current.commitAtProgress) {
      current.commitAtProgress = commit;
      current.progressAtTick = now;
      return;
    }
    if (now - current.progressAtTick < PATIENCE_TICKS) return;
    this.benchedUntil.set(current.peer, now + BENCH_TICKS);
    this.current = null;
    for (const [peer, until] of this.benchedUntil) if (until <= now) this.benchedUntil.delete(peer);
  }
}
