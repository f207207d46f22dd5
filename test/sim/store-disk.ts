/**
 * The real storage (ReplicaStore: journal, sql.js tables, checkpoints, snapshots) on a LazyFS-like
 * FaultyFileSystem: a crash keeps only what was fsynced, plus a random prefix of the last write.
 */
import type { SqlJsStatic } from 'sql.js';
import type { MembershipState } from '../../src-main/core/membership';
import type { RandomSource } from '../../src-main/core/random';
import type { ChosenEntry, PersistBatch, Slot } from '../../src-main/core/types';
import { FaultyFileSystem } from '../support/faulty-file-system';
import { ReplicaStore } from '../../src-main/storage/replica-store';
import { InvalidSnapshotError } from '../../src-main/storage/snapshot-image';
import type { NodeDisk, RecoveredDisk, SnapshotImage } from './node-disk';

export class StoreDisk implements NodeDisk {
  private readonly fs = new FaultyFileSystem();
  private store: ReplicaStore | null = null;
  private staged: PersistBatch[] = [];

  constructor(
    private readonly nodeId: string,
    private readonly sqlJs: SqlJsStatic,
    private readonly rng: RandomSource,
    /** Small, so that runs checkpoint often and crashes find the journal in every state. */
    private readonly checkpointJournalBytes: number,
    /** The cluster's first configuration, or null for a node that joins later. */
    private readonly bootstrap: MembershipState | null,
  ) {}

  open(): RecoveredDisk {
    const store = ReplicaStore.open(this.fs, this.sqlJs, `/data/${this.nodeId}`, {
      nodeId: this.nodeId,
      clusterId: 'sim',
      checkpointJournalBytes: this.checkpointJournalBytes,
      onWarning: () => undefined,
      bootstrapMembership: this.bootstrap,
    });
    this.store = store;
    this.staged = [];
    const durable = store.takeDurableState();
    const applied = durable.chosen.filter((entry) => entry.slot <= durable.appliedIndex).sort((a, b) => a.slot - b.slot);
    return { durable, appliedBase: durable.compactedThrough, applied };
  }

  write(batch: PersistBatch): void {
    const store = this.current();
    store.stage(batch);
    store.writeStaged();
    this.staged.push(batch);
  }

  sync(): PersistBatch[] {
    this.current().sync();
    const synced = this.staged;
    this.staged = [];
    return synced;
  }

  apply(entries: readonly ChosenEntry[]): void {
    const store = this.current();
    store.apply(entries);
    if (store.checkpointDue()) store.checkpoint();
  }

  crash(): void {
    this.store = null;
    this.staged = [];
    this.fs.crash({ tornWrite: (pending) => Math.floor(this.rng.next() * (pending + 1)) });
  }

  compact(slot: Slot): void {
    this.current().compact(slot);
  }

  snapshot(): SnapshotImage {
    const bytes = this.current().snapshot();
    return { bytes, transferBytes: Math.max(1, bytes.length) };
  }

  installSnapshot(bytes: Uint8Array): ReturnType<NodeDisk['installSnapshot']> {
    try {
      return this.current().installSnapshot(bytes);
    } catch (error) {
      // As the runtime (node/replica-node.ts): an invalid snapshot changed nothing and is dropped, say one
      // at slot 0 from a member that applied nothing yet, asked because a hostile message in its name
      // claimed it was far ahead.
      if (error instanceof InvalidSnapshotError) return null;
      throw error;
    }
  }

  digest(): string | null {
    return this.store?.app.digest() ?? null;
  }

  private current(): ReplicaStore {
    if (this.store === null) throw new Error(`${this.nodeId}'s disk is not open`);
    return this.store;
  }
}
