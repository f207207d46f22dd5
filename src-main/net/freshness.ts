/**
 * Drops datagrams that waited too long to be read: the backlog a stopped or frozen process finds in its
 * socket when it resumes.
 *
 * Why: a member SIGSTOPped (or frozen by a debugger, a starved VM) while the cluster ran on finds its
 * receive buffer full of what was sent during the first seconds of its pause. Read as if new, that
 * backlog says the old leader is alive: the member follows a leader that died since, refuses the
 * survivors' pre-votes, and spends its first seconds persisting and answering stale accepts (the
 * failover benchmark's laggard). Dropping such a datagram is a loss, which Paxos tolerates: whatever of
 * it still matters is retransmitted.
 *
 * How old a datagram is: every datagram carries its sender's monotonic clock (seal.ts, `sentAtMs`, u32
 * wrapping). Clocks of two machines share no origin, but their difference is constant up to drift:
 * delta = our clock at reading − sender's clock at sending = offset + time in flight + time queued. The
 * smallest delta seen from a sender (its baseline) is the offset plus the fastest delivery, so a
 * datagram's age is its delta minus the baseline. The baseline may rise by MAX_RATE_DIFFERENCE per ms of
 * our time (clocks drift; NTP slews a monotonic clock by up to 500 ppm), so it never goes stale; a
 * smaller delta lowers it at once.
 *
 * A sender's clock that jumps (its machine slept: a monotonic clock stops during suspend) makes all its
 * datagrams look old by the same amount. A backlog is read in a burst and ends; a jumped clock stays
 * old. So a run of stale datagrams from one sender spanning more than REBASE_AFTER_MS both of our time
 * and of its time means its clock jumped: the baseline is taken afresh from the latest datagram.
 *
 * Pure: times are passed in (ms). Per sender process life (epoch); bounded to MAX_TRACKED_SENDERS.
 * Invariant: a datagram judged stale is at least staleAfterMs older than the fastest one seen from its
 * sender, drift allowance included.
 */
import { rememberRecent } from './strangers';

/** Two monotonic clocks' rates differ by at most this much (1,000 ppm: NTP's 500 ppm slew each way). */
export const MAX_RATE_DIFFERENCE = 0.001;
/** A run of stale datagrams longer than this (ours and the sender's time) means the sender's clock jumped. */
export const REBASE_AFTER_MS = 1_000;
/** Senders tracked at most (members and the few strangers a transport keeps). */
export const MAX_TRACKED_SENDERS = 64;
const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_31 = 0x8000_0000;

interface SenderClock {
  readonly epoch: number;
  /** The smallest delta seen (mod 2^32, in the frame of the first datagram), when it was set or last lowered. */
  baselineMs: number;
  baselineAtMs: number;
  /** The current run of stale datagrams: our time and the sender's at its first datagram. */
  staleRun: { readonly sinceMs: number; readonly sentAtMs: number } | null;
}

/** `a - b` for u32 clocks that wrap, as a signed difference (exact while the true one is under 2^31). */
function wrappedDifference(a: number, b: number): number {
  return ((((a - b) % TWO_POW_32) + TWO_POW_32 + TWO_POW_31) % TWO_POW_32) - TWO_POW_31;
}

export class FreshnessFilter {
  private readonly senders = new Map<string, SenderClock>();

  /** `staleAfterMs`: a datagram this much older than its sender's fastest is dropped. */
  constructor(private readonly staleAfterMs: number) {}

  /** Whether a datagram of `sender` (process life `epoch`) sent at its clock's `sentAtMs` and read now is fresh. */
  isFresh(sender: string, epoch: number, sentAtMs: number, nowMs: number): boolean {
    return this.ageOf(sender, epoch, sentAtMs, nowMs) !== null;
  }

  /**
   * How much later than the fastest from its sender a datagram is read (ms, >= 0: the time it waited
   * for us, mostly), or null when that is more than staleAfterMs (drop it). 0 when nothing tells.
   */
  ageOf(sender: string, epoch: number, sentAtMs: number, nowMs: number): number | null {
    const known = this.senders.get(sender);
    // A datagram of an older process life than the one tracked: nothing to compare it with.
    if (known !== undefined && epoch < known.epoch) return 0;
    if (known === undefined || epoch > known.epoch) {
      rememberRecent(this.senders, sender, { epoch, baselineMs: nowMs - sentAtMs, baselineAtMs: nowMs, staleRun: null }, MAX_TRACKED_SENDERS);
      return 0;
    }
    const clock = known;
    rememberRecent(this.senders, sender, clock, MAX_TRACKED_SENDERS);
    const allowedMs = clock.baselineMs + (nowMs - clock.baselineAtMs) * MAX_RATE_DIFFERENCE;
    const ageMs = wrappedDifference(nowMs - sentAtMs, allowedMs);
    if (ageMs <= 0) {
      // Faster than any before (or drift caught up): the new baseline.
      clock.baselineMs = allowedMs + ageMs;
      clock.baselineAtMs = nowMs;
      clock.staleRun = null;
      return 0;
    }
    if (ageMs <= this.staleAfterMs) {
      clock.staleRun = null;
      return ageMs;
    }
    if (clock.staleRun === null) {
      clock.staleRun = { sinceMs: nowMs, sentAtMs };
      return null;
    }
    if (nowMs - clock.staleRun.sinceMs > REBASE_AFTER_MS && wrappedDifference(sentAtMs, clock.staleRun.sentAtMs) > REBASE_AFTER_MS) {
      clock.baselineMs = allowedMs + ageMs;
      clock.baselineAtMs = nowMs;
      clock.staleRun = null;
      return 0;
    }
    return null;
  }
}
