/**
 * Store maintenance: the storage work a running replica does around its turns, apart from the turn's own
 * journal writes. It installs a snapshot fetched from a peer (between Readys, as the core requires),
 * compacts the log, starts checkpoints (on the checkpoint builder thread when there is one), and has the
 * builder prepare snapshots for the peers that may soon ask for one.
 *
 * Invariants: one checkpoint in flight at a time, and no snapshot is installed while one is in flight
 * (the install waits for the turn after it ends). The loop calls these steps; this class owns no timers:
 * a checkpoint that ends asks the loop for a turn (`schedule`), which may start the next one.
 */
import { majority } from '../core/quorum';
import type { NodeId, ReplicaStatus, Slot } from '../core/types';
import type { Replica } from '../core/replica';
import type { CheckpointBuilder } from '../storage/checkpoint-builder';
import { writeCheckpointInBackground } from '../storage/checkpoint-writer';
import type { InstalledSnapshot, ReplicaStore, WrittenCheckpoint } from '../storage/replica-store';
import type { Logger } from './logger';
import type { PeerState } from './node-state';
import type { SnapshotSource } from './snapshot-source';

/** Chosen slots kept in the log before compaction, unless the options say otherwise. */
export const DEFAULT_RETAIN_SLOTS = 10_000;
/** Compaction runs in steps of this many slots rather than every turn. */
export const COMPACTION_STEP_SLOTS = 1_000;
/** The checkpoint builder prepares a snapshot for lagging peers at most this often (SnapshotSource's export interval). */
export const SNAPSHOT_PREPARE_INTERVAL_MS = 10_000;
/**
 * With a peer away, a snapshot is prepared once nothing was applied for this long: a pause in the load,
 * not a gap between two batches (under load a batch is applied every few ms).
 */
export const SNAPSHOT_QUIET_MS = 300;
/**
 * After a snapshot install the next checkpoint must export this thread's whole database (no journal
 * record holds the install), a stall of 0.2-0.3 s at 37 MB on the 2-core machine. Taken at once it held
 * back the slots decided since the snapshot, which the member then applied only after it; so it waits
 * until the member applied the most advanced commit index it knows of, for at most INSTALL_CHECKPOINT_DEFER_MS
 * (a member that exported with 20 slots left stalled 0.2 s before applying them). A crash
 * meanwhile recovers the member as it was before the install (ReplicaStore.installSnapshot), which
 * loses nothing: it fetches a snapshot again.
 */
export const INSTALL_CHECKPOINT_DEFER_MS = 2_000;

/** What maintenance does to the store (ReplicaStore's operations). */
export type MaintainedStore = Pick<ReplicaStore, 'appliedIndex' | 'nextCheckpointIsExport' | 'checkpointDue' | 'planCheckpoint' | 'beginCheckpoint' | 'finishCheckpoint' | 'installSnapshot' | 'compact'>;

/** What maintenance does to the protocol core (Replica's operations), and the positions it reads. */
export type MaintainedCore = Pick<Replica, 'installSnapshot' | 'compact'> & { status(): Pick<ReplicaStatus, 'appliedIndex' | 'compactedThrough' | 'commitIndex'> };

export interface StoreMaintenanceContext {
  readonly store: MaintainedStore;
  readonly core: MaintainedCore;
  /** The checkpoint builder thread, or null: every checkpoint is then an export of this thread's database. */
  readonly builder: Pick<CheckpointBuilder, 'build' | 'close'> | null;
  /** Whose checkpoints the builder writes, and where. */
  readonly checkpointFor: { readonly dir: string; readonly nodeId: NodeId; readonly clusterId: string };
  /** The snapshots this replica serves; its buildOffThread must call askSnapshotOffThread(). */
  readonly snapshotSource: Pick<SnapshotSource, 'offer' | 'offThreadBuildFailed' | 'prepareWhenQuiet'>;
  /** The transport's peers now, with their reachability and reported commit index. */
  readonly peers: () => readonly PeerState[];
  /** The core fetches a snapshot when it is more than this many slots behind (ProtocolConfig). */
  readonly snapshotCatchupSlots: number;
  /** Chosen slots kept in the log before compaction. */
  readonly retainSlots: number;
  /** Wall-clock ms. */
  readonly now: () => number;
  /** A checkpoint ended: the loop runs a turn (the next checkpoint, or a snapshot waiting for it). */
  readonly schedule: () => void;
  /** A fetched snapshot is installed in the store and the core (and logged): the runtime answers for the slots it skipped. */
  readonly onSnapshotInstalled: (installed: InstalledSnapshot) => void;
  readonly logger: Logger;
  /** Writes an exported checkpoint image off the turn (default: writeCheckpointInBackground). */
  readonly writeExportedCheckpoint?: (dir: string, image: Uint8Array) => Promise<void>;
}

/**
 * Some peer is not heard from lately (asleep, restarting) or far behind: it may ask for a snapshot.
 * Only a member that hears a majority (itself included) can tell: one that hears nobody is more likely
 * the one away (a member resumed from a pause sees every peer unreachable, and building a snapshot then
 * would only hold it back).
 */
export function peerMayNeedSnapshot(commitIndex: Slot, peers: readonly PeerState[], snapshotCatchupSlots: number): boolean {
  const inTouch = 1 + peers.filter((peer) => peer.reachable).length;
  if (inTouch < majority(peers.length + 1)) return false;
  const far = snapshotCatchupSlots / 2;
  return peers.some((peer) => !peer.reachable || (peer.commitIndex !== null && commitIndex - peer.commitIndex > far));
}

/** The slot to compact through, keeping `retainSlots` applied slots, or null until a whole step is due. */
export function compactionSlot(appliedIndex: Slot, compactedThrough: Slot, retainSlots: number): Slot | null {
  if (appliedIndex - compactedThrough < retainSlots + COMPACTION_STEP_SLOTS) return null;
  return appliedIndex - retainSlots;
}

export class StoreMaintenance {
  private checkpointInFlight: Promise<void> | null = null;
  private snapshotToInstall: { bytes: Uint8Array; from: NodeId } | null = null;
  /** When the checkpoint builder last prepared a snapshot (wall-clock ms). */
  private snapshotPreparedAt = -Infinity;
  /** A lagging peer needs a snapshot and the source asked the checkpoint builder for one (see checkpointIfDue). */
  private snapshotWanted = false;
  private checkpointsStarted = 0;
  private lastCheckpointStallMs = 0;
  /** When the last snapshot was installed (wall-clock ms): its export checkpoint may wait (INSTALL_CHECKPOINT_DEFER_MS). */
  private installedAt = -Infinity;
  private readonly writeExportedCheckpoint: (dir: string, image: Uint8Array) => Promise<void>;

  constructor(private readonly ctx: StoreMaintenanceContext) {
    this.writeExportedCheckpoint = ctx.writeExportedCheckpoint ?? writeCheckpointInBackground;
  }

  /** A snapshot fetched from `from` waits for the next turn to be installed. */
  get hasSnapshotToInstall(): boolean {
    return this.snapshotToInstall !== null;
  }

  /** Checkpoints started, and how long the last one paused the replica (ms). */
  checkpointCounters(): { readonly started: number; readonly lastStallMs: number } {
    return { started: this.checkpointsStarted, lastStallMs: this.lastCheckpointStallMs };
  }

  /** The snapshot fetcher completed a transfer: installed at the start of a turn (installSnapshotIfReady). */
  snapshotFetched(bytes: Uint8Array, from: NodeId): void {
    this.snapshotToInstall = { bytes, from };
  }

  /**
   * The snapshot source's buildOffThread: asks the checkpoint builder for a snapshot; false if it cannot
   * now (no builder, or the next checkpoint must be an export: a snapshot was just installed).
   */
  askSnapshotOffThread(): boolean {
    if (this.ctx.builder === null || this.ctx.store.nextCheckpointIsExport) return false;
    // Asked during a turn (a snapshot request): that turn's end starts the checkpoint, or the end of
    // the checkpoint in flight schedules the turn that does.
    this.snapshotWanted = true;
    return true;
  }

  installSnapshotIfReady(): void {
    const pending = this.snapshotToInstall;
    if (pending === null || this.checkpointInFlight !== null) return; // installing checkpoints: one at a time
    this.snapshotToInstall = null;
    const { store, core, logger } = this.ctx;
    let installed: ReturnType<MaintainedStore['installSnapshot']>;
    const appliedBefore = store.appliedIndex;
    const installStart = performance.now();
    try {
      installed = store.installSnapshot(pending.bytes);
    } catch (error) {
      // Failing after the state was replaced (moving this replica's own rows in) leaves the store ahead
      // of the core: a storage failure, never carried on from. An invalid snapshot changed nothing.
      if (store.appliedIndex !== appliedBefore) throw new Error(`installing a snapshot failed after the state machine was replaced: ${String(error)}`, { cause: error });
      logger.event('snapshot-rejected', { from: pending.from, reason: String(error) });
      return;
    }
    if (installed === null) return;
    core.installSnapshot(installed.slot, installed.ledger, installed.membership);
    this.installedAt = this.ctx.now();
    logger.event('snapshot-installed', { from: pending.from, slot: installed.slot, bytes: pending.bytes.length, ms: Math.round(performance.now() - installStart) });
    this.ctx.onSnapshotInstalled(installed);
  }

  compactIfDue(): void {
    const { appliedIndex, compactedThrough } = this.ctx.core.status();
    const slot = compactionSlot(appliedIndex, compactedThrough, this.ctx.retainSlots);
    if (slot === null) return;
    this.ctx.store.compact(slot);
    this.ctx.core.compact(slot);
  }

  /** After every turn: with a peer away or far behind, a snapshot is built once the load pauses (SnapshotSource.prepareWhenQuiet). */
  prepareSnapshotWhenQuiet(): void {
    this.ctx.snapshotSource.prepareWhenQuiet(() => this.peerMayNeedSnapshot(), SNAPSHOT_QUIET_MS);
  }

  /**
   * Starts the next checkpoint when one is due. With a builder thread the replica only rolls its
   * journal (the stall is one fsync, whatever the database's size) and the builder writes the file;
   * otherwise, or right after a snapshot was installed (no journal record holds it), the database is
   * exported here and the file written off the turn.
   */
  checkpointIfDue(): void {
    if (this.checkpointInFlight !== null) return;
    const { store, builder, snapshotSource, logger } = this.ctx;
    // A snapshot asked of the builder (SnapshotSource's buildOffThread) starts a checkpoint early.
    const snapshotAsked = this.snapshotWanted;
    if (!snapshotAsked && !store.checkpointDue()) return;
    if (store.nextCheckpointIsExport && this.catchingUpAfterInstall()) return;
    this.snapshotWanted = false;
    this.checkpointsStarted++;
    const stallStart = performance.now();
    const plan = builder === null ? null : store.planCheckpoint();
    let written: Promise<WrittenCheckpoint>;
    if (plan !== null && builder !== null) {
      let snapshotCame = false;
      const request = { ...this.ctx.checkpointFor, plan, snapshot: snapshotAsked || this.snapshotLikelyNeeded() };
      written = builder
        .build(request, (built) => {
          snapshotCame = true;
          void snapshotSource.offer(built);
        })
        .finally(() => {
          // A failed build, or none made: the next request asks again.
          if (snapshotAsked && !snapshotCame) snapshotSource.offThreadBuildFailed();
        });
    } else {
      const pending = store.beginCheckpoint();
      written = this.writeExportedCheckpoint(pending.dir, pending.image).then(() => pending);
      // A snapshot was installed since it was asked: this checkpoint is an export, without one.
      if (snapshotAsked) snapshotSource.offThreadBuildFailed();
    }
    this.lastCheckpointStallMs = performance.now() - stallStart;
    this.checkpointInFlight = written
      .then((checkpoint) => store.finishCheckpoint(checkpoint))
      .catch((error: unknown) => logger.event('checkpoint-failed', { reason: String(error), note: 'the journal keeps everything; retrying later' }))
      .finally(() => {
        this.checkpointInFlight = null;
        this.ctx.schedule();
      });
  }

  /** Waits for the checkpoint in flight (if any) to end, then stops the builder thread. */
  async stop(): Promise<void> {
    await this.checkpointInFlight;
    await this.ctx.builder?.close();
  }

  /**
   * A member far behind, or not heard from lately (asleep, restarting), will ask for a snapshot: the
   * checkpoint builder then makes one from the image it writes anyway, so it is ready when asked.
   */
  private snapshotLikelyNeeded(): boolean {
    // At most one every SNAPSHOT_PREPARE_INTERVAL_MS: under load checkpoints come every few seconds, and
    // preparing a snapshot at each costs CPU that a 2-core machine's leader needs for its heartbeats.
    const now = this.ctx.now();
    if (now - this.snapshotPreparedAt < SNAPSHOT_PREPARE_INTERVAL_MS) return false;
    const needed = this.peerMayNeedSnapshot();
    if (needed) this.snapshotPreparedAt = now;
    return needed;
  }

  /** A snapshot was installed lately and this member is still applying what was decided since (see INSTALL_CHECKPOINT_DEFER_MS). */
  private catchingUpAfterInstall(): boolean {
    if (this.ctx.now() - this.installedAt >= INSTALL_CHECKPOINT_DEFER_MS) return false;
    const { appliedIndex, commitIndex } = this.ctx.core.status();
    const known = Math.max(commitIndex, ...this.ctx.peers().map((peer) => peer.commitIndex ?? 0));
    return known > appliedIndex;
  }

  private peerMayNeedSnapshot(): boolean {
    return peerMayNeedSnapshot(this.ctx.core.status().commitIndex, this.ctx.peers(), this.ctx.snapshotCatchupSlots);
  }
}
