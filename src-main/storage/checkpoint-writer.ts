/**
 * Writes a pending checkpoint's file off the replica's thread (node:fs/promises runs on libuv's thread
 * pool), with the same atomic steps as writeCheckpointFile: temp file, fsync, rename, directory fsync.
 */
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINT_FILE, CHECKPOINT_TEMP_FILE } from './checkpoint-file';
import { isDirectoryFsyncUnsupported } from './node-file-system';
import type { PendingCheckpoint } from './replica-store';

export async function writeCheckpointInBackground(pending: PendingCheckpoint): Promise<void> {
  const temp = join(pending.dir, CHECKPOINT_TEMP_FILE);
  const file = await open(temp, 'w');
  try {
    await file.writeFile(pending.file);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, join(pending.dir, CHECKPOINT_FILE));
  try {
    const dir = await open(pending.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (error) {
    if (!isDirectoryFsyncUnsupported(error)) throw error;
  }
}
