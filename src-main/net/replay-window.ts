/**
 * Replay protection for one sender: the highest epoch seen and, within it, a sliding window of the
 * last `REPLAY_WINDOW_COUNTERS` counters (as in IPsec, RFC 4303/6479), above a floor epoch.
 *
 * Accepted: a newer epoch at or above the floor; in the current epoch, a counter above the highest
 * seen, or inside the window and not seen yet (datagrams may be reordered). Rejected: epochs below the
 * floor or older than the current one, counters below the window, duplicates.
 *
 * The floor is what survives a restart of the receiver (peer-epochs.ts) and what a member that leaves
 * the cluster is held to (raiseFloor): epochs below it are never accepted again.
 *
 * Invariant: mayAccept() changes nothing; only record() does, and the caller calls it only after the
 * datagram authenticated, so forged datagrams can neither advance nor poison the window.
 */
export const REPLAY_WINDOW_COUNTERS = 4096;

const WORD_BITS = 32;

export class ReplayWindow {
  private epoch = -1;
  /** Highest counter recorded in `epoch`, -1 for none. */
  private highest = -1;
  /** Bit (c mod REPLAY_WINDOW_COUNTERS) is set when counter c of the window (highest - size, highest] was seen. */
  private readonly seen = new Uint32Array(REPLAY_WINDOW_COUNTERS / WORD_BITS);

  /** `floorEpoch`: the lowest epoch accepted (0 accepts any). */
  constructor(private floorEpoch = 0) {}

  /** The newest epoch recorded, -1 for none. */
  get newestEpoch(): number {
    return this.epoch;
  }

  /** The lowest epoch still accepted. */
  get floor(): number {
    return this.floorEpoch;
  }

  /** From now on epochs below `floorEpoch` are rejected (a lower value changes nothing). */
  raiseFloor(floorEpoch: number): void {
    this.floorEpoch = Math.max(this.floorEpoch, floorEpoch);
  }

  mayAccept(epoch: number, counter: number): boolean {
    if (epoch < this.floorEpoch) return false;
    if (epoch !== this.epoch) return epoch > this.epoch;
    if (counter > this.highest) return true;
    if (counter <= this.highest - REPLAY_WINDOW_COUNTERS) return false;
    return !this.isSeen(counter);
  }

  /** Marks (epoch, counter) as seen. Precondition: mayAccept(epoch, counter). */
  record(epoch: number, counter: number): void {
    if (epoch > this.epoch) {
      this.epoch = epoch;
      this.highest = -1;
      this.seen.fill(0);
    }
    if (counter > this.highest) {
      // Counters that slide into the window were never seen: clear their (recycled) bits.
      if (counter - this.highest >= REPLAY_WINDOW_COUNTERS) this.seen.fill(0);
      else for (let c = this.highest + 1; c < counter; c++) this.setSeen(c, false);
      this.highest = counter;
    }
    this.setSeen(counter, true);
  }

  private isSeen(counter: number): boolean {
    const bit = counter % REPLAY_WINDOW_COUNTERS;
    return ((this.seen[bit >>> 5] as number) & (1 << (bit & 31))) !== 0;
  }

  private setSeen(counter: number, value: boolean): void {
    const bit = counter % REPLAY_WINDOW_COUNTERS;
    const word = this.seen[bit >>> 5] as number;
    this.seen[bit >>> 5] = value ? word | (1 << (bit & 31)) : word & ~(1 << (bit & 31));
  }
}
