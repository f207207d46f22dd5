/**
 * The transport epoch: a number persisted in `${dir}/transport-epoch` (decimal text) and raised at
 * every process start to max(stored + 1, seconds since EPOCH_CLOCK_BASE_MS). A sender's AES-GCM nonce is
 * (epoch, counter) with the counter restarting at 0 in each process; receivers reject datagrams from
 * an epoch older than the newest they saw from that sender (replays), and from a member that left.
 *
 * Why the clock: the stored value alone restarts at 1 in a new data directory (`--join
 * --discard-history`, or a deleted directory), which would reuse the (key, nonce) pairs of the node's
 * earlier lives and leave it muted by its peers, whose replay windows reject the lower epoch. Seconds
 * since a fixed date put a new directory's first epoch above every earlier life's, as long as the clock
 * did not go back and the node did not start more than once a second (each start within one second
 * adds 1 ahead of the clock). Nonces stay unique even then: each life also seals under its own key
 * (a random boot salt, keys.ts); only the peers' acceptance of a lower epoch relies on the clock.
 *
 * Invariants:
 *  - An epoch returned once is never returned again from the same directory, whatever crash follows:
 *    the new value is durable (written to a temporary file, fsynced, renamed over the old one, directory
 *    fsynced) before it is returned. A crash before that leaves the old value, which was never returned
 *    by a call that failed.
 *  - An unreadable or corrupt epoch file is an error, never "start again at 0".
 *  - Epochs fit in the u32 of the datagram header (1 .. 2^32 - 1, seconds until the year 2161). A clock
 *    beyond that range is ignored rather than allowed to exhaust the epochs.
 */
import type { FileSystem } from '../storage/file-system';

export const EPOCH_FILE_NAME = 'transport-epoch';
/** 2025-01-01T00:00:00Z: epochs count seconds from here, at least. */
export const EPOCH_CLOCK_BASE_MS = Date.UTC(2025, 0, 1);
const TEMP_FILE_NAME = `${EPOCH_FILE_NAME}.tmp`;
const MAX_EPOCH = 0xffffffff;

function parseEpoch(bytes: Uint8Array, path: string): number {
  // Decimal digits are ASCII: latin1 decoding never throws, and anything odd fails the pattern below.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^\d{1,10}$/.test(trimmed) || value > MAX_EPOCH) {
    throw new Error(`${path} is corrupt (expected a decimal epoch, got ${JSON.stringify(text.slice(0, 40))}); refusing to guess, since reusing an epoch would make peers drop this node's datagrams as replays`);
  }
  return value;
}

/** The lowest epoch the clock allows at `nowMs`: whole seconds since EPOCH_CLOCK_BASE_MS (0 when out of range). */
export function clockEpochFloor(nowMs: number): number {
  const seconds = Math.floor((nowMs - EPOCH_CLOCK_BASE_MS) / 1000);
  return Number.isSafeInteger(seconds) && seconds > 0 && seconds <= MAX_EPOCH ? seconds : 0;
}

/**
 * Reads, raises and durably stores the epoch in `dir` (created if missing); returns the new epoch:
 * max(stored + 1, clockEpochFloor(nowMs)).
 */
export function nextTransportEpoch(fs: FileSystem, dir: string, nowMs: number = Date.now()): number {
  const path = `${dir}/${EPOCH_FILE_NAME}`;
  const tempPath = `${dir}/${TEMP_FILE_NAME}`;
  fs.mkdirp(dir);
  const previous = fs.exists(path) ? parseEpoch(fs.readFile(path), path) : 0;
  if (previous >= MAX_EPOCH) throw new Error(`${path}: the transport epoch is exhausted (${previous})`);
  const next = Math.max(previous + 1, clockEpochFloor(nowMs));
  fs.writeFileSynced(tempPath, new TextEncoder().encode(`${next}\n`));
  fs.rename(tempPath, path);
  fs.fsyncDir(dir);
  return next;
}
