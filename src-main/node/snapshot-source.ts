/**
 * The snapshots this replica serves: one frozen snapshot shared by every requester for a while, built
 * without stalling the replica whenever the store allows it, and rebuilt at a bounded rate.
 *
 * Where a snapshot comes from, in order of preference (see startBuild()):
 *  0. with a checkpoint builder thread (`buildOffThread`): a checkpoint started now, whose builder
 *     makes the snapshot from the image it writes anyway (delivered through offer()). Nothing of it runs
 *     on this thread: a profile of a leader serving a member that slept 30 s under load showed the
 *     export (1.1 s) and the sliced build (0.6 s, most of it copying the image into sql.js) below
 *     stalling it, its followers timing out meanwhile. The paths below remain for when no thread can
 *     (no builder, or a snapshot was just installed and the next checkpoint must be an export);
 *  1. the checkpoint file, when it is recent enough (its slot within `maxStaleSlots` of the applied
 *     index): read off the thread and turned into snapshot bytes in slices (storage/snapshot-export.ts),
 *     so the replica never stalls for it;
 *  2. otherwise a fresh export of the database (ReplicaStore.exportImage(): a stall like a checkpoint's),
 *     at most once per `minExportIntervalMs`;
 *  3. otherwise (an export was made lately) the checkpoint file even if older, as long as it is still
 *     installable: past the compaction point, so the requester can continue from the log.
 * A requester never causes more than one build per `minBuildIntervalMs` (whoever asks, however often):
 * an unknown transfer id no longer exports the whole database every time (issue 11).
 *
 * Transfer encoding: the snapshot bytes are gzipped (on libuv's thread pool) before they are frozen;
 * the JSON of a micro-blog compresses about 3 times (measured on tweets of English words), which
 * divides the transfer time by as much. gzip's CRC-32 also checks the reassembled transfer end to end.
 */
import { randomInt } from 'node:crypto';
import { constants, createGzip } from 'node:zlib';
import type { SqlJsStatic } from 'sql.js';
import type { Slot } from '../core/types';
import type { ReplicaStore } from '../storage/replica-store';
import { readCheckpointImage, snapshotFromImage, type Slicing } from '../storage/snapshot-export';
import type { SnapshotImage } from '../storage/snapshot-image';
import { MAX_SNAPSHOT_BYTES } from './snapshot-transfer';

/** A snapshot as it is transferred; immutable once frozen. */
export interface FrozenSnapshot {
  readonly transferId: number;
  /** The transferred bytes (gzip of the snapshot). */
  readonly bytes: Uint8Array;
  /** The snapshot summarizes the slots up to here. */
  readonly slot: Slot;
  readonly frozenAt: number;
}

/** What the snapshot server needs from a source (SnapshotSource, or a test double). */
export interface SnapshotProvider {
  /** The snapshot of a transfer under way, if this replica still holds it. */
  transfer(transferId: number): FrozenSnapshot | undefined;
  /**
   * The snapshot a new transfer should send, or null while a better one is being prepared (or none can
   * be yet): `ready` is then called (once) when one is frozen. Pass the same function every time: the
   * source keeps each distinct one until then.
   */
  forNewTransfer(ready: (snapshot: FrozenSnapshot) => void): FrozenSnapshot | null;
}

export interface SnapshotSourceOptions {
  readonly now: () => number;
  readonly appliedIndex: () => Slot;
  /** Slots up to here are gone from the log: a snapshot at or below it is of no use to anyone. */
  readonly compactedThrough: () => Slot;
  /** The applied index the checkpoint file reflects. */
  readonly checkpointSlot: () => Slot;
  /** The checkpoint file's database image, read without stalling. */
  readonly readCheckpoint: () => Promise<Uint8Array>;
  /**
   * Asks the checkpoint builder thread for a snapshot (see 0. above): true if one will come through
   * offer(), or offThreadBuildFailed() be called; false if the builder cannot now.
   */
  readonly buildOffThread?: () => boolean;
  /** The database image now (stalls the replica). */
  readonly exportImage: () => Uint8Array;
  /** Snapshot bytes from a database image, built in slices. */
  readonly build: (image: Uint8Array) => Promise<SnapshotImage>;
  /** The transfer encoding of the snapshot's bytes. Default gzip (off the thread). */
  readonly encode?: (bytes: Uint8Array) => Promise<Uint8Array>;
  /**
   * A snapshot further behind the applied index than this is rebuilt for new transfers: a requester
   * that installs it should land close enough to continue from the log (the core fetches a snapshot
   * when it is more than snapshotCatchupSlots behind; pass half of that).
   */
  readonly maxStaleSlots: number;
  /** A frozen snapshot is dropped this long after it was frozen. Default 60 s. */
  readonly maxAgeMs?: number;
  /** Builds start at most this often. Default 1 s. */
  readonly minBuildIntervalMs?: number;
  /** Exports (the builds that stall) happen at most this often. Default 10 s. */
  readonly minExportIntervalMs?: number;
  /** Transfer ids count up from here. Default random, so a requester never mistakes a restarted server's transfer for its old one. */
  readonly firstTransferId?: number;
  /** A build failed (a damaged checkpoint file, ...); the next request tries again. */
  readonly onError: (error: unknown) => void;
  /** A new snapshot was frozen: from which image, how large, how long it took (for the log). */
  readonly onFrozen?: (built: { readonly slot: Slot; readonly bytes: number; readonly imageFrom: 'checkpoint' | 'export' | 'checkpoint-builder'; readonly ms: number }) => void;
}

export const DEFAULT_SNAPSHOT_MAX_AGE_MS = 60_000;
export const DEFAULT_SNAPSHOT_MIN_BUILD_INTERVAL_MS = 1_000;
export const DEFAULT_SNAPSHOT_MIN_EXPORT_INTERVAL_MS = 10_000;
/** Frozen snapshots kept: the newest, and the one before it for transfers still under way. */
const FROZEN_KEPT = 2;

/**
 * gzip at its fastest level (the snapshot is sent once; the wire, not the ratio, is the bottleneck),
 * streamed through libuv's thread pool: this thread only hands the bytes over and gathers the (several
 * times smaller) output.
 */
export function gzipSnapshot(bytes: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    // Large output chunks: fewer trips between the thread pool and this event loop.
    const gzip = createGzip({ level: constants.Z_BEST_SPEED, chunkSize: 1024 * 1024 });
    const output: Buffer[] = [];
    gzip.on('data', (data: Buffer) => output.push(data));
    gzip.on('end', () => resolve(Buffer.concat(output)));
    gzip.on('error', reject);
    gzip.end(bytes);
  });
}

export class SnapshotSource implements SnapshotProvider {
  private frozen: FrozenSnapshot[] = [];
  private building = false;
  /** A snapshot was asked of the checkpoint builder thread and has not come yet (see buildOffThread). */
  private offThreadPending = false;
  private lastBuildAt = -Infinity;
  private lastExportAt = -Infinity;
  /** The applied index as last seen by prepareWhenQuiet, and since when. */
  private lastApplied = { slot: -1, at: -Infinity };
  private nextTransferId: number;
  /** Who waits for the build under way (distinct functions; the server always passes the same one). */
  private readonly waiting = new Set<(snapshot: FrozenSnapshot) => void>();
  private readonly maxAgeMs: number;
  private readonly minBuildIntervalMs: number;
  private readonly minExportIntervalMs: number;
  private readonly encode: (bytes: Uint8Array) => Promise<Uint8Array>;

  constructor(private readonly options: SnapshotSourceOptions) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_SNAPSHOT_MAX_AGE_MS;
    this.minBuildIntervalMs = options.minBuildIntervalMs ?? DEFAULT_SNAPSHOT_MIN_BUILD_INTERVAL_MS;
    this.minExportIntervalMs = options.minExportIntervalMs ?? DEFAULT_SNAPSHOT_MIN_EXPORT_INTERVAL_MS;
    this.encode = options.encode ?? gzipSnapshot;
    this.nextTransferId = options.firstTransferId ?? randomInt(1, 2 ** 31);
  }

  /** Builds a snapshot from this replica's store (the runtime's source). */
  static forStore(store: ReplicaStore, sqlJs: SqlJsStatic, options: Pick<SnapshotSourceOptions, 'now' | 'maxStaleSlots' | 'onError'> & Partial<SnapshotSourceOptions> & { readonly slicing?: Slicing }): SnapshotSource {
    return new SnapshotSource({
      appliedIndex: () => store.appliedIndex,
      compactedThrough: () => store.compactedThrough,
      checkpointSlot: () => store.checkpointSlot,
      readCheckpoint: () => readCheckpointImage(store.checkpointPath, options.slicing),
      exportImage: () => store.exportImage().image,
      build: (image) => snapshotFromImage(sqlJs, image, options.slicing),
      ...options,
    });
  }

  transfer(transferId: number): FrozenSnapshot | undefined {
    this.expire();
    return this.frozen.find((snapshot) => snapshot.transferId === transferId);
  }

  forNewTransfer(ready: (snapshot: FrozenSnapshot) => void): FrozenSnapshot | null {
    const latest = this.prepare();
    if (latest !== null && this.fresh(latest.slot)) return latest;
    if (this.busy) {
      this.waiting.add(ready);
      return null; // a better one is on its way
    }
    if (latest !== null) return latest;
    this.waiting.add(ready); // nothing to serve yet: whoever asks again after the next build gets it
    return null;
  }

  /**
   * Starts building a snapshot now if the newest one is stale and the intervals allow, so that it is
   * ready when a lagging peer asks (the runtime may call this when it sees a peer fall far behind).
   * Returns the newest installable snapshot, fresh or not (null if none).
   */
  prepare(): FrozenSnapshot | null {
    this.expire();
    const latest = this.latest();
    const installable = latest !== null && this.installable(latest.slot) ? latest : null;
    if (installable === null || !this.fresh(installable.slot)) this.startBuild();
    return installable;
  }

  /**
   * A snapshot built elsewhere (by the checkpoint builder thread, from the image it just wrote), not
   * yet encoded: it is encoded off this thread and frozen if it is still newer than what is frozen, so
   * that a lagging peer finds a snapshot ready instead of waiting for a build (and the replica never
   * stalls for one).
   */
  async offer(built: SnapshotImage): Promise<void> {
    try {
      await this.freezeOffered(built);
    } finally {
      // Whichever checkpoint it came from, a build asked of the thread ends here (one checkpoint at a time).
      this.offThreadPending = false;
    }
  }

  /**
   * Called after every turn: while `peerMayNeedOne()` (a peer is away or far behind) and once the applied
   * index has stood still for `quietMs` (the load paused), builds a snapshot at the current index if the
   * newest is stale. A peer coming back then finds one ready instead of waiting for a build, the largest
   * part of its catch-up; under load the checkpoints' snapshots (every SNAPSHOT_PREPARE_INTERVAL_MS)
   * serve, since building one per second would take the CPU the leader needs. `peerMayNeedOne` is asked
   * only once the load paused: under load this runs every few milliseconds, and looking at every peer
   * each time would cost the leader for nothing.
   */
  prepareWhenQuiet(peerMayNeedOne: () => boolean, quietMs: number): void {
    const now = this.options.now();
    const applied = this.options.appliedIndex();
    if (applied !== this.lastApplied.slot) {
      this.lastApplied = { slot: applied, at: now };
      return;
    }
    if (now - this.lastApplied.at < quietMs || !peerMayNeedOne()) return;
    const latest = this.latest();
    if (latest === null || !this.fresh(latest.slot)) this.prepare();
  }

  /** The checkpoint that was to bring a snapshot asked through buildOffThread failed: the next request asks again. */
  offThreadBuildFailed(): void {
    this.offThreadPending = false;
  }

  private async freezeOffered(built: SnapshotImage): Promise<void> {
    const startedAt = this.options.now();
    const latestSlot = this.latest()?.slot ?? 0;
    if (built.slot <= latestSlot || !this.installable(built.slot)) return;
    let bytes: Uint8Array;
    try {
      bytes = await this.encodeForTransfer(built);
    } catch (error) {
      this.options.onError(error);
      return;
    }
    // A build may have frozen a newer one meanwhile.
    if (built.slot <= (this.latest()?.slot ?? 0) || !this.installable(built.slot)) return;
    this.handOut(this.freeze(built.slot, bytes, 'checkpoint-builder', startedAt));
  }

  /** The transfer encoding of `built`; throws when no fetcher would take it (see MAX_SNAPSHOT_BYTES), rather than serve it in vain. */
  private async encodeForTransfer(built: SnapshotImage): Promise<Uint8Array> {
    const bytes = await this.encode(built.bytes);
    if (bytes.length > MAX_SNAPSHOT_BYTES) throw new RangeError(`the snapshot at slot ${built.slot} takes ${bytes.length} bytes, over the ${MAX_SNAPSHOT_BYTES}-byte limit of a transfer`);
    return bytes;
  }

  /** Makes `bytes` the newest frozen snapshot (keeping the one before for transfers under way) and says so. */
  private freeze(slot: Slot, bytes: Uint8Array, imageFrom: 'checkpoint' | 'export' | 'checkpoint-builder', startedAt: number): FrozenSnapshot {
    const snapshot = { transferId: this.nextTransferId++, bytes, slot, frozenAt: this.options.now() };
    this.frozen = [...this.frozen, snapshot].slice(-FROZEN_KEPT);
    this.options.onFrozen?.({ slot, bytes: bytes.length, imageFrom, ms: snapshot.frozenAt - startedAt });
    return snapshot;
  }

  /** Whether a build is under way, here or asked of the builder thread (for status and tests). */
  get busy(): boolean {
    return this.building || this.offThreadPending;
  }

  private latest(): FrozenSnapshot | null {
    return this.frozen.at(-1) ?? null;
  }

  private installable(slot: Slot): boolean {
    return slot > this.options.compactedThrough();
  }

  private fresh(slot: Slot): boolean {
    return this.options.appliedIndex() - slot <= this.options.maxStaleSlots;
  }

  private expire(): void {
    const now = this.options.now();
    this.frozen = this.frozen.filter((snapshot) => now - snapshot.frozenAt <= this.maxAgeMs);
  }

  /** Starts a build if none runs, the interval allows one, and it can beat what is frozen. */
  private startBuild(): void {
    const now = this.options.now();
    if (this.busy || now - this.lastBuildAt < this.minBuildIntervalMs) return;
    if (this.options.buildOffThread?.() === true) {
      this.offThreadPending = true;
      this.lastBuildAt = now;
      return;
    }
    const latestSlot = this.latest()?.slot ?? 0;
    const checkpoint = this.options.checkpointSlot();
    const checkpointUseful = this.installable(checkpoint) && checkpoint > latestSlot;
    let image: Promise<Uint8Array>;
    let imageFrom: 'checkpoint' | 'export' = 'checkpoint';
    if (checkpointUseful && this.fresh(checkpoint)) image = this.options.readCheckpoint();
    else if (now - this.lastExportAt >= this.minExportIntervalMs && this.options.appliedIndex() > latestSlot) {
      this.lastExportAt = now;
      imageFrom = 'export';
      try {
        image = Promise.resolve(this.options.exportImage());
      } catch (error) {
        this.options.onError(error);
        return;
      }
    } else if (checkpointUseful) image = this.options.readCheckpoint();
    else return;
    this.building = true;
    this.lastBuildAt = now;
    void this.finishBuild(image, imageFrom, now);
  }

  private async finishBuild(image: Promise<Uint8Array>, imageFrom: 'checkpoint' | 'export', startedAt: number): Promise<void> {
    let snapshot: FrozenSnapshot | null = null;
    try {
      const built = await this.options.build(await image);
      const latest = this.latest();
      if (latest !== null && built.slot <= latest.slot) {
        snapshot = latest; // nothing newer after all: transfers keep the one they use
      } else {
        snapshot = this.freeze(built.slot, await this.encodeForTransfer(built), imageFrom, startedAt);
      }
    } catch (error) {
      this.options.onError(error);
    } finally {
      this.building = false;
    }
    if (snapshot === null || !this.installable(snapshot.slot)) return;
    this.handOut(snapshot);
  }

  /** Gives `snapshot` to everyone waiting for one. */
  private handOut(snapshot: FrozenSnapshot): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const ready of waiting) {
      try {
        ready(snapshot);
      } catch (error) {
        this.options.onError(error);
      }
    }
  }
}
