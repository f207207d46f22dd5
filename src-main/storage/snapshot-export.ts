/**
 * Snapshots for lagging replicas, built without stalling the replica that serves them.
 *
 * The snapshot (snapshot-image.ts) comes from a database image: the checkpoint file, read and checked
 * off the event loop's critical path, or ReplicaStore.exportImage(). The image is opened as a private
 * sql.js database that nothing else writes, and stripped of the replica's private rows a step at a
 * time: after `sliceMs` of work the event loop runs (timers, datagrams, turns) before the next step.
 * The image is frozen, so the steps see one consistent state. What still stalls: copying the image into
 * sql.js and exporting the result (memory copies, a few milliseconds per 10 MB).
 */
import { readFile } from 'node:fs/promises';
import type { SqlJsStatic } from 'sql.js';
import { checkpointDamaged, parseCheckpointFile } from './checkpoint-file';
import { crc32c } from './crc32c';
import { stripSteps, type SnapshotImage } from './snapshot-image';

/** How long-running work shares the event loop: run for at most `sliceMs`, then `pause()`. */
export interface Slicing {
  readonly now: () => number;
  readonly sliceMs: number;
  /** Resolves after the event loop had its turn (setImmediate). */
  readonly pause: () => Promise<void>;
}

export const DEFAULT_SLICING: Slicing = {
  now: () => performance.now(),
  sliceMs: 4,
  pause: () => new Promise((resolve) => setImmediate(resolve)),
};

/** Bytes checksummed between two looks at the clock (about a millisecond). */
const CRC_BYTES_PER_STEP = 1024 * 1024;

/**
 * The database image of the checkpoint file at `path`: read on libuv's thread pool, its checksum
 * verified in slices. Throws a StorageError when the file is missing or damaged.
 */
export async function readCheckpointImage(path: string, slicing: Slicing = DEFAULT_SLICING): Promise<Uint8Array> {
  const file = await readFile(path);
  const { image, crc } = parseCheckpointFile(file, path);
  let actual = 0;
  let sliceStart = slicing.now();
  for (let start = 0; start < image.length; start += CRC_BYTES_PER_STEP) {
    actual = crc32c(image, actual, start, Math.min(image.length, start + CRC_BYTES_PER_STEP));
    if (slicing.now() - sliceStart >= slicing.sliceMs) {
      await slicing.pause();
      sliceStart = slicing.now();
    }
  }
  if (actual !== crc) throw checkpointDamaged(path, 'checksum mismatch');
  return image;
}

/** The snapshot of the state that `image` (a replica's database image) holds, built in slices. */
export async function snapshotFromImage(sqlJs: SqlJsStatic, image: Uint8Array, slicing: Slicing = DEFAULT_SLICING): Promise<SnapshotImage> {
  const db = new sqlJs.Database(image);
  try {
    const steps = stripSteps(db);
    let sliceStart = slicing.now();
    for (;;) {
      const step = steps.next();
      if (step.done === true) return { bytes: db.export(), slot: step.value };
      if (slicing.now() - sliceStart >= slicing.sliceMs) {
        await slicing.pause();
        sliceStart = slicing.now();
      }
    }
  } finally {
    db.close();
  }
}
