/**
 * A replica's durable storage: one data directory holding a checkpoint (the sql.js database image) and
 * the write-ahead journal written since it.
 *
 *   open()       recovery: load the checkpoint, replay the journal into it, re-apply chosen slots the
 *                application had not applied, and hand the protocol core its DurableState
 *   stage()      one turn's PersistBatch: appended to the journal; the sql.js log tables follow in
 *                flushTables(), off the critical path (every reader of those tables flushes first)
 *   sync()       one fsync for everything staged since the last one (group commit); the runtime sends
 *                the turn's messages that depend on it only after it returns
 *   apply()      committed slots into the micro-blog tables, in order
 *   checkpoint() roll the journal, export the image, write it atomically, drop the covered segments
 *   planCheckpoint() / buildCheckpointImage() / finishCheckpoint()   the same without exporting this
 *                database: another thread rebuilds the image from the last checkpoint and the closed
 *                journal segments (checkpoint-worker.ts), so the replica never stalls for it
 *   compact()    drop old chosen slots (their commands' ids move to the compacted ledger)
 *   snapshot() / installSnapshot()   the state machine at the applied index, for a lagging replica
 *
 * Invariant: checkpoint image + journal segments from meta.journalSegment on = every staged record that
 * was synced (and possibly some that were not). Recovery refuses to start on anything it cannot trust:
 * a damaged journal before its tail, a missing or damaged checkpoint, or another node's or cluster's data.
 */
import type { SqlJsStatic, Database } from 'sql.js';
import type { ApplyOutcome } from '../app/microblog';
import { MicroBlog } from '../app/microblog';
import { assert } from '../core/assert';
import { ZERO_BALLOT } from '../core/ballot';
import { CommandLedger, type LedgerState } from '../core/command-ledger';
import { applyMembershipSlot, bootstrapMembership, type MembershipOutcome, type MembershipState } from '../core/membership';
import { commandKey, isEmptyBatch, type ChosenEntry, type Command, type DurableState, type NodeId, type PersistBatch, type Slot, type SlotValue } from '../core/types';
import { openWithRoom } from './database-room';
import { CHECKPOINT_FILE, checkpointFileBytes, checkpointFileSize, hasCheckpoint, readCheckpoint, writeCheckpointFile } from './checkpoint-file';
import { decodeBatch, encodeBatch, stagedBatch, type StagedBatch } from './codec';
import { StorageError } from './errors';
import type { FileSystem } from './file-system';
import { Journal, parseSegmentFileName, readClosedSegments, type JournalStats } from './journal';
import { openSnapshotImage, snapshotFromImageNow } from './snapshot-image';
import { STORE_FORMAT, StoreTables, type LogRow, type StoreMeta } from './store-tables';

export interface ReplicaStoreOptions {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  /**
   * A checkpoint is due once the journal since the last one holds this many bytes, or a sixteenth of the
   * last checkpoint image if that is more: exporting costs time proportional to the image, so spacing
   * checkpoints in proportion keeps their amortized cost constant while bounding what recovery replays.
   */
  readonly checkpointJournalBytes?: number;
  /** Recovery notices that are not errors (a torn journal tail was truncated, ...). */
  readonly onWarning?: (message: string) => void;
  /**
   * The configuration a brand-new data directory starts with (a new cluster's members; default: this
   * node alone). Null for a node joining an existing cluster: it learns the membership from the
   * snapshot it installs.
   */
  readonly bootstrapMembership?: MembershipState | null;
}

export const DEFAULT_CHECKPOINT_JOURNAL_BYTES = 2 * 1024 * 1024;
const CHECKPOINT_IMAGE_FRACTION = 1 / 16;

export interface CheckpointStats {
  /** Time the database was busy exporting its image (the replica stalls for this long). */
  readonly exportMs: number;
  /** Time to write, fsync and rename the checkpoint file. */
  readonly writeMs: number;
  readonly bytes: number;
}

/**
 * A checkpoint between beginCheckpoint() and finishCheckpoint(): `file` must be written atomically
 * (temp file, fsync, rename, fsync of the directory) in `dir` in between, possibly off the replica's
 * thread. Until finishCheckpoint() the older checkpoint and segments stay, so a crash loses nothing.
 */
export interface PendingCheckpoint extends WrittenCheckpoint {
  readonly dir: string;
  /** The database image; the file is checkpointHeader(CRC-32C of it, its length) followed by it. */
  readonly image: Uint8Array;
  readonly exportMs: number;
}

export interface AppliedCommand {
  readonly slot: Slot;
  readonly command: Command;
  readonly outcome: ApplyOutcome;
  /** For a membership command: what it did to the membership. */
  readonly membership?: MembershipOutcome;
}

/**
 * A checkpoint to be built off the replica's thread (buildCheckpointImage): the journal was rolled to
 * `endSegment`, so the segments before it are closed, and the replica had compacted through
 * `compactThrough` (compaction is not journaled: the builder repeats it).
 */
export interface CheckpointPlan {
  readonly endSegment: number;
  readonly compactThrough: Slot;
}

/** A checkpoint file written in place: what finishCheckpoint() needs to drop the segments it covers. */
export interface WrittenCheckpoint {
  /** The first journal segment the checkpoint does not cover. */
  readonly segment: number;
  /** The applied index the image reflects. */
  readonly slot: Slot;
  readonly imageBytes: number;
}

/** How open() recovered the replica (the dashboard shows it after a restart). */
export interface StoreRecovery {
  readonly ms: number;
  /** The applied index of the checkpoint loaded, and its file size. */
  readonly checkpointSlot: Slot;
  readonly checkpointBytes: number;
  readonly journalRecords: number;
  /** Slots applied from the journal's chosen values, after the checkpoint's; null when none. */
  readonly replayedSlots: readonly [Slot, Slot] | null;
  /** A crash's torn write at the journal's end was cut off (only records never synced are lost). */
  readonly tornTailTruncated: boolean;
}

/** What the core's installSnapshot() needs. */
export interface InstalledSnapshot {
  readonly slot: Slot;
  readonly ledger: LedgerState;
  readonly membership: MembershipState;
}

export class ReplicaStore {
  private meta: StoreMeta;
  private recovered: DurableState | null;
  /**
   * The value objects accepted in slots not yet applied, by identity: a chosen value that is one of
   * them is recorded as "the accepted value" instead of a second copy (halves journal and log bytes).
   */
  private readonly acceptedValues = new Map<Slot, SlotValue>();
  /** Size of the last checkpoint file (sets the checkpoint cadence). */
  private checkpointBytes: number;
  /** The applied index the checkpoint file reflects (see checkpointSlot). */
  private checkpointAppliedIndex: Slot;
  /** Staged batches not yet written to the log tables, and own commands applied since (see flushTables). */
  private unflushed: StagedBatch[] = [];
  /** A snapshot was installed and no checkpoint begun since: one is due at once (see installSnapshot). */
  private snapshotNotCheckpointed = false;
  private appliedOwnSeqs: number[] = [];
  private recoveryReport: StoreRecovery | null = null;

  private constructor(
    private readonly fs: FileSystem,
    private readonly sqlJs: SqlJsStatic,
    private readonly dir: string,
    /** The database and the two views of it; all three are replaced together when a snapshot is installed. */
    private db: Database,
    private tables: StoreTables,
    private appView: MicroBlog,
    /** Null only in a store rebuilt to build a checkpoint image (buildCheckpointImage), which writes nothing. */
    private readonly journalOrNull: Journal | null,
    private readonly options: ReplicaStoreOptions,
  ) {
    this.meta = tables.readMeta();
    this.recovered = null;
    this.checkpointBytes = fs.size(`${dir}/${CHECKPOINT_FILE}`);
    // Constructed before the journal is replayed: the tables still hold exactly the checkpoint's image.
    this.checkpointAppliedIndex = this.meta.appliedIndex;
  }

  /** Opens (or creates) the data directory and recovers. Throws StorageError when it must not start. */
  static open(fs: FileSystem, sqlJs: SqlJsStatic, dir: string, options: ReplicaStoreOptions): ReplicaStore {
    const start = performance.now();
    fs.mkdirp(dir);
    const fresh = !hasCheckpoint(fs, dir) && !fs.list(dir).some((name) => parseSegmentFileName(name) !== undefined);
    const db = fresh ? new sqlJs.Database() : loadImage(sqlJs, readCheckpoint(fs, dir), dir);
    const tables = new StoreTables(db);
    if (fresh) {
      tables.replaceMeta({
        nodeId: options.nodeId,
        clusterId: options.clusterId,
        format: STORE_FORMAT,
        promised: ZERO_BALLOT,
        appliedIndex: 0,
        compactedThrough: 0,
        ledger: [],
        journalSegment: 1,
        membership: options.bootstrapMembership === undefined ? bootstrapMembership([{ id: options.nodeId, address: '' }]).epochs : (options.bootstrapMembership?.epochs ?? null),
      });
      const app = new MicroBlog(db); // creates the app tables before the first image is taken
      app.dispose();
      writeCheckpointFile(fs, dir, checkpointFileBytes(db.export()));
    }
    const meta = checkIdentity(tables, dir, options);
    const { journal, records, tornTailTruncated } = Journal.open(fs, dir, { firstSegment: meta.journalSegment, onWarning: options.onWarning });
    const app = new MicroBlog(db);
    const store = new ReplicaStore(fs, sqlJs, dir, db, tables, app, journal, options);
    store.replay(records);
    store.recovered = store.buildDurableState();
    const checkpointSlot = store.checkpointAppliedIndex;
    store.recoveryReport = {
      ms: performance.now() - start,
      checkpointSlot,
      checkpointBytes: store.checkpointBytes,
      journalRecords: records.length,
      replayedSlots: store.appliedIndex > checkpointSlot ? [checkpointSlot + 1, store.appliedIndex] : null,
      tornTailTruncated,
    };
    return store;
  }

  /**
   * Builds the next checkpoint's database image the way recovery would rebuild the replica: the last
   * checkpoint, the closed journal segments before plan.endSegment replayed into it, compacted through
   * plan.compactThrough. It reads only files the replica no longer writes (the checkpoint is replaced
   * only by finishCheckpoint's caller, one checkpoint at a time), so checkpoint-worker.ts runs it on
   * another thread while the replica goes on; the image is at least as far along as the replica was at
   * planCheckpoint() and covers exactly the segments before plan.endSegment.
   */
  static buildCheckpointImage(fs: FileSystem, sqlJs: SqlJsStatic, dir: string, options: ReplicaStoreOptions, plan: CheckpointPlan): { image: Uint8Array; slot: Slot } {
    const db = loadImage(sqlJs, readCheckpoint(fs, dir), dir);
    let store: ReplicaStore;
    try {
      const tables = new StoreTables(db);
      const meta = checkIdentity(tables, dir, options);
      if (meta.journalSegment > plan.endSegment) throw new Error(`the checkpoint already covers segment ${meta.journalSegment - 1}, past the planned ${plan.endSegment - 1}`);
      const records = readClosedSegments(fs, dir, meta.journalSegment, plan.endSegment);
      store = new ReplicaStore(fs, sqlJs, dir, db, tables, new MicroBlog(db), null, options);
      store.replay(records);
    } catch (error) {
      db.close();
      throw error;
    }
    try {
      // The replica applied no further than its journal reached, so its compaction point is applied here.
      assert(plan.compactThrough <= store.appliedIndex, `the plan compacts through ${plan.compactThrough}, past the rebuilt applied index ${store.appliedIndex}`);
      store.compact(plan.compactThrough);
      store.transaction(() => store.setMeta('journalSegment', plan.endSegment));
      return { image: db.export(), slot: store.appliedIndex };
    } finally {
      store.app.dispose();
      store.tables.dispose();
      db.close();
    }
  }

  /**
   * What the protocol core needs to restart. Only available once, right after open(): afterwards the
   * core is the authority and the store only follows it.
   */
  takeDurableState(): DurableState {
    const state = this.recovered;
    if (state === null) throw new Error('the durable state was already taken');
    this.recovered = null;
    return state;
  }

  /** How open() recovered this store. */
  get recovery(): StoreRecovery {
    assert(this.recoveryReport !== null, 'only a store made by open() was recovered');
    return this.recoveryReport;
  }

  get appliedIndex(): Slot {
    return this.meta.appliedIndex;
  }

  /** The micro-blog as of the applied index (a new object after a snapshot is installed: do not keep it). */
  get app(): MicroBlog {
    return this.appView;
  }

  /** The membership as of the applied index, or null while a joining node has not installed a snapshot. */
  get membership(): MembershipState | null {
    return this.meta.membership === null ? null : { epochs: this.meta.membership, through: this.meta.appliedIndex };
  }

  get compactedThrough(): Slot {
    return this.meta.compactedThrough;
  }

  /** Journal records, bytes and fsyncs since this store was opened. */
  get journalStats(): JournalStats {
    return this.journal.stats;
  }

  /** Appends a turn's changes to the journal (not yet durable) and to the tables. Empty batches cost nothing. */
  stage(batch: PersistBatch): void {
    if (isEmptyBatch(batch)) return;
    for (const entry of batch.accepted) this.acceptedValues.set(entry.slot, entry.value);
    const staged = stagedBatch(batch, (slot) => this.acceptedValues.get(slot));
    this.journal.append(encodeBatch(staged));
    this.queueForTables(staged);
  }

  private queueForTables(batch: StagedBatch): void {
    this.unflushed.push(batch);
    if (batch.promised !== null) this.meta = { ...this.meta, promised: batch.promised };
  }

  /**
   * Brings the log tables up to date with everything staged, in one transaction. The runtime calls it at
   * the end of a turn; everything that reads or exports the tables calls it first. Own commands applied
   * meanwhile leave the proposals table here, after their (possibly same-turn) insertion.
   */
  flushTables(): void {
    if (this.unflushed.length === 0 && this.appliedOwnSeqs.length === 0) return;
    const batches = this.unflushed;
    const forget = this.appliedOwnSeqs;
    this.unflushed = [];
    this.appliedOwnSeqs = [];
    this.transaction(() => {
      for (const batch of batches) this.tables.stage(batch, this.meta.compactedThrough);
      for (const seq of forget) this.tables.forgetProposal(seq);
    });
  }

  /** Makes everything staged durable with one fsync. */
  sync(): void {
    this.journal.sync();
  }

  /** sync() without blocking the thread during the fsync; nothing may be staged until it resolves. */
  syncAsync(): Promise<void> {
    return this.journal.syncAsync();
  }

  /** Writes what is staged to the journal file without fsync (see Journal.write; the simulator uses it). */
  writeStaged(): void {
    this.journal.write();
  }

  /** Applies committed slots, in order, to the micro-blog tables. */
  apply(entries: readonly ChosenEntry[]): AppliedCommand[] {
    const applied: AppliedCommand[] = [];
    if (entries.length === 0) return applied;
    this.transaction(() => {
      for (const entry of entries) {
        if (entry.slot !== this.meta.appliedIndex + 1) throw new Error(`slot ${entry.slot} applied after slot ${this.meta.appliedIndex}`);
        const membership = this.applyMembership(entry);
        const outcomes = this.app.applyBatch(entry.slot, entry.value);
        entry.value.forEach((command, i) => {
          const change = membership.get(commandKey(command.origin, command.seq));
          const item = { slot: entry.slot, command, outcome: outcomes[i] as ApplyOutcome };
          applied.push(change === undefined ? item : { ...item, membership: change });
          if (command.origin === this.options.nodeId) this.appliedOwnSeqs.push(command.seq);
        });
        this.acceptedValues.delete(entry.slot);
        this.setMeta('appliedIndex', entry.slot);
      }
    });
    return applied;
  }

  /** Follows the membership through one applied slot; writes it only when it changed. */
  private applyMembership(entry: ChosenEntry): Map<string, MembershipOutcome> {
    const current = this.membership;
    // Unreachable by construction: a joining node applies nothing before its snapshot brings the membership.
    if (current === null) throw new Error(`slot ${entry.slot} applied before the membership is known`);
    const { state, outcomes } = applyMembershipSlot(current, entry.slot, entry.value);
    if (state.epochs !== current.epochs) this.setMeta('membership', state.epochs);
    return outcomes;
  }

  private get journal(): Journal {
    assert(this.journalOrNull !== null, 'a store rebuilt to build a checkpoint image writes no journal');
    return this.journalOrNull;
  }

  checkpointDue(): boolean {
    if (this.snapshotNotCheckpointed) return true;
    const minimum = this.options.checkpointJournalBytes ?? DEFAULT_CHECKPOINT_JOURNAL_BYTES;
    return this.journal.currentSegmentBytes >= Math.max(minimum, this.checkpointBytes * CHECKPOINT_IMAGE_FRACTION);
  }

  /**
   * Rolls the journal to a new segment and exports the database, which then reflects exactly the older
   * segments: the only part of a checkpoint that stalls the replica. See PendingCheckpoint.
   */
  beginCheckpoint(): PendingCheckpoint {
    this.flushTables();
    this.snapshotNotCheckpointed = false;
    const segment = this.journal.roll();
    this.transaction(() => this.setMeta('journalSegment', segment));
    const exportStart = performance.now();
    // Only the export happens here: checksumming and writing the image can be done off this turn.
    const image = this.db.export();
    return { dir: this.dir, image, imageBytes: image.length, segment, exportMs: performance.now() - exportStart, slot: this.meta.appliedIndex };
  }

  /**
   * Rolls the journal for a checkpoint that buildCheckpointImage() builds elsewhere, then
   * finishCheckpoint(); costs this thread one fsync and a segment creation, however large the database.
   * Null when the next checkpoint must be an export of this database (beginCheckpoint): a snapshot was
   * installed, which no journal record holds.
   */
  /** Whether the next checkpoint must be an export of this database (planCheckpoint() would say null). */
  get nextCheckpointIsExport(): boolean {
    return this.snapshotNotCheckpointed;
  }

  planCheckpoint(): CheckpointPlan | null {
    if (this.snapshotNotCheckpointed) return null;
    this.flushTables();
    const segment = this.journal.roll();
    this.transaction(() => this.setMeta('journalSegment', segment));
    return { endSegment: segment, compactThrough: this.meta.compactedThrough };
  }

  /** A checkpoint's file is in place: the segments it covers can go. */
  finishCheckpoint(written: WrittenCheckpoint): void {
    this.checkpointBytes = checkpointFileSize(written.imageBytes);
    this.checkpointAppliedIndex = written.slot;
    this.journal.dropSegmentsBefore(written.segment);
  }

  /** A whole checkpoint on this thread. A crash at any step leaves a checkpoint and the segments it needs. */
  checkpoint(): CheckpointStats {
    const pending = this.beginCheckpoint();
    const writeStart = performance.now();
    const file = checkpointFileBytes(pending.image);
    writeCheckpointFile(this.fs, this.dir, file);
    this.finishCheckpoint(pending);
    return { exportMs: pending.exportMs, writeMs: performance.now() - writeStart, bytes: file.length };
  }

  /** Drops chosen slots through `slot` (which must be applied); their command ids join the compacted ledger. */
  compact(slot: Slot): void {
    if (slot > this.meta.appliedIndex) throw new Error(`cannot compact through slot ${slot}: only ${this.meta.appliedIndex} are applied`);
    if (slot <= this.meta.compactedThrough) return;
    this.flushTables();
    const ledger = new CommandLedger(this.meta.ledger);
    this.app.forEachAppliedIn(this.meta.compactedThrough + 1, slot, (origin, seq) => ledger.add(origin, seq));
    this.transaction(() => {
      this.tables.dropThrough(slot);
      this.setMeta('ledger', ledger.export());
      this.setMeta('compactedThrough', slot);
    });
  }

  /** Path of the checkpoint file (replaced atomically: a reader sees one whole checkpoint or another). */
  get checkpointPath(): string {
    return `${this.dir}/${CHECKPOINT_FILE}`;
  }

  /**
   * The applied index the checkpoint file reflects, as far as this store knows: a snapshot built from
   * the file (snapshot-export.ts) summarizes the slots up to here, without stalling the replica.
   */
  get checkpointSlot(): Slot {
    return this.checkpointAppliedIndex;
  }

  /**
   * The database image now, from which snapshot-export.ts builds the snapshot at the applied index. The
   * export stalls the replica like a checkpoint's (several times less than snapshot(), which also reads
   * every row and builds the JSON): for when the checkpoint file is too old to serve.
   */
  exportImage(): { image: Uint8Array; slot: Slot } {
    this.flushTables();
    return { image: this.db.export(), slot: this.meta.appliedIndex };
  }

  /** The state machine at the applied index, as a snapshot for a lagging replica (stalls: see snapshot-image.ts for the sliced way). */
  snapshot(): Uint8Array {
    return snapshotFromImageNow(this.sqlJs, this.exportImage().image).bytes;
  }

  /**
   * Replaces the state machine with a peer's snapshot (snapshot-image.ts) if it is ahead of us. Returns
   * what the core's installSnapshot() needs, or null if it was not newer. Throws InvalidSnapshotError,
   * with nothing changed, if the snapshot is not valid; any other error comes after the state machine
   * was replaced.
   *
   * The snapshot's database becomes this store's database: this replica's private state moves into it
   * (meta, the log rows above the snapshot, its own proposals not applied in the snapshot).
   *
   * The install is durable with the next checkpoint, which is due at once (checkpointDue()), so that
   * the runtime takes it the usual way, the file written off its turn. Until then a crash recovers the
   * older checkpoint plus the journal: the state of a replica that had not installed the snapshot, with
   * everything it accepted or promised since (the journal holds it). That loses nothing: a snapshot
   * only brings chosen values, which the replica learns again from its peers.
   */
  installSnapshot(bytes: Uint8Array): InstalledSnapshot | null {
    this.flushTables();
    const snapshot = openSnapshotImage(this.sqlJs, bytes, this.meta.clusterId);
    if (snapshot.slot <= this.meta.appliedIndex) {
      snapshot.db.close();
      return null;
    }
    const { db, slot, ledger, membership } = snapshot;
    const ledgerView = new CommandLedger(ledger);
    const above = this.tables.rows(slot + 1, Number.MAX_SAFE_INTEGER);
    const proposals = this.tables.proposals(this.options.nodeId).filter((command) => !ledgerView.hasCommand(command));
    let tables: StoreTables;
    try {
      tables = new StoreTables(db);
    } catch (error) {
      db.close();
      throw error;
    }
    this.tables.dispose();
    this.appView.dispose();
    this.db.close();
    this.db = db;
    this.tables = tables;
    this.appView = new MicroBlog(db);
    this.meta = { ...this.meta, appliedIndex: slot, compactedThrough: slot, ledger, membership: membership.epochs };
    this.transaction(() => {
      this.tables.replaceMeta(this.meta);
      this.tables.stage(
        {
          promised: null,
          accepted: above.flatMap((row) => (row.accepted === null ? [] : [{ slot: row.slot, ...row.accepted }])),
          chosen: above.flatMap((row) => (row.chosen === null ? [] : [{ slot: row.slot, value: row.chosen }])),
          proposals,
        },
        slot,
      );
    });
    for (const acceptedSlot of this.acceptedValues.keys()) if (acceptedSlot <= slot) this.acceptedValues.delete(acceptedSlot);
    this.snapshotNotCheckpointed = true;
    return { slot, ledger, membership };
  }

  /** Retained log rows for the dashboard's inspector. */
  logRows(fromSlot: Slot, toSlot: Slot, limit: number): LogRow[] {
    this.flushTables();
    return this.tables.rows(fromSlot, toSlot, limit);
  }

  /** A final checkpoint (so the next start replays nothing), then releases everything. */
  close(): void {
    this.checkpoint(); // flushes the tables first
    this.release();
  }

  /**
   * Closes the files as a crash leaves them (a member asked this node to crash): no checkpoint, the
   * journal as the turns wrote it. Recovery then does what it does after a SIGKILL.
   */
  abandon(): void {
    this.release();
  }

  private release(): void {
    this.journal.close();
    this.app.dispose();
    this.tables.dispose();
    this.db.close();
  }

  private replay(records: readonly Uint8Array[]): void {
    records.forEach((record, index) => {
      let batch: StagedBatch;
      try {
        batch = decodeBatch(record);
      } catch (error) {
        throw new StorageError('journal-corrupt', `journal record ${index} after the checkpoint in ${this.dir} passed its checksum but cannot be decoded (${String(error)}); it was written by an incompatible build or the disk returned bad data.`);
      }
      this.queueForTables(batch);
    });
    // The application may be behind the chosen log (a crash between persisting and applying).
    this.flushTables();
    const pending: ChosenEntry[] = [];
    for (let slot = this.meta.appliedIndex + 1; ; slot++) {
      const value = this.tables.chosenAt(slot);
      if (value === null) break;
      pending.push({ slot, value });
    }
    this.apply(pending);
    this.flushTables();
  }

  private buildDurableState(): DurableState {
    const { accepted, chosen } = this.tables.retained(this.meta.compactedThrough);
    return {
      promised: this.meta.promised,
      accepted,
      chosen,
      proposals: this.tables.proposals(this.options.nodeId),
      appliedIndex: this.meta.appliedIndex,
      compactedThrough: this.meta.compactedThrough,
      ledger: this.meta.ledger,
      membership: this.membership,
    };
  }

  private setMeta<K extends keyof StoreMeta>(key: K, value: StoreMeta[K]): void {
    this.tables.setMeta(key, value);
    this.meta = { ...this.meta, [key]: value };
  }

  private transaction(work: () => void): void {
    this.db.run('BEGIN');
    try {
      work();
      this.db.run('COMMIT');
    } catch (error) {
      this.db.run('ROLLBACK');
      throw error;
    }
  }
}

function loadImage(sqlJs: SqlJsStatic, image: Uint8Array, dir: string): Database {
  try {
    const db = openWithRoom(sqlJs, image);
    db.exec('SELECT count(*) FROM synod_meta');
    return db;
  } catch (error) {
    throw new StorageError('checkpoint-corrupt', `the checkpoint in ${dir} passed its checksum but is not a Synod database (${String(error)}). Restore the data directory from a backup, or remove it to rejoin the cluster as a fresh node.`);
  }
}

function checkIdentity(tables: StoreTables, dir: string, options: ReplicaStoreOptions): StoreMeta {
  const meta = tables.readMeta();
  if (meta.format !== STORE_FORMAT) throw new StorageError('unsupported-format', `${dir} uses storage format ${meta.format}; this build reads format ${STORE_FORMAT}.`);
  if (meta.nodeId !== options.nodeId) {
    throw new StorageError('wrong-node', `${dir} belongs to node "${meta.nodeId}", not "${options.nodeId}". Start with --id ${meta.nodeId}, or point --data at this node's own directory.`);
  }
  if (meta.clusterId !== options.clusterId) {
    throw new StorageError('wrong-cluster', `${dir} belongs to cluster "${meta.clusterId}", not "${options.clusterId}". Check the cluster secret, or point --data at a directory of this cluster.`);
  }
  return meta;
}
