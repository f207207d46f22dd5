/**
 * The transport epoch: a counter persisted in `${dir}/transport-epoch` (decimal text) and incremented
 * once per process start. A sender's AES-GCM nonce is (epoch, counter) with the counter restarting at
 * 0 in each process, so a fresh epoch per start is what keeps nonces from ever repeating across
 * restarts; receivers also reject datagrams from an epoch older than the newest they saw (replays).
 *
 * Invariants:
 *  - An epoch returned once is never returned again, whatever crash follows: the new value is durable
 *    (written to a temporary file, fsynced, renamed over the old one, directory fsynced) before it is
 *    returned. A crash before that leaves the old value, which was never returned by a call that failed.
 *  - An unreadable or corrupt epoch file is an error, never "start again at 0": restarting the count
 *    would reuse nonces, which breaks AES-GCM.
 *  - Epochs fit in the u32 of the datagram header (1 .. 2^32 - 1).
 */
import type { FileSystem } from '../storage/file-system';

export const EPOCH_FILE_NAME = 'transport-epoch';
const TEMP_FILE_NAME = `${EPOCH_FILE_NAME}.tmp`;
const MAX_EPOCH = 0xffffffff;

function parseEpoch(bytes: Uint8Array, path: string): number {
  // Decimal digits are ASCII: latin1 decoding never throws, and anything odd fails the pattern below.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^\d{1,10}$/.test(trimmed) || value > MAX_EPOCH) {
    throw new Error(`${path} is corrupt (expected a decimal epoch, got ${JSON.stringify(text.slice(0, 40))}); refusing to guess, since reusing an epoch would reuse encryption nonces`);
  }
  return value;
}

/** Reads, increments and durably stores the epoch in `dir` (created if missing); returns the new epoch. */
export function nextTransportEpoch(fs: FileSystem, dir: string): number {
  const path = `${dir}/${EPOCH_FILE_NAME}`;
  const tempPath = `${dir}/${TEMP_FILE_NAME}`;
  fs.mkdirp(dir);
  const previous = fs.exists(path) ? parseEpoch(fs.readFile(path), path) : 0;
  if (previous >= MAX_EPOCH) throw new Error(`${path}: the transport epoch is exhausted (${previous})`);
  const next = previous + 1;
  fs.writeFileSynced(tempPath, new TextEncoder().encode(`${next}\n`));
  fs.rename(tempPath, path);
  fs.fsyncDir(dir);
  return next;
}
