/**
 * Writes a checkpoint's file off the replica's turn, with the same atomic steps as
 * writeCheckpointFile: temp file, fsync, rename, directory fsync. The image's CRC-32C is computed in
 * slices with the event loop served between them (a 50 MB image takes about 100 ms of checksum, which
 * in one piece would hold back heartbeats when it runs on the replica's thread), and the file I/O runs
 * on libuv's thread pool.
 */
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { CHECKPOINT_FILE, CHECKPOINT_TEMP_FILE, checkpointHeader } from './checkpoint-file';
import { crc32c } from './crc32c';
import { isDirectoryFsyncUnsupported } from './node-file-system';

/** Bytes checksummed between two turns of the event loop (about 2 ms). */
const CRC_SLICE_BYTES = 1024 * 1024;

async function crc32cSliced(data: Uint8Array): Promise<number> {
  let crc = 0;
  for (let start = 0; start < data.length; start += CRC_SLICE_BYTES) {
    crc = crc32c(data, crc, start, Math.min(data.length, start + CRC_SLICE_BYTES));
    await nextLoopTurn();
  }
  return crc;
}

export async function writeCheckpointInBackground(dir: string, image: Uint8Array): Promise<void> {
  const header = checkpointHeader(await crc32cSliced(image), image.length);
  const temp = join(dir, CHECKPOINT_TEMP_FILE);
  const file = await open(temp, 'w');
  try {
    // writeFile writes everything from the current position (write() and writev() may write less).
    await file.writeFile(header);
    await file.writeFile(image);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, join(dir, CHECKPOINT_FILE));
  try {
    const directory = await open(dir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch (error) {
    if (!isDirectoryFsyncUnsupported(error)) throw error;
  }
}
