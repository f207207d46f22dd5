/**
 * Snapshots for lagging replicas, built without stalling the replica that serves them.
 *
 * ReplicaStore.snapshot() reads every app row and builds the JSON in one go: ~30 ms per MB of snapshot,
 * hundreds of milliseconds for a large history, during which the serving replica (often the leader)
 * sends no heartbeat. Here the same bytes come from a database image instead (the checkpoint file, read
 * off the thread, or ReplicaStore.exportImage()), opened as a private sql.js database that nothing else
 * writes, and read a slice at a time: each slice stops after `sliceMs`, then the event loop runs
 * (timers, datagrams, turns) before the next. The image is frozen, so the slices see one consistent state.
 *
 * Invariant: snapshotFromImage(image of the store at applied index S) returns exactly the bytes
 * store.snapshot() returns at S (same JSON text), so installSnapshot() needs nothing new. They come in
 * pieces of about 64 KiB, so that no step copies the whole snapshot at once (a large allocation and
 * copy is itself a stall); the caller streams them into its encoder.
 */
import { readFile } from 'node:fs/promises';
import type { Database, SqlJsStatic, Statement } from 'sql.js';
import { APP_SNAPSHOT_FORMAT } from '../app/snapshot';
import { APP_TABLES, selectAllSql } from '../app/schema';
import type { Slot } from '../core/types';
import { checkpointDamaged, parseCheckpointFile } from './checkpoint-file';
import { crc32c } from './crc32c';
import { SNAPSHOT_FORMAT } from './replica-store';
import { StoreTables } from './store-tables';

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

/** Rows read between two looks at the clock (a row costs microseconds). */
const ROWS_PER_CLOCK_CHECK = 128;
/** Bytes checksummed between two looks at the clock (about a millisecond). */
const CRC_BYTES_PER_STEP = 1024 * 1024;
/** JSON text gathered before it is encoded to UTF-8. */
const TEXT_PIECE_CHARS = 64 * 1024;

export interface BuiltSnapshot {
  /** The snapshot's bytes, in order. */
  readonly pieces: readonly Uint8Array[];
  /** The snapshot summarizes the slots up to here. */
  readonly slot: Slot;
}

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

/** The snapshot (ReplicaStore.snapshot()'s bytes) of the store state that `image` holds. */
export async function snapshotFromImage(sqlJs: SqlJsStatic, image: Uint8Array, slicing: Slicing = DEFAULT_SLICING): Promise<BuiltSnapshot> {
  const db = new sqlJs.Database(image);
  try {
    const tables = new StoreTables(db);
    const meta = tables.readMeta();
    tables.dispose();
    if (meta.membership === null) throw new Error('the image predates the membership (a joining node): it holds no snapshot');
    const writer = new JsonWriter(slicing);
    writer.text(`{"format":${JSON.stringify(SNAPSHOT_FORMAT)},"clusterId":${JSON.stringify(meta.clusterId)},"slot":${meta.appliedIndex},"app":{"format":${JSON.stringify(APP_SNAPSHOT_FORMAT)}`);
    for (const table of APP_TABLES) {
      writer.text(`,${JSON.stringify(table.key)}:[`);
      await writeRows(db, selectAllSql(table), writer);
      writer.text(']');
    }
    writer.text(`},"membership":${JSON.stringify({ epochs: meta.membership, through: meta.appliedIndex })}}`);
    return { pieces: writer.finish(), slot: meta.appliedIndex };
  } finally {
    db.close();
  }
}

async function writeRows(db: Database, sql: string, writer: JsonWriter): Promise<void> {
  const statement: Statement = db.prepare(sql);
  try {
    let first = true;
    for (;;) {
      for (let i = 0; i < ROWS_PER_CLOCK_CHECK; i++) {
        if (!statement.step()) return;
        writer.text(first ? JSON.stringify(statement.get()) : `,${JSON.stringify(statement.get())}`);
        first = false;
      }
      await writer.maybePause();
    }
  } finally {
    statement.free();
  }
}

/** Gathers JSON text, encodes it to UTF-8 in pieces, and pauses when its slice is used up. */
class JsonWriter {
  private readonly encoder = new TextEncoder();
  private readonly pieces: Uint8Array[] = [];
  private pending: string[] = [];
  private pendingChars = 0;
  private sliceStart: number;

  constructor(private readonly slicing: Slicing) {
    this.sliceStart = slicing.now();
  }

  text(text: string): void {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= TEXT_PIECE_CHARS) this.encodePending();
  }

  async maybePause(): Promise<void> {
    if (this.slicing.now() - this.sliceStart < this.slicing.sliceMs) return;
    await this.slicing.pause();
    this.sliceStart = this.slicing.now();
  }

  finish(): Uint8Array[] {
    this.encodePending();
    return this.pieces;
  }

  private encodePending(): void {
    this.pieces.push(this.encoder.encode(this.pending.join('')));
    this.pending = [];
    this.pendingChars = 0;
  }
}
