import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../app/commands';
import type { Command, PersistBatch } from '../core/types';
import { CheckpointBuilder, checkpointWorkerScript } from './checkpoint-builder';
import { segmentFileName } from './journal';
import { NodeFileSystem } from './node-file-system';
import { ReplicaStore } from './replica-store';
import { openSnapshotImage, type SnapshotImage } from './snapshot-image';

let sqlJs: SqlJsStatic;
beforeAll(async () => {
  sqlJs = await initSqlJs();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const OPTIONS = { nodeId: 'n1', clusterId: 'c1' };

function tempDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'synod-checkpoint-builder-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  return join(root, 'data');
}

function builder(): CheckpointBuilder {
  // The worker run from the sources, as synod-node's entry point would find it.
  const built = new CheckpointBuilder(checkpointWorkerScript(new URL('../headless/main.ts', import.meta.url).href));
  cleanups.push(() => built.close());
  return built;
}

/** `slots` more slots, each with a tweet by another origin and one of this node's own commands. */
function appendHistory(store: ReplicaStore, slots: number): void {
  const ballot = { round: 1, node: 'n1' };
  for (let slot = store.appliedIndex + 1, end = slot + slots; slot < end; slot++) {
    const value: Command[] = [
      { origin: `u${slot % 5}`, seq: slot, payload: encodeCommand({ type: 'tweet', text: `tweet ${slot} 😀`, at: 1_700_000_000_000 + slot }) },
      { origin: 'n1', seq: slot, payload: encodeCommand({ type: slot % 2 === 0 ? 'block' : 'unblock', target: `u${slot % 3}`, at: 1_700_000_000_000 + slot }) },
    ];
    const batch: PersistBatch = { promised: slot === 1 ? ballot : null, accepted: [{ slot, ballot, value }], chosen: [{ slot, value }], proposals: value.filter((command) => command.origin === 'n1') };
    store.stage(batch);
    store.apply(batch.chosen);
  }
  store.sync();
}

function journalSegments(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('journal-')).sort();
}

// Starting the worker from the sources compiles them through tsx: about a second on a busy machine.
describe('checkpoints built on the worker thread', { timeout: 30_000 }, () => {
  it('write what recovery would rebuild, compacted like the replica, while the replica goes on', async () => {
    const dir = tempDir();
    const store = ReplicaStore.open(new NodeFileSystem(), sqlJs, dir, OPTIONS);
    store.takeDurableState();
    appendHistory(store, 40);
    store.checkpoint();
    appendHistory(store, 30);
    store.compact(50);
    const plan = store.planCheckpoint();
    if (plan === null) throw new Error('expected a plan');
    expect(plan.compactThrough).toBe(50);
    // The replica keeps working while the worker builds: these slots go to the new segment.
    const snapshots: SnapshotImage[] = [];
    let snapshotBeforeCheckpoint = false;
    const building = builder().build({ dir, ...OPTIONS, plan, snapshot: true }, (built) => {
      snapshots.push(built);
      snapshotBeforeCheckpoint = true;
    });
    appendHistory(store, 5);
    const built = await building;
    expect(built).toMatchObject({ ok: true, segment: plan.endSegment, slot: 70 });
    // The snapshot made from the same image came first, and is one a lagging replica accepts (snapshot-image.ts checks it all).
    expect(snapshotBeforeCheckpoint).toBe(true);
    expect(snapshots).toHaveLength(1);
    const snapshot = openSnapshotImage(sqlJs, (snapshots[0] as SnapshotImage).bytes, OPTIONS.clusterId);
    expect(snapshot.slot).toBe(70);
    snapshot.db.close();
    store.finishCheckpoint(built);
    expect(store.checkpointSlot).toBe(70);
    expect(journalSegments(dir)).toEqual([segmentFileName(plan.endSegment)]);

    // A crash now (no final checkpoint): recovery is the worker's checkpoint plus the newer segment.
    const digest = store.app.digest();
    const recovered = ReplicaStore.open(new NodeFileSystem(), sqlJs, dir, OPTIONS);
    expect(recovered.checkpointSlot).toBe(70);
    expect(recovered.app.digest()).toBe(digest);
    const durable = recovered.takeDurableState();
    expect(durable).toMatchObject({ appliedIndex: 75, compactedThrough: 50, promised: { round: 1, node: 'n1' } });
    expect(durable.chosen.map((entry) => entry.slot)).toEqual(Array.from({ length: 25 }, (_, i) => 51 + i));
    // Own commands applied before the checkpoint are no longer proposals to retry.
    expect(durable.proposals).toEqual([]);
    // Compacted commands stay known, so none is ever chosen twice.
    expect(recovered.app.commandOutcome('u1', 21)).toMatchObject({ status: 'applied', slot: 21 });
  });

  it('a failed build reports why and loses nothing; the next one succeeds', async () => {
    const dir = tempDir();
    const store = ReplicaStore.open(new NodeFileSystem(), sqlJs, dir, OPTIONS);
    store.takeDurableState();
    appendHistory(store, 10);
    const plan = store.planCheckpoint();
    if (plan === null) throw new Error('expected a plan');
    const checkpoints = builder();
    // A plan naming segments that do not exist (a bug in the caller) must fail, not write a checkpoint.
    await expect(checkpoints.build({ dir, ...OPTIONS, plan: { ...plan, endSegment: plan.endSegment + 3 }, snapshot: false })).rejects.toThrow(/missing segment/);
    expect(store.checkpointSlot).toBe(0);
    const snapshots: SnapshotImage[] = [];
    const built = await checkpoints.build({ dir, ...OPTIONS, plan, snapshot: false }, (snapshot) => snapshots.push(snapshot));
    expect(snapshots).toEqual([]);
    store.finishCheckpoint(built);
    expect(store.checkpointSlot).toBe(10);
    const recovered = ReplicaStore.open(new NodeFileSystem(), sqlJs, dir, OPTIONS);
    expect(recovered.app.digest()).toBe(store.app.digest());
  });

  it('another node must not build from this directory', async () => {
    const dir = tempDir();
    const store = ReplicaStore.open(new NodeFileSystem(), sqlJs, dir, OPTIONS);
    store.takeDurableState();
    appendHistory(store, 3);
    const plan = store.planCheckpoint();
    if (plan === null) throw new Error('expected a plan');
    await expect(builder().build({ dir, nodeId: 'n2', clusterId: 'c1', plan, snapshot: false })).rejects.toThrow(/belongs to node "n1"/);
  });
});

describe('checkpointWorkerScript', () => {
  it('finds the TypeScript worker beside the sources and the built one beside a built entry', () => {
    expect(checkpointWorkerScript('file:///app/src-main/headless/main.ts')).toEqual({ url: new URL('file:///app/src-main/storage/checkpoint-worker.ts'), typescript: true });
    expect(checkpointWorkerScript('file:///app/out/main/headless.js')).toEqual({ url: new URL('file:///app/out/main/checkpoint-worker.js'), typescript: false });
  });
});
